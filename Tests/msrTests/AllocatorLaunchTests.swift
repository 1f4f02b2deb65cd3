@testable import msr
import XCTest

final class AllocatorLaunchTests: XCTestCase {
    func testTunablesAddTheCacheSettingOnce() {
        XCTAssertEqual(AllocatorLaunch.tunables(environment: [:]), "glibc.malloc.tcache_count=200")
        XCTAssertEqual(AllocatorLaunch.tunables(environment: ["GLIBC_TUNABLES": "glibc.malloc.mxfast=0"]),
                       "glibc.malloc.mxfast=0:glibc.malloc.tcache_count=200", "the user's other tunables kept")
        XCTAssertNil(AllocatorLaunch.tunables(environment: ["GLIBC_TUNABLES": "glibc.malloc.tcache_count=7"]),
                     "the user's own tcache setting wins")
        XCTAssertNil(AllocatorLaunch.tunables(environment: ["MSR_ALLOCATOR_RESTARTED": "1"]), "never a second restart")
        for off in ["off", "OFF", "0", "no", "false"] {
            XCTAssertNil(AllocatorLaunch.tunables(environment: ["MSR_MALLOC_TUNING": off]), off)
        }
        XCTAssertNotNil(AllocatorLaunch.tunables(environment: ["MSR_MALLOC_TUNING": "on"]))
    }
}

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

    func testOnlyCommandsThatTrainOnANewEnoughGlibc() {
        for command in ["train", "eval", "reproduce", "bench", "snap"] {
            XCTAssertNotNil(AllocatorLaunch.tunables(environment: [:], arguments: ["msr", command]), command)
        }
        for arguments in [["msr"], ["msr", "--help"], ["msr", "plot", "run.json"], ["msr", "inspect"]] {
            XCTAssertNil(AllocatorLaunch.tunables(environment: [:], arguments: arguments), "\(arguments)")
        }
        XCTAssertNil(AllocatorLaunch.tunables(environment: [:], glibcVersion: (2, 29)), "one-byte counts before 2.30")
        XCTAssertNil(AllocatorLaunch.tunables(environment: [:], glibcVersion: nil), "not glibc")
        XCTAssertNotNil(AllocatorLaunch.tunables(environment: [:], glibcVersion: (3, 0)))
    }

    func testThisGlibcVersionIsRead() throws {
        #if os(Linux)
        let version = try XCTUnwrap(AllocatorLaunch.glibcVersion)
        XCTAssertGreaterThanOrEqual(version.0, 2)
        #endif
    }
}

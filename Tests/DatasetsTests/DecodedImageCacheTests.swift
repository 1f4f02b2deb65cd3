@testable import Datasets
import XCTest

final class DecodedImageCacheTests: XCTestCase {
    func testKeepsImagesByPathAcrossCopies() {
        let cache = DecodedImageCache()
        let copy = cache
        XCTAssertNil(cache.image(for: "/a.png"))
        let image = DecodedImage(width: 2, height: 1, channels: 1, pixels: [3, 4])
        copy.store(image, for: "/a.png")
        XCTAssertEqual(cache.image(for: "/a.png"), image)
        XCTAssertNil(cache.image(for: "/b.png"))
    }
}

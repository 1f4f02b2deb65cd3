import Datasets
import Foundation
import XCTest

final class PNGImageTests: XCTestCase {
    func testRoundTripGreyAndRGB() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let grey = PNGImage(width: 5, height: 3, channels: 1, pixels: (0..<15).map { UInt8($0 * 17) })
        try grey.write(to: dir.appendingPathComponent("g.png"))
        XCTAssertEqual(try PNGImage(contentsOf: dir.appendingPathComponent("g.png")), grey)
        let rgb = PNGImage(width: 2, height: 2, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30])
        try rgb.write(to: dir.appendingPathComponent("c.png"))
        XCTAssertEqual(try PNGImage(contentsOf: dir.appendingPathComponent("c.png"), channels: 3), rgb)
        // Read as grey: libpng converts (red 255 → luminance about 54).
        let asGrey = try PNGImage(contentsOf: dir.appendingPathComponent("c.png"), channels: 1)
        XCTAssertEqual(asGrey.pixels.count, 4)
    }

    func testNotAPNGIsAnError() {
        XCTAssertThrowsError(try PNGImage(decoding: Data("hello".utf8), source: "x.png")) { error in
            XCTAssertTrue("\(error)".contains("x.png"), "\(error)")
        }
    }
}

import Datasets
import Foundation
import TestSupport
import XCTest

final class DecodedImageTests: XCTestCase {
    /// A 2×3 RGB picture: pixel k has colour (10k, 10k + 1, 10k + 2); pixel 4 is grey (100, 100, 100).
    let rgb: PNGImage = {
        var pixels: [UInt8] = []
        for k in 0..<6 {
            let base = UInt8(10 * k)
            pixels += k == 4 ? [100, 100, 100] : [base, base + 1, base + 2]
        }
        return PNGImage(width: 3, height: 2, channels: 3, pixels: pixels)
    }()

    func testDecodesPNGAndJPEGByTheirSignature() throws {
        let root = try temporaryDirectory(for: self)
        let png = root.appendingPathComponent("a.png"), jpeg = root.appendingPathComponent("b.data")
        try rgb.write(to: png)
        try JPEGImage(width: 16, height: 8, channels: 1, pixels: [UInt8](repeating: 77, count: 128)).write(to: jpeg, quality: 100)
        let decodedPNG = try DecodedImage(contentsOf: png, channels: 3)
        XCTAssertEqual([decodedPNG.width, decodedPNG.height, decodedPNG.channels], [3, 2, 3])
        XCTAssertEqual(decodedPNG.pixels, rgb.pixels, "PNG is lossless")
        XCTAssertFalse(decodedPNG.isGrey)
        // The JPEG file is found by its bytes, not its name; grey stays grey when read as colour.
        let decodedJPEG = try DecodedImage(contentsOf: jpeg, channels: 3)
        XCTAssertEqual([decodedJPEG.width, decodedJPEG.height, decodedJPEG.channels], [16, 8, 3])
        XCTAssertTrue(decodedJPEG.isGrey)
        XCTAssertEqual(Int(decodedJPEG.pixels[0]), 77, accuracy: 2)
        XCTAssertEqual(DecodedImage.Format(signatureOf: try Data(contentsOf: png)), .png)
        XCTAssertEqual(DecodedImage.Format(signatureOf: try Data(contentsOf: jpeg)), .jpeg)
        XCTAssertNil(DecodedImage.Format(signatureOf: Data([0x89, 0x50])))
    }

    func testPlanarValuesInversionAndResize() throws {
        let image = try DecodedImage(decoding: try pngData(rgb), channels: 3, source: "rgb")
        let planar = image.planar(size: 3, inverted: false)
        XCTAssertEqual(planar.count, 3 * 3 * 3)
        // Height 2 → 3: rows are area-resized, columns are already 3 wide. Channel 1 of column 0 averages
        // pixel 0 (1) and pixel 3 (31) in the middle row.
        XCTAssertEqual(Double(planar[9 + 3]), (1.0 + 31.0) / 2 / 255, accuracy: 1e-6)
        XCTAssertEqual(Double(planar[0]), 0, accuracy: 1e-7)
        let same = image.planar(size: 3, inverted: true)
        for (a, b) in zip(planar, same) { XCTAssertEqual(Double(a) + Double(b), 1.0, accuracy: 1e-6) }
        // Read as grey: one channel.
        XCTAssertEqual(try DecodedImage(decoding: try pngData(rgb), channels: 1, source: "rgb").planar(size: 2).count, 4)
    }

    func testBadDataNamesTheFile() throws {
        guard case .badImage(let file, let detail)? = thrownImageError({ try DecodedImage(decoding: Data("GIF89a....".utf8), channels: 1, source: "x.gif") }) else {
            return XCTFail("expected badImage")
        }
        XCTAssertEqual(file, "x.gif")
        XCTAssertTrue(detail.contains("PNG or JPEG"), detail)
        let truncated = try pngData(rgb).prefix(40)
        guard case .badImage(let name, let why)? = thrownImageError({ try DecodedImage(decoding: truncated, channels: 3, source: "t.png") }) else {
            return XCTFail("expected badImage")
        }
        XCTAssertEqual(name, "t.png")
        XCTAssertTrue(why.contains("PNG"), why)
        let missing = URL(fileURLWithPath: "/nonexistent/m.png")
        XCTAssertEqual(thrownImageError { try DecodedImage(contentsOf: missing, channels: 1) },
                       .sourceNotFound(path: missing.path, expected: "a PNG or JPEG image"))
    }

    /// The bytes of `image` as a PNG file.
    func pngData(_ image: PNGImage) throws -> Data {
        let url = try temporaryDirectory(for: self).appendingPathComponent("i.png")
        try image.write(to: url)
        return try Data(contentsOf: url)
    }
}

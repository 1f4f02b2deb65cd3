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

    /// The in-memory encoding is a PNG file's bytes: the signature, and the same pixels back.
    func testEncodedBytesDecode() throws {
        let rgb = PNGImage(width: 4, height: 3, channels: 3, pixels: (0..<36).map { UInt8($0 * 7) })
        let data = try rgb.encoded()
        XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(try PNGImage(decoding: data, channels: 3), rgb)
    }

    func testNotAPNGIsAnError() {
        XCTAssertThrowsError(try PNGImage(decoding: Data("hello".utf8), source: "x.png")) { error in
            XCTAssertTrue("\(error)".contains("x.png"), "\(error)")
        }
    }

    /// A PNG file of a signature, an IHDR declaring `width` × `height` 8-bit grey pixels, an IDAT holding an
    /// empty zlib stream and an IEND: 65 bytes, whatever size it declares.
    static func declaring(width: UInt32, height: UInt32) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
        }
        func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        let header = bigEndian(width) + bigEndian(height) + [8, 0, 0, 0, 0]  // depth 8, grey, deflate, no filter, no interlace
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        return Data(signature + chunk("IHDR", header) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", []))
    }

    /// A tiny PNG declaring 10⁶ × 10⁶ pixels (the 74-byte file aborted allocating a terabyte), and the other
    /// two bounds of `ImageLimits`.
    func testPNGDeclaringAHugeImageIsAnError() {
        let huge = Self.declaring(width: 1_000_000, height: 1_000_000)
        XCTAssertEqual(huge.count, 65)
        XCTAssertEqual(thrownImageError { try PNGImage(decoding: huge, source: "huge.png") },
                       .imageTooLarge(file: "huge.png", width: 1_000_000, height: 1_000_000, limit: "at most 16384 pixels per side"))
        XCTAssertEqual(thrownImageError { try PNGImage(decoding: Self.declaring(width: 16_384, height: 16_384), source: "a.png") },
                       .imageTooLarge(file: "a.png", width: 16_384, height: 16_384, limit: "at most 33554432 pixels"))
        XCTAssertEqual(thrownImageError { try PNGImage(decoding: Self.declaring(width: 1_000, height: 1_000), source: "b.png") },
                       .imageTooLarge(file: "b.png", width: 1_000, height: 1_000,
                                      limit: "at most 8256 pixels per byte of a file of 65 bytes, i.e. 536640 pixels"))
        // Within the bounds, the same file is read as far as its (missing) data.
        XCTAssertThrowsError(try PNGImage(decoding: Self.declaring(width: 700, height: 700), source: "c.png")) { error in
            XCTAssertTrue(error is DatasetError, "\(error)")
        }
    }
}

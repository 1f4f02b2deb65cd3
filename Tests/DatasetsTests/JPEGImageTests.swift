import Datasets
import Foundation
import XCTest

final class JPEGImageTests: XCTestCase {
    /// A smooth RGB test picture (JPEG keeps smooth pictures close).
    func picture(width: Int, height: Int) -> JPEGImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8(x * 255 / max(width - 1, 1)), UInt8(y * 255 / max(height - 1, 1)), 128]
            }
        }
        return JPEGImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    func testRoundTrip() throws {
        let image = picture(width: 84, height: 84)
        let data = try image.encoded(quality: 95)
        XCTAssertEqual(Array(data.prefix(3)), [0xFF, 0xD8, 0xFF])
        let decoded = try JPEGImage(decoding: data)
        XCTAssertEqual(decoded.width, 84)
        XCTAssertEqual(decoded.height, 84)
        XCTAssertEqual(decoded.channels, 3)
        let worst = zip(decoded.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThanOrEqual(worst, 8)
        // Grey: written grey, or RGB read as grey.
        let grey = JPEGImage(width: 16, height: 8, channels: 1, pixels: (0..<128).map { UInt8($0 * 2) })
        XCTAssertEqual(try JPEGImage(decoding: grey.encoded(quality: 100), channels: 1).pixels.count, 128)
        XCTAssertEqual(try JPEGImage(decoding: data, channels: 1).pixels.count, 84 * 84)
        // A grey file read as RGB has three equal channels.
        let rgb = try JPEGImage(decoding: grey.encoded(quality: 100), channels: 3)
        XCTAssertEqual(rgb.pixels[0], rgb.pixels[1])
        XCTAssertEqual(rgb.pixels[1], rgb.pixels[2])
        // Through a file.
        let root = try temporaryDirectory(for: self)
        try image.write(to: root.appendingPathComponent("a.jpg"))
        XCTAssertEqual(try JPEGImage(contentsOf: root.appendingPathComponent("a.jpg")), decoded)
    }

    func testBadFilesAreErrorsThatNameTheFile() throws {
        let data = try picture(width: 84, height: 84).encoded()
        // Not a JPEG.
        XCTAssertEqual(thrownImageError { try JPEGImage(decoding: Data("GIF89a....".utf8), source: "x.jpg") },
                       .badImage(file: "x.jpg", detail: "not a JPEG file: it does not start with the SOI marker FF D8 FF (10 bytes)"))
        // Cut short, at several places: in the headers (a libjpeg error) and in the image data (a warning
        // that strict decoding turns into an error).
        for fraction in [0.05, 0.3, 0.6, 0.95] {
            let cut = data.prefix(Int(Double(data.count) * fraction))
            guard case .badImage(let file, let detail)? = thrownImageError({ try JPEGImage(decoding: cut, source: "cut.jpg") }) else {
                XCTFail("a file cut at \(fraction) was read"); continue
            }
            XCTAssertEqual(file, "cut.jpg")
            XCTAssertTrue(detail.contains("libjpeg"), detail)
        }
        // Garbage in the middle of the entropy-coded data.
        var corrupt = data
        let start = corrupt.count / 2
        for i in start..<(start + 200) { corrupt[i] = 0xFF }
        XCTAssertNotNil(thrownImageError { try JPEGImage(decoding: corrupt, source: "corrupt.jpg") })
        // A missing file.
        XCTAssertEqual(thrownImageError { try JPEGImage(contentsOf: URL(fileURLWithPath: "/nonexistent/a.jpg")) },
                       .sourceNotFound(path: "/nonexistent/a.jpg", expected: "a JPEG file"))
    }

    /// A JPEG whose frame header (SOF0) declares 10,000² pixels: refused on the header (it used to allocate
    /// 323 MB), as is one wider than `ImageLimits.maximumSide`.
    func testJPEGDeclaringAHugeImageIsAnError() throws {
        let data = try picture(width: 84, height: 84).encoded()
        let frame = try XCTUnwrap(offset(of: [0xFF, 0xC0], in: data))
        func declaring(width: Int, height: Int) -> Data {
            var patched = data
            for (i, value) in [height >> 8, height & 0xFF, width >> 8, width & 0xFF].enumerated() { patched[frame + 5 + i] = UInt8(value) }
            return patched
        }
        XCTAssertEqual(thrownImageError { try JPEGImage(decoding: declaring(width: 10_000, height: 10_000), source: "huge.jpg") },
                       .imageTooLarge(file: "huge.jpg", width: 10_000, height: 10_000, limit: "at most 33554432 pixels"))
        // Within the pixel bound, but more pixels than a file of this size can code.
        let pixels = ImageLimits.maximumPixelsPerByte * data.count, side = Int(Double(pixels).squareRoot()) + 1
        XCTAssertLessThan(side * side, ImageLimits.maximumPixels)
        XCTAssertEqual(thrownImageError { try JPEGImage(decoding: declaring(width: side, height: side), source: "big.jpg") },
                       .imageTooLarge(file: "big.jpg", width: side, height: side,
                                      limit: "at most 8256 pixels per byte of a file of \(data.count) bytes, i.e. \(pixels) pixels"))
        XCTAssertEqual(thrownImageError { try JPEGImage(decoding: declaring(width: 20_000, height: 8), source: "wide.jpg") },
                       .imageTooLarge(file: "wide.jpg", width: 20_000, height: 8, limit: "at most 16384 pixels per side"))
        XCTAssertEqual(try JPEGImage(decoding: declaring(width: 84, height: 84)).width, 84)
    }
}

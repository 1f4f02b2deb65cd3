import Datasets
@testable import msr
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

final class SVGDocumentTests: XCTestCase {
    func testEscapedTextAndWellFormedDocument() throws {
        var svg = SVGDocument(width: 100, height: 50.5)
        svg.text("a < b & \"c\"", x: 1, y: 2, anchor: .middle, rotated: true)
        svg.line(0, 0, 10.126, 10, dashed: true)
        svg.verticalGradient(id: "g", stops: [(0, "#f00"), (1, "#00f")])
        svg.rect(x: 0, y: 0, width: 5, height: 5, fill: "url(#g)")
        let text = svg.rendered
        XCTAssertTrue(text.contains(">a &lt; b &amp; &quot;c&quot;</text>"), text)
        XCTAssertTrue(text.contains("x2=\"10.13\""), text)
        XCTAssertTrue(text.contains("width=\"100\" height=\"50.50\""), text)
        XCTAssertTrue(text.contains("rotate(-90 1 2)"))
        XCTAssertTrue(XMLParser(data: Data(text.utf8)).parse())
    }

    /// An embedded heat map is the PNG itself, base64 in a data URI, at its own size.
    func testEmbeddedPNGDecodesToTheSamePixels() throws {
        let png = PNGImage(width: 3, height: 2, channels: 3, pixels: (0..<18).map { UInt8($0 * 14) })
        var svg = SVGDocument(width: 10, height: 10)
        try svg.image(png: png, x: 4, y: 5)
        let text = svg.rendered
        XCTAssertTrue(text.contains("width=\"3\" height=\"2\""))
        let start = try XCTUnwrap(text.range(of: "base64,")).upperBound
        let end = try XCTUnwrap(text[start...].firstIndex(of: "\""))
        let data = try XCTUnwrap(Data(base64Encoded: String(text[start..<end])))
        XCTAssertEqual(try PNGImage(decoding: data, channels: 3), png)
    }
}

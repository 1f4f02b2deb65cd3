import Datasets
@testable import msr
import Tensors
import XCTest

final class HeatMapFigureTests: XCTestCase {
    /// The PNGs embedded in `svg`, in order.
    func embeddedImages(_ svg: String) throws -> [PNGImage] {
        try svg.components(separatedBy: "base64,").dropFirst().map { part in
            try PNGImage(decoding: Data(base64Encoded: String(part.prefix { $0 != "\"" }))!, channels: 3)
        }
    }

    /// Title, notes, the colour bar (gradient and its ±peak labels), the value label, panel labels and axes.
    func testFigureHasTitleColourBarAndAxes() throws {
        let a = Tensor(shape: [2, 3], values: [1, -2, 0, 0.5, 0, 4], dtype: .float64), b = Tensor(shape: [2, 3], values: [0, 0, 0, 0, 0, 2], dtype: .float64)
        let axes = HeatMapFigure.Axes(rows: "output o", columns: "input i")
        let figure = HeatMapFigure(title: "Title & more", notes: ["a note"], rows: [.init(label: "row", panels: [
            .init(label: "first", matrix: a, axes: axes), .init(label: "second", matrix: b, axes: axes)])],
            pixelsPerEntry: 10, valueLabel: "entry W[o, i]")
        let svg = try figure.svg().rendered
        for text in [">Title &amp; more</text>", ">a note</text>", ">row</text>", ">first</text>", ">second</text>", ">entry W[o, i]</text>",
                     ">4</text>", ">-4</text>", ">2</text>", ">0</text>", "url(#diverging)",
                     // Two rows of 10 px leave no room beside the panel for the rows' name: the label under it names both.
                     ">output o (rows) × input i</text>"] {
            XCTAssertTrue(svg.contains(text), "missing \(text)")
        }
        // One scale for the figure: the entry 2 is the same colour in both panels, half-way to red.
        let images = try embeddedImages(svg)
        XCTAssertEqual(images.map { $0.width }, [30, 30])
        func pixel(_ im: PNGImage, _ r: Int, _ c: Int) -> [UInt8] { let p = (r * 10 * im.width + c * 10) * 3; return Array(im.pixels[p..<(p + 3)]) }
        XCTAssertEqual(pixel(images[1], 1, 2), [255, 127, 127])
        XCTAssertEqual(pixel(images[0], 1, 2), [255, 0, 0])
        XCTAssertEqual(pixel(images[0], 0, 1), [127, 127, 255])
    }

    /// A panel tall enough carries the rows' name rotated beside it.
    func testTallPanelNamesItsRowsBesideIt() throws {
        let figure = HeatMapFigure(title: "t", notes: [], rows: [.init(label: nil, panels: [
            .init(label: nil, matrix: Tensor.zeros([30, 4]), axes: .init(rows: "output o", columns: "input i"))])], pixelsPerEntry: 4, valueLabel: "v")
        let svg = try figure.svg().rendered
        XCTAssertTrue(svg.contains(">input i</text>") && svg.contains(">output o</text>"), svg)
        XCTAssertTrue(svg.contains("rotate(-90"))
        XCTAssertEqual(figure.scalePeak, 1, "an all-zero figure still has a scale")
    }

    /// A 3×3 filter is drawn at 24 pixels per tap, each labelled with its channel.
    func testFilterBankTapsAreLargeEnoughToRead() throws {
        let bank = Tensor(shape: [2, 3, 3], values: (0..<18).map { Double($0) - 9 }, dtype: .float64)
        let figure = HeatMapFigure.filterBank(title: "t", notes: [], rows: [("field 1", bank)], firstChannels: [8], valueLabel: "tap")
        let svg = try figure.svg().rendered
        XCTAssertEqual(try embeddedImages(svg).map { $0.width }, [72, 72])
        XCTAssertTrue(svg.contains(">8</text>") && svg.contains(">9</text>"))
        XCTAssertEqual(figure.scalePeak, 9)
    }

    func testGridWrapsPanels() {
        let panels = (0..<5).map { _ in HeatMapFigure.Panel(label: nil, matrix: Tensor.zeros([1, 1]), axes: nil) }
        XCTAssertEqual(HeatMapFigure.grid(panels, columns: 2).map(\.panels.count), [2, 2, 1])
    }
}

import Datasets
import Foundation

/// A Scalable Vector Graphics picture (SVG 1.1) built element by element: the text, axes and curves of the
/// tool's figures. SVG needs no library to write and opens in any web browser; the text is real text (the
/// viewer's sans-serif font), so no font rasteriser is involved. Heat maps stay PNG, embedded as data URIs
/// drawn pixel for pixel (`image(png:…)`).
///
/// Coordinates are pixels, x to the right and y down from the top-left corner.
struct SVGDocument {
    var width: Double
    var height: Double
    private(set) var elements: [String] = []
    private var definitions: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    enum Anchor: String { case start, middle, end }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil, opacity: Double = 1) {
        elements.append("<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"\(fill)\""
                        + (stroke.map { " stroke=\"\($0)\" stroke-width=\"1\"" } ?? "") + (opacity < 1 ? " fill-opacity=\"\(n(opacity))\"" : "") + "/>")
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#000", width: Double = 1, dashed: Bool = false) {
        elements.append("<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
                        + (dashed ? " stroke-dasharray=\"5,3\"" : "") + "/>")
    }

    /// An open line through `points`.
    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dashed: Bool = false) {
        elements.append("<polyline points=\"\(pointList(points))\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
                        + " stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"5,3\"" : "") + "/>")
    }

    /// A filled closed shape (an interval band).
    mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double) {
        elements.append("<polygon points=\"\(pointList(points))\" fill=\"\(fill)\" fill-opacity=\"\(n(opacity))\" stroke=\"none\"/>")
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String) {
        elements.append("<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\"/>")
    }

    /// Text with its baseline at `y`; `rotated` turns it 90° anticlockwise about (x, y) (a y-axis label).
    mutating func text(_ string: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start, bold: Bool = false,
                       rotated: Bool = false, colour: String = "#000") {
        elements.append("<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor.rawValue)\""
                        + (bold ? " font-weight=\"bold\"" : "") + (colour == "#000" ? "" : " fill=\"\(colour)\"")
                        + (rotated ? " transform=\"rotate(-90 \(n(x)) \(n(y)))\"" : "") + ">\(Self.escaped(string))</text>")
    }

    /// A PNG drawn at its own size, pixel for pixel (no smoothing where a viewer would scale it).
    mutating func image(png: PNGImage, x: Double, y: Double) throws {
        let data = try png.encoded().base64EncodedString()
        elements.append("<image x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(png.width)\" height=\"\(png.height)\" preserveAspectRatio=\"none\""
                        + " style=\"image-rendering:pixelated;image-rendering:crisp-edges\" xlink:href=\"data:image/png;base64,\(data)\"/>")
    }

    /// A vertical linear gradient `id` from `top` to `bottom` colours through the given stops (offset 0 = top).
    mutating func verticalGradient(id: String, stops: [(offset: Double, colour: String)]) {
        definitions.append("<linearGradient id=\"\(id)\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
                           + stops.map { "<stop offset=\"\(n($0.offset))\" stop-color=\"\($0.colour)\"/>" }.joined() + "</linearGradient>")
    }

    /// The document's text.
    var rendered: String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" version=\"1.1\" "
        out += "width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" "
        out += "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        if !definitions.isEmpty { out += "<defs>" + definitions.joined() + "</defs>\n" }
        out += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        out += elements.joined(separator: "\n")
        return out + "\n</svg>\n"
    }

    /// Writes the document atomically.
    func write(to url: URL) throws { try AtomicFile.write(Data(rendered.utf8), to: url) }

    /// `text` with XML's special characters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    private func pointList(_ points: [(Double, Double)]) -> String { points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ") }

    /// A coordinate with at most two decimals.
    private func n(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }
}

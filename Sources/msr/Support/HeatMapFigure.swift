import Datasets
import Foundation
import Tensors

/// A figure of heat maps a person can read without a caption: a title and notes, rows of panels (each a
/// matrix drawn by `HeatMap`, embedded as PNG, with its own label and, where the indices mean something,
/// labelled index axes with ticks), a label per row, and one colour bar with its scale for the whole figure.
///
/// All panels share one colour scale, blue (−peak) through white (0) to red (+peak), peak the largest
/// magnitude of any entry unless given, so panels can be compared by colour. Written as SVG (`svg()`).
struct HeatMapFigure {
    /// What a panel's rows and columns index, e.g. ("output o", "input i").
    struct Axes {
        var rows: String
        var columns: String
    }

    struct Panel {
        var label: String?
        /// The matrix (R, C): entry (r, c) is drawn at row r from the top, column c from the left.
        var matrix: Tensor
        var axes: Axes?
    }

    struct Row {
        var label: String?
        var panels: [Panel]
    }

    var title: String
    /// Lines under the title: what is drawn, and how.
    var notes: [String]
    var rows: [Row]
    /// The side of one entry's square, in pixels.
    var pixelsPerEntry: Int
    /// What the colours measure, beside the colour bar.
    var valueLabel: String
    /// The magnitude drawn at full colour; nil: the largest magnitude of any entry.
    var peak: Double?

    /// A tap of a 3×3 filter is 24 pixels: large enough to read without zooming.
    static let filterTapPixels = 24

    /// Rows of small k×k filters (each row a tensor (n, k, k)), each filter labelled with its channel index
    /// (`firstChannel` + position), one tap `filterTapPixels` pixels.
    static func filterBank(title: String, notes: [String], rows: [(label: String, filters: Tensor)], firstChannels: [Int]? = nil,
                           valueLabel: String) -> HeatMapFigure {
        let figureRows = rows.enumerated().map { i, row -> Row in
            let (n, kh, kw) = (row.filters.shape[0], row.filters.shape[1], row.filters.shape[2])
            let first = firstChannels?[i] ?? 0
            let panels = (0..<n).map { c in
                Panel(label: "\(first + c)", matrix: row.filters.sliced(axis: 0, c..<(c + 1)).reshaped([kh, kw]), axes: nil)
            }
            return Row(label: row.label, panels: panels)
        }
        return HeatMapFigure(title: title, notes: notes, rows: figureRows, pixelsPerEntry: filterTapPixels, valueLabel: valueLabel)
    }

    /// `panels` in rows of at most `columns`.
    static func grid(_ panels: [Panel], columns: Int) -> [Row] {
        stride(from: 0, to: panels.count, by: max(columns, 1)).map { Row(label: nil, panels: Array(panels[$0..<min($0 + columns, panels.count)])) }
    }

    /// The shared colour scale's peak.
    var scalePeak: Double {
        if let peak { return peak }
        let largest = rows.flatMap(\.panels).map { $0.matrix.scalars.map(abs).max() ?? 0 }.max() ?? 0
        return largest > 0 && largest.isFinite ? largest : 1
    }

    // MARK: - Layout (pixels)

    private static let margin = 16.0, titleSize = 16.0, noteSize = 12.0, labelSize = 11.0
    private static let yAxisWidth = 46.0, xAxisHeight = 34.0, barWidth = 14.0

    /// Width of `text` at `size` in a sans-serif font, a generous estimate (no font metrics here).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.58 }

    func svg() throws -> SVGDocument {
        let s = Double(pixelsPerEntry), peak = scalePeak
        let panels = rows.flatMap(\.panels)
        let hasAxes = panels.contains { $0.axes != nil }, hasLabels = panels.contains { $0.label != nil }
        let rowLabelWidth = (rows.compactMap(\.label).map { Self.textWidth($0, size: 12) }.max() ?? -10) + 10
        let panelGap = hasAxes ? Self.yAxisWidth + 18 : 6
        let labelHeight = hasLabels ? 16.0 : 0
        let top = Self.margin + Self.titleSize + Double(notes.count) * 17 + 14
        let left = Self.margin + rowLabelWidth + (hasAxes ? Self.yAxisWidth : 0)

        // Rows' heights and the widest row.
        var placements: [(x: Double, y: Double, panel: Panel)] = [], rowTops: [Double] = []
        var y = top, right = left
        for row in rows {
            rowTops.append(y)
            var x = left, tallest = 0.0
            for panel in row.panels {
                placements.append((x, y + labelHeight, panel))
                // A panel's slot is at least as wide as its label and its axis name.
                let texts = [panel.label, panel.axes.map { Self.columnsLabel($0, rows: panel.matrix.shape[0], s: s) }].compactMap { $0 }
                x += max(Double(panel.matrix.shape[1]) * s, texts.map { Self.textWidth($0, size: Self.labelSize) }.max() ?? 0) + panelGap
                tallest = max(tallest, Double(panel.matrix.shape[0]) * s)
            }
            right = max(right, x - panelGap)
            y += labelHeight + tallest + (hasAxes ? Self.xAxisHeight : 0) + 10
        }
        let panelsBottom = y - 10
        let barX = right + 28, barTop = top + labelHeight
        let barHeight = min(max(panelsBottom - barTop - (hasAxes ? Self.xAxisHeight : 0), 120), 320)
        let tickLabels = [peak, peak / 2, 0, -peak / 2, -peak].map(AxisScale.label)
        let barRight = barX + Self.barWidth + 6 + (tickLabels.map { Self.textWidth($0, size: Self.labelSize) }.max() ?? 0) + 24
        let textWidth = max(Self.textWidth(title, size: Self.titleSize), notes.map { Self.textWidth($0, size: Self.noteSize) }.max() ?? 0)
        let width = max(barRight + Self.margin, Self.margin * 2 + textWidth)
        let height = max(panelsBottom, barTop + barHeight + 20) + Self.margin

        var svg = SVGDocument(width: width.rounded(.up), height: height.rounded(.up))
        svg.text(title, x: Self.margin, y: Self.margin + Self.titleSize, size: Self.titleSize, bold: true)
        for (i, note) in notes.enumerated() {
            svg.text(note, x: Self.margin, y: Self.margin + Self.titleSize + 17 * Double(i + 1), size: Self.noteSize, colour: "#333")
        }
        for (row, rowTop) in zip(rows, rowTops) {
            if let label = row.label {
                let first = row.panels.first.map { Double($0.matrix.shape[0]) * s } ?? 0
                svg.text(label, x: Self.margin, y: rowTop + labelHeight + first / 2 + 4, size: 12)
            }
        }
        for (x, y, panel) in placements {
            let (r, c) = (panel.matrix.shape[0], panel.matrix.shape[1])
            try svg.image(png: HeatMap.picture([panel.matrix], scale: pixelsPerEntry, gap: 0, sharedPeak: peak), x: x, y: y)
            svg.rect(x: x - 0.5, y: y - 0.5, width: Double(c) * s + 1, height: Double(r) * s + 1, fill: "none", stroke: "#888")
            if let label = panel.label {
                svg.text(label, x: x + Double(c) * s / 2, y: y - 4, size: Self.labelSize, anchor: .middle)
            }
            if let axes = panel.axes { drawIndexAxes(&svg, axes, x: x, y: y, rows: r, columns: c, s: s) }
        }
        drawColourBar(&svg, x: barX, y: barTop, height: barHeight, labels: tickLabels)
        return svg
    }

    /// Ticks at round indices under the panel (columns) and left of it (rows), with the axes' names.
    private func drawIndexAxes(_ svg: inout SVGDocument, _ axes: Axes, x: Double, y: Double, rows: Int, columns: Int, s: Double) {
        func ticks(_ count: Int) -> [Int] {
            let step = max(1, Int(AxisScale.niceStep(Double(count) / 5)))
            return Array(stride(from: 0, to: count, by: step))
        }
        let bottom = y + Double(rows) * s
        for t in ticks(columns) {
            let tx = x + (Double(t) + 0.5) * s
            svg.line(tx, bottom, tx, bottom + 4, stroke: "#444")
            svg.text("\(t)", x: tx, y: bottom + 15, size: Self.labelSize - 1, anchor: .middle, colour: "#333")
        }
        svg.text(Self.columnsLabel(axes, rows: rows, s: s), x: x + Double(columns) * s / 2, y: bottom + 29, size: Self.labelSize, anchor: .middle)
        for t in ticks(rows) {
            let ty = y + (Double(t) + 0.5) * s
            svg.line(x - 4, ty, x, ty, stroke: "#444")
            svg.text("\(t)", x: x - 6, y: ty + 3.5, size: Self.labelSize - 1, anchor: .end, colour: "#333")
        }
        if Self.rowsLabelFits(axes, rows: rows, s: s) {
            svg.text(axes.rows, x: x - Self.yAxisWidth + 12, y: y + Double(rows) * s / 2, size: Self.labelSize, anchor: .middle, rotated: true)
        }
    }

    /// Whether the rows' axis name fits beside a panel of `rows` rows (else the columns' label names both).
    private static func rowsLabelFits(_ axes: Axes, rows: Int, s: Double) -> Bool { textWidth(axes.rows, size: labelSize) <= Double(rows) * s }

    /// The name under a panel: the columns' axis, or both axes when the rows' name does not fit beside it.
    private static func columnsLabel(_ axes: Axes, rows: Int, s: Double) -> String {
        if rowsLabelFits(axes, rows: rows, s: s) { return axes.columns }
        return axes.rows == axes.columns ? "\(axes.columns) × \(axes.rows)" : "\(axes.rows) (rows) × \(axes.columns)"
    }

    /// The colour bar: the diverging map from +peak (top) to −peak (bottom), five labelled ticks, and what it measures.
    private func drawColourBar(_ svg: inout SVGDocument, x: Double, y: Double, height: Double, labels: [String]) {
        svg.verticalGradient(id: "diverging", stops: [(0, "#ff0000"), (0.5, "#ffffff"), (1, "#0000ff")])
        svg.rect(x: x, y: y, width: Self.barWidth, height: height, fill: "url(#diverging)", stroke: "#888")
        var widest = 0.0
        for (i, label) in labels.enumerated() {
            let ty = y + height * Double(i) / Double(labels.count - 1)
            svg.line(x + Self.barWidth, ty, x + Self.barWidth + 4, ty, stroke: "#444")
            svg.text(label, x: x + Self.barWidth + 6, y: ty + 3.5, size: Self.labelSize)
            widest = max(widest, Self.textWidth(label, size: Self.labelSize))
        }
        svg.text(valueLabel, x: x + Self.barWidth + 6 + widest + 14, y: y + height / 2, size: Self.labelSize, anchor: .middle, rotated: true)
    }

    /// Writes the figure as an SVG file, atomically.
    func write(to url: URL) throws { try svg().write(to: url) }
}

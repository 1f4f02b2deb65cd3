import Foundation

/// A figure of line charts side by side: a title and notes, then panels, each with its own title, labelled
/// axes with round ticks (`AxisScale`; the y axis linear or logarithmic), curves with optional shaded
/// interval bands, and a legend. Written as SVG (`svg()`).
struct LineChart {
    struct Series {
        var label: String
        var colour: String
        var dashed = false
        var points: [(x: Double, y: Double)]
        /// An interval around the curve (e.g. a 95% confidence interval), shaded.
        var band: [(x: Double, low: Double, high: Double)] = []
    }

    struct Panel {
        var title: String
        var xLabel: String
        var yLabel: String
        var series: [Series]
        var logarithmicY = false
    }

    var title: String
    var notes: [String]
    var panels: [Panel]

    private static let margin = 16.0, plotWidth = 420.0, plotHeight = 260.0
    private static let leftAxis = 64.0, bottomAxis = 42.0, panelGap = 36.0, panelTitle = 22.0, legendRow = 18.0

    func svg() -> SVGDocument {
        let top = Self.margin + 16 + Double(notes.count) * 17 + 16
        let legendRows = Double(panels.map(\.series.count).max() ?? 0)
        let panelWidth = Self.leftAxis + Self.plotWidth
        let width = Self.margin * 2 + Double(panels.count) * panelWidth + Double(max(panels.count - 1, 0)) * Self.panelGap
        let height = top + Self.panelTitle + Self.plotHeight + Self.bottomAxis + legendRows * Self.legendRow + Self.margin
        let titleWidth = max(HeatMapFigure.textWidth(title, size: 16), notes.map { HeatMapFigure.textWidth($0, size: 12) }.max() ?? 0)
        var svg = SVGDocument(width: max(width, titleWidth + 2 * Self.margin).rounded(.up), height: height.rounded(.up))
        svg.text(title, x: Self.margin, y: Self.margin + 16, size: 16, bold: true)
        for (i, note) in notes.enumerated() {
            svg.text(note, x: Self.margin, y: Self.margin + 16 + 17 * Double(i + 1), size: 12, colour: "#333")
        }
        for (i, panel) in panels.enumerated() {
            let left = Self.margin + Double(i) * (panelWidth + Self.panelGap) + Self.leftAxis
            draw(panel, &svg, left: left, top: top)
        }
        return svg
    }

    private func draw(_ panel: Panel, _ svg: inout SVGDocument, left: Double, top: Double) {
        let plotTop = top + Self.panelTitle, bottom = plotTop + Self.plotHeight, right = left + Self.plotWidth
        svg.text(panel.title, x: left + Self.plotWidth / 2, y: top + 12, size: 13, anchor: .middle, bold: true)
        let xs = panel.series.flatMap { $0.points.map(\.x) + $0.band.map(\.x) }
        let ys = panel.series.flatMap { $0.points.map(\.y) + $0.band.flatMap { [$0.low, $0.high] } }
        let x = AxisScale(covering: xs, logarithmic: false, from: left, to: right, includeZero: true)
        let y = AxisScale(covering: ys, logarithmic: panel.logarithmicY, from: bottom, to: plotTop)
        // Grid and ticks.
        for t in x.ticks {
            let px = x.position(t)
            svg.line(px, plotTop, px, bottom, stroke: "#e4e4e4")
            svg.line(px, bottom, px, bottom + 4, stroke: "#444")
            svg.text(AxisScale.label(t), x: px, y: bottom + 16, size: 11, anchor: .middle, colour: "#333")
        }
        for t in y.ticks {
            let py = y.position(t)
            svg.line(left, py, right, py, stroke: "#e4e4e4")
            svg.line(left - 4, py, left, py, stroke: "#444")
            svg.text(AxisScale.label(t), x: left - 6, y: py + 4, size: 11, anchor: .end, colour: "#333")
        }
        svg.rect(x: left, y: plotTop, width: Self.plotWidth, height: Self.plotHeight, fill: "none", stroke: "#444")
        svg.text(panel.xLabel, x: left + Self.plotWidth / 2, y: bottom + 33, size: 12, anchor: .middle)
        svg.text(panel.yLabel + (panel.logarithmicY ? " (log scale)" : ""), x: left - Self.leftAxis + 14, y: plotTop + Self.plotHeight / 2,
                 size: 12, anchor: .middle, rotated: true)
        // Bands under the curves, curves, then points (a lone evaluation is a dot).
        func clamped(_ v: Double) -> Double { panel.logarithmicY ? max(v, y.low) : v }
        for s in panel.series where !s.band.isEmpty {
            let band = s.band.filter { $0.low.isFinite && $0.high.isFinite }
            let upper = band.map { (x.position($0.x), y.position(clamped($0.high))) }
            let lower = band.reversed().map { (x.position($0.x), y.position(clamped($0.low))) }
            svg.polygon(upper + lower, fill: s.colour, opacity: 0.2)
        }
        for s in panel.series {
            let points = s.points.filter { $0.y.isFinite && (!panel.logarithmicY || $0.y > 0) }.map { (x.position($0.x), y.position($0.y)) }
            if points.count > 1 { svg.polyline(points, stroke: s.colour, dashed: s.dashed) }
            for (px, py) in points { svg.circle(x: px, y: py, radius: 2.5, fill: s.colour) }
        }
        // Legend under the axis label.
        for (i, s) in panel.series.enumerated() {
            let ly = bottom + Self.bottomAxis + Self.legendRow * Double(i) + 6
            if !s.band.isEmpty { svg.rect(x: left, y: ly - 6, width: 24, height: 12, fill: s.colour, opacity: 0.2) }
            svg.line(left, ly, left + 24, ly, stroke: s.colour, width: 2, dashed: s.dashed)
            svg.text(s.label, x: left + 30, y: ly + 4, size: 12)
        }
    }

    /// Writes the figure as an SVG file, atomically.
    func write(to url: URL) throws { try svg().write(to: url) }
}

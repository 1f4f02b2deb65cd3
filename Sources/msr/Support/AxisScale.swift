import Foundation

/// One axis of a chart: the data interval it shows, linear or logarithmic, mapped onto a pixel interval, with
/// tick values at round numbers (1, 2 or 5 times a power of ten; on a log axis the powers of ten, and 2 and 5
/// times them when the axis spans fewer than three decades).
struct AxisScale {
    var low: Double
    var high: Double
    var logarithmic: Bool
    /// The pixel positions of `low` and `high` (for a y axis, `low` is at the bottom: `start` > `end`).
    var start: Double
    var end: Double

    /// An axis over the data `values` (non-finite ones ignored; non-positive ones too on a log axis), widened
    /// to round tick values at both ends on a linear axis.
    init(covering values: [Double], logarithmic: Bool, from start: Double, to end: Double, includeZero: Bool = false) {
        var finite = values.filter { $0.isFinite && (!logarithmic || $0 > 0) }
        if includeZero && !logarithmic { finite.append(0) }
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if lo == hi { (lo, hi) = logarithmic ? (lo / 2, hi * 2) : (lo - max(abs(lo), 1) * 0.5, hi + max(abs(hi), 1) * 0.5) }
        if logarithmic {
            (self.low, self.high) = (pow(10, (log10(lo) * 10).rounded(.down) / 10), pow(10, (log10(hi) * 10).rounded(.up) / 10))
        } else {
            let step = Self.niceStep((hi - lo) / 5)
            (self.low, self.high) = ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
        }
        self.logarithmic = logarithmic
        self.start = start
        self.end = end
    }

    /// The pixel position of `value`.
    func position(_ value: Double) -> Double {
        let t = logarithmic ? (log10(value) - log10(low)) / (log10(high) - log10(low)) : (value - low) / (high - low)
        return start + t * (end - start)
    }

    /// Round tick values inside the axis.
    var ticks: [Double] {
        if logarithmic {
            let decades = Int((log10(low)).rounded(.down))...Int((log10(high)).rounded(.up))
            let multiples: [Double] = log10(high) - log10(low) <= 3 ? [1, 2, 5] : [1]
            return decades.flatMap { d in multiples.map { $0 * pow(10, Double(d)) } }.filter { $0 >= low * 0.999 && $0 <= high * 1.001 }
        }
        let step = Self.niceStep((high - low) / 5)
        let first = (low / step).rounded(.up)
        return stride(from: first, through: (high / step).rounded(.down), by: 1).map { $0 * step }
    }

    /// 1, 2 or 5 times a power of ten, the first at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, (log10(rough)).rounded(.down))
        return [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough * 0.999 } ?? 10 * power
    }

    /// A tick label: up to four significant digits, no trailing zeros, exponent form for very small or large.
    static func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return String(format: "%.3g", value) }
        var s = String(format: "%.4g", value)
        if s.contains("."), !s.contains("e") { while s.hasSuffix("0") { s.removeLast() }; if s.hasSuffix(".") { s.removeLast() } }
        return s
    }
}

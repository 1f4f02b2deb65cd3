import Foundation

/// Mean of a sample and the half-width of its two-sided 95% Student-t confidence interval,
/// t₀.₉₇₅,ₙ₋₁ · s/√n with s the sample standard deviation (as `scipy.stats.t.interval(0.95, n−1, loc, sem)`).
public struct MeanWithInterval: Sendable, Codable, Equatable {
    public var mean: Double
    public var halfWidth95: Double
    public var count: Int

    public init(_ values: [Double]) {
        count = values.count
        mean = values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { halfWidth95 = .nan; return }
        let m = mean
        let variance = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)
        halfWidth95 = StudentT.quantile(0.975, degreesOfFreedom: Double(values.count - 1)) * (variance / Double(values.count)).squareRoot()
    }
}

/// Student's t distribution.
public enum StudentT {
    /// P(T ≤ t) for ν degrees of freedom: 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t ≥ 0.
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        // tail = ½·I_x(ν/2, ½) with x = ν/(ν+t²); for small t use I_x(ν/2, ½) = 1 − I_y(½, ν/2),
        // y = t²/(ν+t²) = 1 − x, computed directly so that it keeps its precision.
        let x = nu / (nu + t * t), y = t * t / (nu + t * t)
        let tail = x > 0.5 ? 0.5 * (1 - regularizedIncompleteBeta(y, a: 0.5, b: nu / 2))
                           : 0.5 * regularizedIncompleteBeta(x, a: nu / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile, by bisection on the CDF (to ~1e-12).
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1 && nu > 0)
        var lo = -1e3, hi = 1e3
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if cdf(mid, degreesOfFreedom: nu) < p { lo = mid } else { hi = mid }
            if hi - lo < 1e-13 { break }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b), by the continued fraction of Numerical Recipes §6.4 (modified Lentz), using the symmetry
    /// I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnPowers: Double = a * Foundation.log(x) + b * Foundation.log(1 - x)
        let lnFront = lnBeta + lnPowers
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if Swift.abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if Swift.abs(d) < tiny { d = tiny }
            c = 1 + even / c; if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d; f *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if Swift.abs(d) < tiny { d = tiny }
            c = 1 + odd / c; if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if Swift.abs(delta - 1) < 1e-15 { break }
        }
        return Foundation.exp(lnFront) * f / a
    }
}

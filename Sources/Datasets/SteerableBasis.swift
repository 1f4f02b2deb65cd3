import Foundation

/// The steerable filter basis that e2cnn's `R2Conv` builds for a 3×3 kernel from one scalar channel to a
/// regular field of C8 or D8 (default settings: rings at radii 0 and 1, widths 0.005 and 0.4, angular
/// frequencies up to 2 on the outer ring). Six functions of a point p = (u, v) of the plane, with
/// r = |p| and θ its angle (u = column − centre rightwards, v = centre − row upwards):
///
///     b0(p) = G(r; 0, 0.005)                                centre (in effect the centre tap alone)
///     b1(p) = G(r; 1, 0.4)                                  ring, radial
///     b2(p) = G(r; 1, 0.4) · cos θ   = G · u / r             ring, frequency 1
///     b3(p) = G(r; 1, 0.4) · sin θ   = G · v / r
///     b4(p) = G(r; 1, 0.4) · cos 2θ  = G · (u² − v²) / r²    ring, frequency 2
///     b5(p) = G(r; 1, 0.4) · sin 2θ  = G · 2uv / r²
///
/// with the Gaussian ring G(r; r₀, σ) = exp(−(r − r₀)² / (2σ²)), and b2…b5 = 0 at r = 0, where θ is
/// undefined (otherwise the 90° symmetry of the sampled filters breaks). On the 3×3 grid, b0 is 1 at the
/// centre and 0 elsewhere; b1 is 1 on the four edge taps (r = 1), e^(−(√2 − 1)²/0.32) ≈ 0.585 on the corners
/// (r = √2) and e^(−1/0.32) ≈ 0.044 at the centre.
///
/// A base filter ψ = Σᵢ aᵢ bᵢ is a continuous function; the filter of group element g is ψ ∘ g⁻¹ sampled at
/// the 9 taps, i.e. the basis is evaluated at the taps moved by g⁻¹ (see `SyntheticRotationProblem` for the
/// group elements). The copies for 90° rotations and for the mirror are therefore exact permutations of the
/// taps; those for odd multiples of 45° are exact rotations of ψ, sampled on the grid.
public enum SteerableBasis {
    /// Number of basis functions.
    public static let count = 6
    /// The kernel is kernelSize × kernelSize taps.
    public static let kernelSize = 3
    /// The Gaussian rings (radius r₀, width σ), as e2cnn chooses them for a 3×3 kernel.
    public static let rings: [(radius: Double, width: Double)] = [(0, 0.005), (1, 0.4)]
    /// Short names of b0…b5, for reports.
    public static let names = ["centre", "ring", "ring·cos θ", "ring·sin θ", "ring·cos 2θ", "ring·sin 2θ"]

    /// G(r; r₀, σ) = exp(−(r − r₀)² / (2σ²)).
    static func gaussianRing(_ r: Double, radius r0: Double, width sigma: Double) -> Double {
        Foundation.exp(-(r - r0) * (r - r0) / (2 * sigma * sigma))
    }

    /// bᵢ(u, v), for `index` in 0..<6.
    public static func value(_ index: Int, u: Double, v: Double) -> Double {
        precondition(0 <= index && index < count, "SteerableBasis.value: index \(index) is outside 0..<\(count)")
        let r2 = u * u + v * v, r = r2.squareRoot()
        if index == 0 { return gaussianRing(r, radius: rings[0].radius, width: rings[0].width) }
        let ring = gaussianRing(r, radius: rings[1].radius, width: rings[1].width)
        if index == 1 { return ring }
        if r2 == 0 { return 0 }
        switch index {
        case 2: return ring * u / r
        case 3: return ring * v / r
        case 4: return ring * (u * u - v * v) / r2
        default: return ring * 2 * u * v / r2
        }
    }

    /// cos and sin of 45°·k, exact at multiples of 90° (so that 90° rotations of the taps are exact).
    static func eighthTurn(_ k: Int) -> (cos: Double, sin: Double) {
        let h = 0.5.squareRoot()
        let table: [(Double, Double)] = [(1, 0), (h, h), (0, 1), (-h, h), (-1, 0), (-h, -h), (0, -1), (h, -h)]
        return table[((k % 8) + 8) % 8]
    }

    /// The basis sampled for group element g = R(45°·eighthTurns) · M^mirrored: bᵢ(g⁻¹ p) at the taps p of
    /// the kernel, g⁻¹ p = M^mirrored · R(−45°·eighthTurns) · p.
    ///
    /// - Returns: (6, 3, 3) row-major as 54 values: basis function, then tap row (top first), then column.
    public static func sampled(eighthTurns: Int, mirrored: Bool = false) -> [Double] {
        let (c, s) = eighthTurn(-eighthTurns)
        let half = Double(kernelSize / 2)
        var out = [Double](repeating: 0, count: count * kernelSize * kernelSize)
        for row in 0..<kernelSize {
            for column in 0..<kernelSize {
                let u = Double(column) - half, v = half - Double(row)
                var (gu, gv) = (c * u - s * v, s * u + c * v)
                if mirrored { gu = -gu }
                for i in 0..<count {
                    out[(i * kernelSize + row) * kernelSize + column] = value(i, u: gu, v: gv)
                }
            }
        }
        return out
    }
}

import Foundation

/// The filter basis of the scale-equivariant task family (`SyntheticScaleTasks`): the six Hermite–Gaussian
/// functions of order n + m ≤ 2, the basis scale-equivariant steerable networks dilate (Sosnovik, Szmaja &
/// Smeulders, "Scale-Equivariant Steerable Networks", ICLR 2020; Ghosh & Gupta, "Scale Steerable Filters for
/// Locally Scale-Invariant Convolutional Neural Networks", 2019). With x = u/σ, y = v/σ at a point p = (u, v)
/// of the plane (u = column − centre rightwards, v = centre − row upwards) and the envelope
/// G(p) = exp(−(u² + v²)/(2σ²)):
///
///     b0 = G                  order 0 (the mean)
///     b1 = x · G,  b2 = y · G                     order 1 (first derivatives of G, up to sign and σ)
///     b3 = (x² − 1) · G,  b4 = x·y · G,  b5 = (y² − 1) · G     order 2
///
/// (He₂(x) = x² − 1 is the probabilists' Hermite polynomial.) A base filter ψ = Σᵢ aᵢ bᵢ is a smooth,
/// Gaussian-windowed function, so its dilations are well defined: the filter at scale s is
///
///     ψ_s(p) = ψ(p / s) / s²,
///
/// the 1/s² keeping its integral (the response to a constant image), which is what makes magnifying the input
/// by λ turn the response at scale s into the response at scale λ·s exactly in the continuum (see
/// `SyntheticScaleTasks`). σ = 0.7 pixel is chosen for the scales 1, √2, 2 on a 9×9 kernel: wide enough that
/// at scale 1 the Gaussian's spectrum is small near 2π (the error of a sum over taps against the integral it
/// stands for), narrow enough that at scale 2 (σ_eff = 1.4) the 9×9 window cuts off little (the envelope is
/// e^(−4.1) ≈ 0.017 at the outermost taps, 4 px from the centre). Smaller σ aliases at scale 1, larger σ is
/// truncated at scale 2; both raise the family's equivariance error (a NumPy prototype of the tests' check,
/// smooth image of small bumps: σ 0.6 / 0.7 / 0.8 gave relative errors of about 0.11 / 0.02 / 0.03).
public enum HermiteGaussianBasis {
    /// Number of basis functions.
    public static let count = 6
    /// σ, the width of the Gaussian envelope at scale 1, in pixels.
    public static let width = 0.7
    /// Short names of b0…b5, for reports.
    public static let names = ["G", "x·G", "y·G", "(x²−1)·G", "x·y·G", "(y²−1)·G"]

    /// bᵢ(u, v) at scale 1, for `index` in 0..<6.
    public static func value(_ index: Int, u: Double, v: Double) -> Double {
        precondition(0 <= index && index < count, "HermiteGaussianBasis.value: index \(index) is outside 0..<\(count)")
        let (x, y) = (u / width, v / width)
        let g = Foundation.exp(-(x * x + y * y) / 2)
        switch index {
        case 0: return g
        case 1: return x * g
        case 2: return y * g
        case 3: return (x * x - 1) * g
        case 4: return x * y * g
        default: return (y * y - 1) * g
        }
    }

    /// The basis dilated to `scale` s and sampled at the taps p of a `kernelSize` × `kernelSize` kernel
    /// (odd, centred): bᵢ(p / s) / s².
    ///
    /// - Returns: (6, k, k) row-major as 6·k² values: basis function, then tap row (top first), then column.
    public static func sampled(scale s: Double, kernelSize k: Int) -> [Double] {
        precondition(k % 2 == 1 && k > 0, "HermiteGaussianBasis.sampled: kernel size \(k) must be odd")
        precondition(s > 0, "HermiteGaussianBasis.sampled: scale \(s) must be positive")
        let half = Double(k / 2)
        var out = [Double](repeating: 0, count: count * k * k)
        for row in 0..<k {
            for column in 0..<k {
                let (u, v) = (Double(column) - half, half - Double(row))
                for i in 0..<count { out[(i * k + row) * k + column] = value(i, u: u / s, v: v / s) / (s * s) }
            }
        }
        return out
    }
}

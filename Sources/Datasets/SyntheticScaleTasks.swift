import Foundation
import Tensors

/// A 2-D synthetic task family equivariant to rescaling (`2d_scale`), for the scale column of the paper's
/// 2-D table (section 5.1), which the reference code has no generator for. Every task is a convolution from
/// 1 input channel to 3 fields, each field one random continuous filter sampled at the S = 3 scales
/// s_k = √2^k = 1, √2, 2:
///
///     y[n, c] = x[n, 0] ⋆ w[c],    c = f · S + k,   C_out = 3 · S = 9
///     w[c](p) = ψ_f(p / s_k) / s_k²,    ψ_f = Σ_{i<6} a[f, i] · bᵢ,    a[f, i] ~ N(0, σ_a²)
///
/// (9×9 cross-correlation as `Tensor.conv2d`, no padding, no bias), with the six Hermite–Gaussian functions
/// bᵢ of `HermiteGaussianBasis`, inputs x (20, 1, 32, 32) drawn from N(0, 1) and targets y (20, 9, 24, 24),
/// Float32. Channel c is field c / S at scale index c % S.
///
/// Why this family. Let L_λ magnify an image by λ, (L_λ x)(p) = x(p / λ). In the continuum,
///
///     (L_λ x ⋆ ψ_s)(q) = ∫ ψ(p / s) / s² · x((q + p) / λ) dp = (x ⋆ ψ_{s/λ})(q / λ) = L_λ (x ⋆ ψ_{s/λ})(q)
///
/// (substitute p = λ·p′), so with λ = √2, the ratio of neighbouring scales, magnifying the input moves every
/// field's responses up one scale: f(L_λ x)[f·S + k + 1] = L_λ f(x)[f·S + k] for k < S − 1. This is the
/// rotation families' "transform the input, permute the channels" with scale in place of rotation. It is
/// approximate on the grid (measured relative error 0.012 on a smooth image, against 1.6 for independent
/// random filters per channel: `SyntheticScaleTasksTests`), for three reasons: the sum over
/// taps stands for the integral (exact enough for smooth filters: ψ is Gaussian-windowed, so band-limited to
/// the sampling accuracy at scale 1, and smoother at the larger scales), the 9×9 window truncates ψ at scale
/// 2, and the scales form a truncated semigroup, not a group: channel 0 of a field (scale 1) has no smaller
/// scale to come from, and L_λ moves scale 2 out of the bank. The filters of one field therefore span the
/// scales of one object, as in scale-equivariant steerable networks (Sosnovik et al., ICLR 2020: dilated
/// Hermite–Gaussian filters at a few scales, a kernel larger than 3×3 because a filter at scale 2 needs
/// room), and every task's bank lies in the 3 × 6 = 18-dimensional span of the sampled, dilated basis of
/// the 9·81 = 729 bank entries: the weight sharing MSR can learn. The 1/s² keeps a filter's integral
/// (its response to a flat image) across scales; the price is that the larger scales respond less to white
/// noise (‖w‖² falls about as 1/s²: 6.5, 2.9, 1.4 summed over the basis; the targets' variance by scale is about
/// 4.5 : 2.0 : 1).
///
/// σ_a follows He's initialisation for a linear map, σ_a² = 1 / E_k Σᵢ ‖bᵢ at scale s_k‖² (the mean over the
/// S scales), so E‖w[c]‖² = 1 averaged over the channels and the targets' variance is 1 on average for N(0, 1)
/// inputs (`coefficientScale` ≈ 0.525). Filters are computed in Float64 and rounded to Float32.
///
/// Tasks are made on demand from (`seed`, index), as `SyntheticRotationTasks` does: task `i` follows from its
/// own SplitMix64 stream, seeded by (`seed`, family, i): first the 18 coefficients a (3 × 6, Box–Muller in
/// Double), then the 20,480 input values (`fillStandardNormalPairs`).
public struct SyntheticScaleTasks: TaskFamily {
    public static let imageSize = BasisFilterBankTasks.imageSize
    public static let kernelSize = 9
    public static let outputSize = imageSize - kernelSize + 1
    public static let examplesPerTask = BasisFilterBankTasks.examplesPerTask
    /// Number of output fields (base filters) of every task.
    public static let fieldCount = 3
    /// λ = √2, the ratio of neighbouring scales.
    public static let scaleRatio = 2.0.squareRoot()
    /// s_k = λ^k: 1, √2, 2.
    public static let scales = [1.0, scaleRatio, 2.0]
    /// S, the channels of one field.
    public static var scaleCount: Int { scales.count }
    /// C_out = 3 · S = 9.
    public static var outputChannels: Int { fieldCount * scaleCount }
    /// The dimension of the span every task's bank lies in: 3 fields × 6 basis functions.
    public static var taskSpaceDimension: Int { fieldCount * HermiteGaussianBasis.count }
    /// Tasks in a family by default, as the rotation family `2d_rot8` (the first 80% for meta-training).
    public static let defaultTaskCount = 10_000

    /// The shared construction, with the basis sampled at each scale: (S, 6, 81).
    private let tasks: BasisFilterBankTasks

    public var count: Int { tasks.count }
    public var seed: UInt64 { tasks.seed }
    /// σ_a, the standard deviation of the basis coefficients a[f, i].
    public var coefficientScale: Double { tasks.coefficientScale }

    /// (1, 32, 32)
    public var inputShape: [Int] { [1, Self.imageSize, Self.imageSize] }
    /// (9, 24, 24)
    public var targetShape: [Int] { [Self.outputChannels, Self.outputSize, Self.outputSize] }
    /// (9, 1, 9, 9), the shape of a task's filter bank.
    public var filterBankShape: [Int] { tasks.filterBankShape }

    /// - Parameters:
    ///   - count: number of tasks; by default 10,000 (`defaultTaskCount`).
    ///   - seed: the seed every task follows from.
    public init(count: Int? = nil, seed: UInt64 = 0) {
        let count = count ?? Self.defaultTaskCount
        precondition(count >= 0, "SyntheticScaleTasks: count \(count) must be ≥ 0")
        // The family seed is salted so that this family shares inputs with neither rotation family.
        tasks = BasisFilterBankTasks(count: count, seed: seed, salt: 0x0002_5CA1, fieldCount: Self.fieldCount,
                                     channelsPerField: Self.scaleCount, basisCount: HermiteGaussianBasis.count,
                                     kernelSize: Self.kernelSize, sampledBasis: Self.sampledBasis)
    }

    /// bᵢ(p / s_k) / s_k² for every scale: (S, 6, 81) values, scale-major.
    public static var sampledBasis: [Double] {
        scales.flatMap { HermiteGaussianBasis.sampled(scale: $0, kernelSize: kernelSize) }
    }

    /// The channel of field `field` at scale index `scale`: field · S + scale.
    public static func channel(field: Int, scale: Int) -> Int {
        precondition(0 <= field && field < fieldCount && 0 <= scale && scale < scaleCount,
                     "channel(field:scale:): (\(field), \(scale)) is outside 0..<\(fieldCount) × 0..<\(scaleCount)")
        return field * scaleCount + scale
    }

    /// Where magnifying the input by λ^steps (`steps` > 0; < 0 shrinks it) moves each channel's response:
    /// f(L x)[c] ≈ L f(x)[source[c]], with source[f·S + k] = f·S + k − steps, or nil where k − steps falls
    /// outside the bank's scales (no channel predicts that response). Length C_out.
    public static func sourceChannels(scaleSteps steps: Int) -> [Int?] {
        (0..<outputChannels).map { c in
            let (f, k) = (c / scaleCount, c % scaleCount - steps)
            return (0..<scaleCount).contains(k) ? f * scaleCount + k : nil
        }
    }

    // MARK: - Filters

    /// The basis coefficients a of task `index`: (3, 6), Float64 (field, basis function).
    public func coefficients(at index: Int) -> Tensor { tasks.coefficients(at: index) }

    /// The filter bank w of task `index`: (9, 1, 9, 9), Float32, channel f · S + k for field f at scale s_k.
    public func filterBank(at index: Int) -> Tensor { tasks.filterBank(at: index) }

    /// The filter banks of all tasks: (count, 9, 1, 9, 9), Float32 (29 MB for 10,000 tasks).
    public func filterBanks() -> Tensor { tasks.filterBanks() }

    // MARK: - Tasks

    /// Task `index`: inputs (20, 1, 32, 32), targets (20, 9, 24, 24), Float32.
    public func task(at index: Int) -> TaskExamples { tasks.task(at: index) }
}

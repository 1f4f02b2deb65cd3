import Foundation
import Tensors

/// The 2-D synthetic task families of the paper (section 5.1, rotation and flip equivariance), as the
/// reference's `generate_synthetic_data.py` makes them with e2cnn: every task is a random G-equivariant
/// convolution (G = C8 or D8, see `SyntheticRotationProblem`) from 1 input channel to 3 regular fields,
///
///     y[n, c] = x[n, 0] ⋆ w[c],    c = 0..<C_out,  C_out = 3 · |G| (24 or 48)
///
/// (3×3 cross-correlation as `Tensor.conv2d`, no padding, no bias), with inputs x (20, 1, 32, 32) drawn
/// from N(0, 1) and targets y (20, C_out, 30, 30), both Float32. The filter of channel c = f · |G| + k,
/// field f and group element g = element k, is the field's base filter moved by g:
///
///     w[c](p) = ψ_f(g⁻¹ p),    ψ_f = Σ_{i<6} a[f, i] · bᵢ,    a[f, i] ~ N(0, s²)
///
/// with the six basis functions bᵢ of `SteerableBasis` evaluated at the moved taps (so the copies are
/// exact rotations and reflections of one continuous filter). The scale s follows He's initialisation for
/// a linear map: s² = 1 / E_g Σᵢ ‖bᵢ ∘ g⁻¹‖², which makes E‖w[c]‖² = 1 averaged over the channels and so
/// the targets' variance 1 on average for N(0, 1) inputs (`coefficientScale`: s² = 1/17.1, s ≈ 0.242; the
/// variance of one task's targets ranges about 0.3…2.3). Filters are computed in Float64 and rounded to Float32.
///
/// Tasks are made on demand (the targets of 10,000 `2d_rot8` tasks take 17 GB): task `i` follows from
/// its own SplitMix64 stream, seeded by (`seed`, problem, i): first the 18 coefficients a (3 × 6, Box–Muller
/// in Double), then the 20,480 input values (`fillStandardNormalPairs`). One task is one conv2d of
/// (20, 1, 32, 32) with a (C_out, 1, 3, 3) filter bank: about 0.3 ms (C8) and 0.4 ms (D8) in a release
/// build on 2 cores, half of it drawing the inputs (`testTaskTime`).
public struct SyntheticRotationTasks: TaskFamily {
    public static let imageSize = BasisFilterBankTasks.imageSize
    public static let outputSize = 30
    public static let kernelSize = SteerableBasis.kernelSize
    public static let examplesPerTask = BasisFilterBankTasks.examplesPerTask

    public let problem: SyntheticRotationProblem
    /// The shared construction, with the basis sampled for each group element: (|G|, 6, 9).
    private let tasks: BasisFilterBankTasks

    public var count: Int { tasks.count }
    public var seed: UInt64 { tasks.seed }
    /// s, the standard deviation of the basis coefficients a[f, i].
    public var coefficientScale: Double { tasks.coefficientScale }

    /// (1, 32, 32)
    public var inputShape: [Int] { [1, Self.imageSize, Self.imageSize] }
    /// (C_out, 30, 30)
    public var targetShape: [Int] { [problem.outputChannels, Self.outputSize, Self.outputSize] }

    /// - Parameters:
    ///   - count: number of tasks; by default the reference's (`problem.defaultTaskCount`).
    ///   - seed: the seed every task follows from.
    public init(problem: SyntheticRotationProblem, count: Int? = nil, seed: UInt64 = 0) {
        let count = count ?? problem.defaultTaskCount
        precondition(count >= 0, "SyntheticRotationTasks: count \(count) must be ≥ 0")
        self.problem = problem
        var basis: [Double] = []
        for k in 0..<problem.groupOrder {
            let (mirrored, turns) = problem.element(ofChannel: k)
            basis += SteerableBasis.sampled(eighthTurns: turns, mirrored: mirrored)
        }
        // The family seed is salted with the problem, so that the two problems do not share inputs.
        tasks = BasisFilterBankTasks(count: count, seed: seed, salt: problem == .rot8 ? 0x0002_D807 : 0x0002_D8F1,
                                     fieldCount: SyntheticRotationProblem.fieldCount, channelsPerField: problem.groupOrder,
                                     basisCount: SteerableBasis.count, kernelSize: Self.kernelSize, sampledBasis: basis)
    }

    // MARK: - Filters

    /// The basis coefficients a of task `index`: (3, 6), Float64 (field, basis function).
    public func coefficients(at index: Int) -> Tensor { tasks.coefficients(at: index) }

    /// The filter bank w of task `index`: (C_out, 1, 3, 3), Float32, channels as `SyntheticRotationProblem`
    /// orders them.
    public func filterBank(at index: Int) -> Tensor { tasks.filterBank(at: index) }

    /// The filter banks of all tasks: (count, C_out, 1, 3, 3), Float32 (17 MB for 10,000 tasks of D8).
    public func filterBanks() -> Tensor { tasks.filterBanks() }

    // MARK: - Tasks

    /// Task `index`: inputs (20, 1, 32, 32), targets (20, C_out, 30, 30), Float32.
    public func task(at index: Int) -> TaskExamples { tasks.task(at: index) }

    // MARK: - Files

    /// Checks the shape of a file's targets `y`: (tasks, 20, C_out, 30, 30) with C_out = 24 or 48.
    static func checkTargetShape(_ y: [Int], source: String) throws {
        let channels = SyntheticRotationProblem.allCases.map(\.outputChannels)
        guard channels.contains(where: { y.dropFirst() == [examplesPerTask, $0, outputSize, outputSize] }) else {
            let choices = channels.map(String.init).joined(separator: " or ")
            throw DatasetError.wrongShape(source: source, name: "y",
                                          expected: "(tasks, \(examplesPerTask), \(choices), \(outputSize), \(outputSize))",
                                          actual: y)
        }
    }
}

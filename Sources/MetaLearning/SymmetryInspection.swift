import Datasets
import NeuralNets
import Symmetry
import Tensors

/// Which symmetries a trained model's weights respect: equivariance defects against candidate groups.
///
/// For each candidate, the defect of the weights the model uses (0 = exactly equivariant, about 1 =
/// unstructured): for MSR, W = reshape(U·v) over random v (what the learned symmetry matrix can express)
/// and the weights adapted to held-out tasks; for MAML baselines, the meta-learned initial weights and
/// the adapted ones.
public struct SymmetryInspection: Codable, Sendable {
    public struct Measure: Codable, Sendable {
        /// Mean defect over W = reshape(U·v) with random v (MSR models only).
        public var randomV: Double?
        public var initial: Double
        public var adapted: Double
        /// Mean defect of the inner step's update of the effective weights (convolutions only): where the
        /// symmetry lives when it is learned as a preconditioner (MSR-Conv's full-rank factors).
        public var update: Double? = nil
        /// Mean defect of the inner step's direction for a random (unstructured) gradient of the effective
        /// filters: K·Kᵀ·g with K = A ⊗ B ⊗ C for MSR-Conv, g itself for a plain convolution. Low when the
        /// learned preconditioner maps any error signal onto symmetric updates.
        public var randomGradientUpdate: Double? = nil
        /// The figure that answers "which symmetry did it learn": random v for MSR-FC, adapted otherwise.
        public var headline: Double { randomV ?? adapted }
    }

    /// For convolutions: mean relative error of each adapted channel from the best exact grid transform of
    /// its field's reference channel (`FilterBankSymmetry.rotatedCopiesError`).
    public var rotatedCopiesError: Double? = nil
    /// For convolutions on 2d_scale: how far the banks are from rescaled copies of one filter per field.
    public var rescaledCopies: RescaledCopies? = nil

    /// For each scale step 1 → √2 and √2 → 2, the mean relative error of each field's next-scale channel from
    /// its channel at this scale resampled one scale up (`SyntheticScaleTasks.rescaledCopiesErrors`: 0 for
    /// the family's banks, about 1.6 for independent filters), over fields and the banks measured.
    public struct RescaledCopies: Codable, Sendable {
        /// W = reshape(U·v) for random v (msr-conv-full only): whether U itself holds the rescaling.
        public var randomV: [Double]?
        public var initial: [Double]
        /// The banks adapted to held-out tasks.
        public var adapted: [Double]
        /// Their inner-loop updates W_adapted − W_initial.
        public var update: [Double]
        /// The inner step's direction P·g for random gradients g (`Measure.randomGradientUpdate`).
        public var randomGradientUpdate: [Double]
    }
    /// For MSR-Conv: spectra and channel coupling of the learned factors.
    public var factors: FactorStructure? = nil
    /// For msr-conv-full: what the learned dense symmetry matrix U looks like.
    public var symmetryMatrix: SymmetryMatrixStructure? = nil
    /// For convolutions: the inner step as a preconditioned gradient step ΔW = −α·P·∇_W L (P = I for
    /// MAML-Conv, K·Kᵀ with K = A ⊗ B ⊗ C for MSR-Conv, U·Uᵀ for msr-conv-full), and how it treats the
    /// tasks' filter space.
    public var innerStep: InnerStepStructure? = nil

    public var model: String
    public var problem: String
    /// For convolutions: the size of the channel fields the c4 / c8-ring / flip candidates act in, found by
    /// `GroupSearch` on the adapted banks (the field size of the group it names), else the rotation family's
    /// own (8 for C8, 16 for D8), else given by the caller (a baseline measured in the main model's fields).
    public var fieldSize: Int? = nil
    public var measures: [String: Measure]
    /// Candidate name → headline defect.
    public var defects: [String: Double] { measures.mapValues(\.headline) }

    /// Candidate groups for the 1-D fully connected models (W of shape 68 × 70): translation (distance from
    /// the nearest Toeplitz matrix) and reversal (i ↦ 69 − i on inputs together with o ↦ 67 − o on outputs).
    static func oneDimensionalCandidates(outputs: Int, inputs: Int) -> [(String, (Tensor) -> Double)] {
        let inReversal = PermutationGroup.reversal(inputs), outReversal = PermutationGroup.reversal(outputs)
        return [
            ("translation", { TranslationDefect.toeplitzDistance($0) }),
            ("reversal", { (try? EquivarianceDefect.defect($0, input: inReversal, output: outReversal)) ?? .nan }),
        ]
    }

    /// Measures a trained model: 1-D fully connected (`Linear`, `SymmetricLinear`) or 2-D convolution
    /// (`Conv2d`, `SymmetricConv2d`, `DenseSymmetricConv2d`) on a rotation family or 2d_scale; nil for other
    /// layers.
    /// `fieldSize` fixes the channel fields of a convolution's candidates instead of finding them.
    public static func inspect(_ trainer: MetaTrainer, _ metaParameters: Parameters, model: String = "", problem: String = "",
                               samples: Int = 50, tasks: Int = 50, fieldSize: Int? = nil) -> SymmetryInspection? {
        let frozen = metaParameters.detached()
        let weight: (Parameters) -> Tensor
        var randomWeights: [Tensor]? = nil
        let (outputs, inputs): (Int, Int)
        if let layer = trainer.model as? SymmetricLinear {
            weight = { layer.weight($0).detached() }
            (outputs, inputs) = (layer.outputFeatures, layer.inputFeatures)
            var g = SplitMix64(seed: 99)
            randomWeights = (0..<samples).map { _ in
                var p = frozen
                p["filterParameters"] = Tensor.randomNormal([layer.latentSize], dtype: p["filterParameters"].dtype, using: &g)
                return weight(p)
            }
        } else if let layer = trainer.model as? Linear {
            weight = { $0["weight"].detached() }
            (outputs, inputs) = (layer.outputFeatures, layer.inputFeatures)
        } else if trainer.model is Conv2d || trainer.model is SymmetricConv2d || trainer.model is DenseSymmetricConv2d {
            return inspectConvolution(trainer, frozen, model: model, problem: problem, tasks: tasks, samples: samples, fieldSize: fieldSize)
        } else {
            return nil
        }
        let c = trainer.configuration
        var g = SplitMix64(seed: c.seed ^ 0x1A5)
        let adapted = (0..<min(tasks, trainer.testTasks.count)).map { i -> Tensor in
            let episode = trainer.testTasks.episode(at: i, supportCount: c.supportCount, queryCount: 0, using: &g)
            return weight(trainer.innerLoop.adapt(trainer.model, frozen.requiringGradient(), on: episode.support, createGraph: false))
        }
        func mean(_ ws: [Tensor], _ f: (Tensor) -> Double) -> Double { ws.map(f).reduce(0, +) / Double(max(ws.count, 1)) }
        var measures: [String: Measure] = [:]
        for (name, defect) in oneDimensionalCandidates(outputs: outputs, inputs: inputs) {
            measures[name] = Measure(randomV: randomWeights.map { mean($0, defect) }, initial: defect(weight(frozen)),
                                     adapted: mean(adapted, defect))
        }
        return SymmetryInspection(model: model, problem: problem, measures: measures)
    }

    /// Filter-bank candidates (c4, c8-ring, flip) on the effective 3×3 filters, initial and adapted to
    /// held-out tasks, and on the inner step's update; for msr-conv-full also over W = reshape(U·v) with
    /// random v. On 2d_scale (9×9 filters, fields of the 3 scales of one filter), which has no finite group
    /// to test, the rescaled-copies errors of the adapted banks take the candidates' place; the factors, the
    /// inner step and U are measured as for the rotation families, on the scale family's task space.
    static func inspectConvolution(_ trainer: MetaTrainer, _ frozen: Parameters, model: String, problem: String,
                                   tasks: Int, samples: Int = 50, fieldSize given: Int? = nil) -> SymmetryInspection? {
        let effective: (Parameters) -> Tensor
        let dense = trainer.model as? DenseSymmetricConv2d
        if let layer = trainer.model as? SymmetricConv2d { effective = { layer.effectiveWeight($0).detached() } }
        else if let dense { effective = { dense.effectiveWeight($0).detached() } }
        else { effective = { $0["weight"].detached() } }
        let initial = effective(frozen)
        let channels = initial.shape[0]
        let scaleFamily = problem == SyntheticProblem.scale.rawValue && initial.shape == SyntheticScaleTasks(count: 0).filterBankShape
        guard initial.shape.suffix(3) == [1, 3, 3] || scaleFamily else { return nil }
        let c = trainer.configuration
        var g = SplitMix64(seed: c.seed ^ 0x2D)
        var adapted: [Tensor] = [], updates: [Tensor] = []
        for i in 0..<min(tasks, trainer.testTasks.count) {
            let episode = trainer.testTasks.episode(at: i, supportCount: c.supportCount, queryCount: 0, using: &g)
            let w = effective(trainer.innerLoop.adapt(trainer.model, frozen.requiringGradient(), on: episode.support, createGraph: false))
            adapted.append(w)
            updates.append(withoutGradients { w - initial })
        }
        // The fields the candidates act in: given, else found on the adapted banks, else the family's own.
        // 2d_scale: fields of its scales, no candidates.
        let fieldSize: Int, candidates: [(name: String, action: PermutationGroup)]
        if scaleFamily {
            (fieldSize, candidates) = (SyntheticScaleTasks.scaleCount, [])
        } else {
            let found = (try? GroupSearch(weightShape: initial.shape, layout: .filterBank, samples: adapted.map(\.scalars)))
                .flatMap { s in s.named.flatMap { s.fieldSize(s.groups[$0]) } }
            let family = SyntheticRotationProblem(rawValue: problem).map(\.groupOrder)
            guard let (size, actions) = ([given, found, family].compactMap { $0 }.lazy.compactMap { size in
                (try? FilterBankSymmetry.candidates(channels: channels, fieldSize: size)).map { (size, $0) }
            }.first) else {
                return nil
            }
            (fieldSize, candidates) = (size, actions)
        }
        func mean(_ ws: [Tensor], _ f: (Tensor) -> Double) -> Double { ws.map(f).reduce(0, +) / Double(max(ws.count, 1)) }
        // The inner step's preconditioner P: ΔW = −α·P·∇_W L (U·Uᵀ·g of an MSR layer, `preconditioned`), or g.
        let preconditioner: (Tensor) -> Tensor
        if let layer = trainer.model as? any ReparameterisedLayer {
            preconditioner = { g in withoutGradients { layer.preconditioned(g, frozen) } }
        } else {
            preconditioner = { $0 }
        }
        // Inner-step directions for random gradients g of the effective filters: P·g.
        var rg = SplitMix64(seed: 0x6A)
        let directions = (0..<20).map { _ in preconditioner(Tensor.randomNormal(initial.shape, dtype: initial.dtype, using: &rg)) }
        // W = reshape(U·v) for random v ~ N(0, I): what the learned U can express.
        var randomBanks: [Tensor]? = nil
        if let dense {
            var vg = SplitMix64(seed: 99)
            randomBanks = (0..<samples).map { _ in
                var p = frozen
                p[DenseSymmetricConv2d.filterParametersKey] = Tensor.randomNormal([dense.latentSize], dtype: initial.dtype, using: &vg)
                return effective(p)
            }
        }
        var measures: [String: Measure] = [:]
        for (name, action) in candidates {
            let defect = { (w: Tensor) in (try? FilterBankSymmetry.defect(w, action)) ?? .nan }
            measures[name] = Measure(randomV: randomBanks.map { mean($0, defect) }, initial: defect(initial), adapted: mean(adapted, defect),
                                     update: mean(updates, defect), randomGradientUpdate: mean(directions, defect))
        }
        var result = SymmetryInspection(model: model, problem: problem, fieldSize: fieldSize, measures: measures)
        if scaleFamily {
            func errors(_ banks: [Tensor]) -> [Double] {
                let each = banks.map(SyntheticScaleTasks.rescaledCopiesErrors)
                return (0..<(SyntheticScaleTasks.scaleCount - 1)).map { k in each.reduce(0) { $0 + $1[k] } / Double(max(each.count, 1)) }
            }
            result.rescaledCopies = RescaledCopies(randomV: randomBanks.map(errors), initial: errors([initial]), adapted: errors(adapted),
                                                   update: errors(updates), randomGradientUpdate: errors(directions))
        } else {
            result.rotatedCopiesError = mean(adapted) { FilterBankSymmetry.rotatedCopiesError($0, fieldSize: fieldSize) }
        }
        // The factors' own structure is that of one Kronecker product (r = 1); a sum's terms have none of their own.
        if let layer = trainer.model as? SymmetricConv2d, layer.terms == 1 { result.factors = FactorStructure(frozen, fieldSize: fieldSize) }
        let rateKey = InnerLoop.learningRateKey(dense != nil ? DenseSymmetricConv2d.filterParametersKey : "weight")
        let taskSpace = scaleFamily ? TaskFilterSpace.scale
            : SyntheticRotationProblem.allCases.first(where: { $0.outputChannels == channels && $0.groupOrder == fieldSize }).map { TaskFilterSpace($0) }
        if let taskSpace, frozen.contains(rateKey) {
            result.innerStep = InnerStepStructure(learningRate: frozen[rateKey].item, taskSpace: taskSpace, dtype: initial.dtype,
                                                  shape: initial.shape, preconditioner: preconditioner)
            if dense != nil {
                result.symmetryMatrix = SymmetryMatrixStructure(frozen[DenseSymmetricConv2d.symmetryMatrixKey], candidates: candidates,
                                                                taskSpace: taskSpace)
            }
        }
        return result
    }
}

/// The filter banks a synthetic 2-D family's tasks are made of: for each field f and basis function i, the
/// bank whose field-f channels hold bᵢ as each channel of the field samples it (moved by the channel's group
/// element for the rotation families, dilated to the channel's scale for 2d_scale) and whose other channels
/// are 0. Every task's true bank lies in their span: 3 × 6 = 18 dimensions of the D·k² (216 for 2d_rot8,
/// 729 for 2d_scale).
public struct TaskFilterSpace: Sendable {
    /// An orthonormal basis of the span, one bank (D·k² values, channel·k² + tap) per element.
    public let basis: [[Double]]

    public init(_ problem: SyntheticRotationProblem) {
        let n = problem.groupOrder
        self.init(fields: SyntheticRotationProblem.fieldCount, fieldSize: n, functions: SteerableBasis.count, taps: 9, sampled: (0..<n).map { k in
            let e = problem.element(ofChannel: k)
            return SteerableBasis.sampled(eighthTurns: e.eighthTurns, mirrored: e.mirrored)
        })
    }

    /// 2d_scale's: the Hermite–Gaussian basis at each of the field's scales.
    public static var scale: TaskFilterSpace {
        let (s, m, taps) = (SyntheticScaleTasks.scaleCount, HermiteGaussianBasis.count, SyntheticScaleTasks.kernelSize * SyntheticScaleTasks.kernelSize)
        let basis = SyntheticScaleTasks.sampledBasis
        return TaskFilterSpace(fields: SyntheticScaleTasks.fieldCount, fieldSize: s, functions: m, taps: taps,
                               sampled: (0..<s).map { k in Array(basis[(k * m * taps)..<((k + 1) * m * taps)]) })
    }

    /// - Parameter sampled: for each channel k of a field, the `functions` basis functions as that channel
    ///   samples them, (functions, taps) row-major.
    init(fields: Int, fieldSize n: Int, functions: Int, taps: Int, sampled: [[Double]]) {
        let d = fields * n
        var basis: [[Double]] = []
        for f in 0..<fields {
            for i in 0..<functions {
                var bank = [Double](repeating: 0, count: d * taps)
                for k in 0..<n { for t in 0..<taps { bank[(f * n + k) * taps + t] = sampled[k][i * taps + t] } }
                // Gram–Schmidt against the banks so far (twice, for rounding).
                for _ in 0..<2 {
                    for q in basis {
                        let dot = zip(bank, q).reduce(0) { $0 + $1.0 * $1.1 }
                        for j in bank.indices { bank[j] -= dot * q[j] }
                    }
                }
                let norm = bank.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 1e-9 { basis.append(bank.map { $0 / norm }) }
            }
        }
        self.basis = basis
    }

    /// ‖Q·Qᵀ·x‖² / ‖x‖²: the share of a bank's energy inside the task space.
    public func share(_ x: [Double]) -> Double {
        let total = x.reduce(0) { $0 + $1 * $1 }
        guard total > 0 else { return 0 }
        let inside = basis.reduce(0.0) { s, q in let d = zip(x, q).reduce(0) { $0 + $1.0 * $1.1 }; return s + d * d }
        return inside / total
    }
}

/// The inner step ΔW = −α·P·∇_W L of a convolution's effective filter bank, measured on the tasks' filter
/// space Q (`TaskFilterSpace`): with white-noise inputs ∇_W L is proportional to W − W*, and W* lies in Q.
public struct InnerStepStructure: Codable, Sendable {
    /// α, the learned inner learning rate.
    public var learningRate: Double
    /// α · mean over an orthonormal basis q of the task space of qᵀ·P·q: the step size along the directions
    /// tasks differ in (α for MAML-Conv).
    public var taskSpaceRate: Double
    /// α · tr(P)/(D·9): the mean step size over all directions of the bank.
    public var meanRate: Double
    /// Share of the energy of P·g, for random g, that lies in the task space (18/216 ≈ 0.083 for P = I;
    /// 18/729 ≈ 0.025 on 2d_scale).
    public var randomGradientTaskShare: Double

    public init(learningRate: Double, taskSpace: TaskFilterSpace, dtype: DType, shape: [Int], preconditioner: (Tensor) -> Tensor) {
        self.learningRate = learningRate
        let r = shape.reduce(1, *)
        func apply(_ x: [Double]) -> [Double] { preconditioner(Tensor(shape: shape, values: x, dtype: dtype)).scalars }
        var inside = 0.0
        for q in taskSpace.basis { inside += zip(q, apply(q)).reduce(0) { $0 + $1.0 * $1.1 } }
        taskSpaceRate = learningRate * inside / Double(max(taskSpace.basis.count, 1))
        // tr(P) by a Hutchinson estimate with ±1 probes (exact enough for a mean rate).
        var g = SplitMix64(seed: 0x7A)
        var trace = 0.0, share = 0.0
        let probes = 32
        for _ in 0..<probes {
            let z = (0..<r).map { _ in g.next() & 1 == 0 ? -1.0 : 1.0 }
            let pz = apply(z)
            trace += zip(z, pz).reduce(0) { $0 + $1.0 * $1.1 }
            share += taskSpace.share(pz)
        }
        meanRate = learningRate * trace / Double(probes) / Double(r)
        randomGradientTaskShare = share / Double(probes)
    }
}

/// What msr-conv-full's learned dense symmetry matrix U (D·9, K) looks like.
public struct SymmetryMatrixStructure: Codable, Sendable {
    /// Singular values of U, largest first.
    public var singularValues: [Double]
    /// For each candidate group, ‖P_G·U‖²/‖U‖²: the share of U's energy inside the G-equivariant banks
    /// (1 = every column equivariant; about 1/|G|·(fixed points) for random U: 0.25 for c4).
    public var equivariantFraction: [String: Double]
    /// ‖Q·Qᵀ·U‖²/‖U‖²: the share of U's energy inside the tasks' filter space (18/216 ≈ 0.083 at random;
    /// 18/729 ≈ 0.025 on 2d_scale).
    public var taskSpaceFraction: Double

    public init(_ u: Tensor, candidates: [(name: String, action: PermutationGroup)], taskSpace: TaskFilterSpace) {
        let (rows, k) = (u.shape[0], u.shape[1])
        let x = u.scalars
        var utu = [Double](repeating: 0, count: k * k)
        for i in 0..<k { for j in i..<k {
            var s = 0.0
            for r in 0..<rows { s += x[r * k + i] * x[r * k + j] }
            utu[i * k + j] = s; utu[j * k + i] = s
        } }
        singularValues = MatrixStructure.symmetricEigenvalues(utu, n: k).map { max($0, 0).squareRoot() }
        var fractions: [String: Double] = [:]
        for (name, action) in candidates {
            fractions[name] = EquivarianceDefect.equivariantFraction(symmetryMatrix: u, input: .trivial(order: action.order), output: action)
        }
        equivariantFraction = fractions
        var inside = 0.0, total = 0.0
        for c in 0..<k {
            let column = (0..<rows).map { x[$0 * k + c] }
            let norm = column.reduce(0) { $0 + $1 * $1 }
            inside += taskSpace.share(column) * norm
            total += norm
        }
        taskSpaceFraction = total > 0 ? inside / total : 0
    }
}

/// What MSR-Conv's learned factors look like: one inner step on w moves the effective filters by
/// (A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ) applied to the gradient, so their Gram matrices are the learned preconditioner.
public struct FactorStructure: Codable, Sendable {
    /// Eigenvalues of A·Aᵀ (output channels) and C·Cᵀ (kernel taps), largest first.
    public var outputChannelSpectrum: [Double]
    public var kernelTapSpectrum: [Double]
    /// Share of A·Aᵀ's off-diagonal energy that couples channels of the same field (1 = only within fields;
    /// about (field − 1)/(D − 1) for an unstructured matrix).
    public var withinFieldCoupling: Double
    /// How far A·Aᵀ's field blocks are from circulant (the coupling a cyclic group's regular representation
    /// allows); C8 only.
    public var circulantDefect: Double?
    /// The gain of A·Aᵀ's field blocks along each cyclic Fourier mode m = 0 … 4 of a field's 8 channels (C8
    /// only): a field of rotated copies of a filter whose outer ring has angular harmonics k ≤ 2 varies
    /// only in channel modes m ≤ 2, so a learned A that keeps those and suppresses m = 3, 4 has learned
    /// which rotations the tasks contain.
    public var channelModeGains: [Double]?
    /// The gain of C·Cᵀ along the centre tap and each angular harmonic of the outer ring
    /// (`MatrixStructure.tapHarmonics`: the tasks' filters use the centre and k ≤ 2).
    public var tapHarmonicGains: [String: Double]

    public init(_ p: Parameters, fieldSize: Int) {
        let a = p[SymmetricConv2d.outputChannelsKey], c = p[SymmetricConv2d.kernelTapsKey]
        let (d, t) = (a.shape[0], c.shape[0])
        let aa = MatrixStructure.gram(a.scalars, n: d), cc = MatrixStructure.gram(c.scalars, n: t)
        outputChannelSpectrum = MatrixStructure.symmetricEigenvalues(aa, n: d)
        kernelTapSpectrum = MatrixStructure.symmetricEigenvalues(cc, n: t)
        withinFieldCoupling = MatrixStructure.withinBlockShare(aa, n: d, block: fieldSize)
        circulantDefect = fieldSize == 8 ? MatrixStructure.blockCirculantDefect(aa, n: d, block: 8) : nil
        channelModeGains = fieldSize == 8 ? MatrixStructure.blockModeGains(aa, n: d, block: 8) : nil
        tapHarmonicGains = t == 9 ? Dictionary(uniqueKeysWithValues: MatrixStructure.tapHarmonicGains(cc).map { ($0.name, $0.gain) }) : [:]
    }
}

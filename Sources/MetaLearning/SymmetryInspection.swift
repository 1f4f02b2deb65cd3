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
    /// For MSR-Conv: spectra and channel coupling of the learned factors.
    public var factors: FactorStructure? = nil

    public var model: String
    public var problem: String
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
    /// (`Conv2d`, `SymmetricConv2d`) on a rotation family; nil for other layers.
    public static func inspect(_ trainer: MetaTrainer, _ metaParameters: Parameters, model: String = "", problem: String = "",
                               samples: Int = 50, tasks: Int = 50) -> SymmetryInspection? {
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
        } else if trainer.model is Conv2d || trainer.model is SymmetricConv2d {
            return inspectConvolution(trainer, frozen, model: model, problem: problem, tasks: tasks)
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
    /// held-out tasks, and on the inner step's update.
    static func inspectConvolution(_ trainer: MetaTrainer, _ frozen: Parameters, model: String, problem: String,
                                   tasks: Int) -> SymmetryInspection? {
        let effective: (Parameters) -> Tensor
        if let layer = trainer.model as? SymmetricConv2d { effective = { layer.effectiveWeight($0).detached() } }
        else { effective = { $0["weight"].detached() } }
        let initial = effective(frozen)
        let channels = initial.shape[0]
        let fieldSize = channels % 16 == 0 && channels / 16 == 3 ? 16 : 8
        guard initial.shape.suffix(3) == [1, 3, 3], let candidates = try? FilterBankSymmetry.candidates(channels: channels, fieldSize: fieldSize) else {
            return nil
        }
        let c = trainer.configuration
        var g = SplitMix64(seed: c.seed ^ 0x2D)
        var adapted: [Tensor] = [], updates: [Tensor] = []
        for i in 0..<min(tasks, trainer.testTasks.count) {
            let episode = trainer.testTasks.episode(at: i, supportCount: c.supportCount, queryCount: 0, using: &g)
            let w = effective(trainer.innerLoop.adapt(trainer.model, frozen.requiringGradient(), on: episode.support, createGraph: false))
            adapted.append(w)
            updates.append(withoutGradients { w - initial })
        }
        func mean(_ ws: [Tensor], _ f: (Tensor) -> Double) -> Double { ws.map(f).reduce(0, +) / Double(max(ws.count, 1)) }
        // Inner-step directions for random gradients g of the effective filters: K·Kᵀ·g (K = A ⊗ B ⊗ C).
        var rg = SplitMix64(seed: 0x6A)
        let directions = (0..<20).map { _ -> Tensor in
            let g = Tensor.randomNormal(initial.shape, dtype: initial.dtype, using: &rg)
            guard let layer = trainer.model as? SymmetricConv2d else { return g }
            return withoutGradients {
                let a = frozen[SymmetricConv2d.outputChannelsKey], b = frozen[SymmetricConv2d.inputChannelsKey]
                let c = frozen[SymmetricConv2d.kernelTapsKey]
                let v = g.reshaped([layer.outputChannels, layer.inputChannels, layer.taps])
                    .contracted(axis: 0, with: a.transposed()).contracted(axis: 1, with: b.transposed()).contracted(axis: 2, with: c.transposed())
                    .contracted(axis: 0, with: a).contracted(axis: 1, with: b).contracted(axis: 2, with: c)
                return v.reshaped(initial.shape)
            }
        }
        var measures: [String: Measure] = [:]
        for (name, action) in candidates {
            let defect = { (w: Tensor) in (try? FilterBankSymmetry.defect(w, action)) ?? .nan }
            measures[name] = Measure(randomV: nil, initial: defect(initial), adapted: mean(adapted, defect), update: mean(updates, defect),
                                     randomGradientUpdate: mean(directions, defect))
        }
        var result = SymmetryInspection(model: model, problem: problem, measures: measures)
        result.rotatedCopiesError = mean(adapted) { FilterBankSymmetry.rotatedCopiesError($0, fieldSize: fieldSize) }
        if trainer.model is SymmetricConv2d { result.factors = FactorStructure(frozen, fieldSize: fieldSize) }
        return result
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

    public init(_ p: Parameters, fieldSize: Int) {
        let a = p[SymmetricConv2d.outputChannelsKey], c = p[SymmetricConv2d.kernelTapsKey]
        let (d, t) = (a.shape[0], c.shape[0])
        let aa = MatrixStructure.gram(a.scalars, n: d), cc = MatrixStructure.gram(c.scalars, n: t)
        outputChannelSpectrum = MatrixStructure.symmetricEigenvalues(aa, n: d)
        kernelTapSpectrum = MatrixStructure.symmetricEigenvalues(cc, n: t)
        withinFieldCoupling = MatrixStructure.withinBlockShare(aa, n: d, block: fieldSize)
        circulantDefect = fieldSize == 8 ? MatrixStructure.blockCirculantDefect(aa, n: d, block: 8) : nil
    }
}

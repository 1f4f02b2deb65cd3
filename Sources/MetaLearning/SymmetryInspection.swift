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
        /// The figure that answers "which symmetry did it learn": random v for MSR, adapted otherwise.
        public var headline: Double { randomV ?? adapted }
    }

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

    /// Measures a trained 1-D fully connected model (`Linear` or `SymmetricLinear`); nil for other layers.
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
}

import Datasets
import NeuralNets
import Symmetry
import Tensors

/// How convolution-like the weights of a fully connected model are (the paper's Figure 3 question: did
/// MSR-FC learn translation symmetry?), as distances from the nearest Toeplitz matrix (`TranslationDefect`).
public struct WeightStructure: Codable, Sendable, Equatable {
    /// Mean distance of W = reshape(U·v) over random v ~ N(0, I): what the learned U can express (MSR only).
    public var toeplitzDistanceRandomV: Double?
    /// Distance of the meta-learned initial weight.
    public var toeplitzDistanceInitial: Double
    /// Mean distance of the weights adapted to held-out tasks: what the model uses at meta-test time.
    public var toeplitzDistanceAdapted: Double
    public var tasks: Int

    enum CodingKeys: String, CodingKey {
        case toeplitzDistanceRandomV = "toeplitz_distance_random_v"
        case toeplitzDistanceInitial = "toeplitz_distance_initial"
        case toeplitzDistanceAdapted = "toeplitz_distance_adapted"
        case tasks = "tasks"
    }

    /// Measures a trained fully connected model (`Linear` or `SymmetricLinear`); nil for other layers.
    public static func measure(_ trainer: MetaTrainer, _ metaParameters: Parameters, tasks: Int = 50) -> WeightStructure? {
        func weight(_ p: Parameters) -> Tensor? {
            if let layer = trainer.model as? SymmetricLinear { return layer.weight(p) }
            if trainer.model is Linear { return p["weight"] }
            return nil
        }
        guard let initial = weight(metaParameters.detached()) else { return nil }
        var randomV: Double?
        if let layer = trainer.model as? SymmetricLinear {
            randomV = TranslationDefect.meanToeplitzDistance(symmetryMatrix: metaParameters["symmetryMatrix"],
                                                              outputs: layer.outputFeatures, inputs: layer.inputFeatures)
        }
        let c = trainer.configuration
        var g = SplitMix64(seed: c.seed ^ 0x7E57)
        let count = min(tasks, trainer.testTasks.count)
        var adapted = 0.0
        for i in 0..<count {
            let episode = trainer.testTasks.episode(at: i, supportCount: c.supportCount, queryCount: 0, using: &g)
            let fast = trainer.innerLoop.adapt(trainer.model, metaParameters.detached().requiringGradient(),
                                               on: episode.support, createGraph: false)
            adapted += TranslationDefect.toeplitzDistance(weight(fast)!.detached())
        }
        return WeightStructure(toeplitzDistanceRandomV: randomV,
                               toeplitzDistanceInitial: TranslationDefect.toeplitzDistance(initial),
                               toeplitzDistanceAdapted: adapted / Double(max(count, 1)), tasks: count)
    }
}

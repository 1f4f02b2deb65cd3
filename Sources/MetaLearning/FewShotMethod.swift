import NeuralNets

/// A few-shot classification method, each on the Conv4 backbone.
///
/// - `maml`: MAML (Finn et al. 2017): inner SGD on every parameter with learned per-tensor rates, a linear
///   N-way head.
/// - `anil`: ANIL (Raghu et al. 2020): MAML whose inner loop adapts the head only.
/// - `protonets`: Prototypical Networks (Snell et al. 2017): no inner loop; a headless embedding, class
///   prototypes as mean support embeddings, logits −‖q − cₙ‖².
/// - `msr`: MSR (Zhou et al. 2021): MAML whose convolutions are MSR-Conv; the symmetry factors are outer-only.
public enum FewShotMethod: String, Sendable, Codable, CaseIterable {
    case maml, anil, protonets, msr

    /// True for the methods with an inner loop (all but ProtoNets).
    public var hasInnerLoop: Bool { self != .protonets }

    /// The convolution of each Conv4 block.
    public var convolution: Conv4.Convolution { self == .msr ? .symmetric : .standard }

    /// The parameters the inner loop adapts.
    public var innerParameters: Conv4.InnerParameters {
        switch self {
        case .maml, .msr: return .allButSymmetry
        case .anil: return .head
        case .protonets: return .none
        }
    }
}

/// Hyper-parameters of few-shot meta-training and evaluation. `init(method:ways:shots:)` gives the few-shot
/// protocol's defaults (`shared/paper/fewshot-protocol.md`): Conv4 with 64 channels, Q = 15 queries per
/// class, outer Adam 1e-3, and a budget of 5,600 meta-training tasks: 700 outer steps × meta-batch 8 for the
/// methods with an inner loop (inner rate 0.4, 1 step in meta-training and 3 at meta-test, second order),
/// 5,600 steps × 1 episode for ProtoNets. Meta-test: 600 episodes.
public struct FewShotConfiguration: TrainingConfiguration, Equatable {
    public var method: FewShotMethod
    /// N, K, Q: classes per episode, support and query images per class.
    public var ways: Int
    public var shots: Int
    public var queries: Int
    /// Channels of each Conv4 block ("MAML (Big)" is the same net made wider).
    public var width = 64
    /// Image channels and side (Omniglot: 1 and 28; mini-ImageNet: 3 and 84).
    public var imageChannels = 1
    public var imageSize = 28
    /// Episodes per outer step.
    public var metaBatchSize: Int
    /// Inner SGD steps in meta-training and at meta-test.
    public var innerSteps = 1
    public var testInnerSteps = 3
    /// Treat the inner gradient as a constant (first-order MAML).
    public var firstOrder = false
    /// Starting value of every learned per-tensor inner rate `innerLearningRate.<key>`.
    public var initialInnerLearningRate = 0.4
    /// Outer Adam's learning rate.
    public var outerLearningRate = 1e-3
    /// Outer steps in all.
    public var steps: Int
    /// Evaluate on `validationEpisodes` meta-test episodes every this many steps (0: only at the end).
    public var evaluationInterval = 0
    public var validationEpisodes = 100
    /// Meta-test episodes of the final evaluation (at least 600 for the protocol's intervals).
    public var testEpisodes = 600
    public var seed: UInt64 = 0
    /// MSR: r of every MSR-Conv block's U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ (`--kronecker-terms`); nil is 1, the paper's
    /// MSR-Conv (and what configurations saved before the flag existed hold).
    public var kroneckerTerms: Int? = nil

    public init(method: FewShotMethod, ways: Int = 5, shots: Int = 1, queries: Int = 15) {
        self.method = method
        self.ways = ways
        self.shots = shots
        self.queries = queries
        metaBatchSize = method == .protonets ? 1 : 8
        steps = method == .protonets ? 5600 : 700
    }

    /// The trainer's schedule: evaluations every `evaluationInterval` steps and after the last, each on
    /// `validationEpisodes` meta-test episodes; the final evaluation uses `testEpisodes`.
    public var schedule: TrainingSchedule {
        TrainingSchedule(metaBatchSize: metaBatchSize, steps: steps, outerLearningRate: outerLearningRate,
                         evaluationInterval: evaluationInterval, evaluatesAfterFirstStep: false,
                         evaluationEpisodes: validationEpisodes, finalEvaluationEpisodes: testEpisodes, seed: seed)
    }

    /// The final evaluation is on `testEpisodes` meta-test episodes.
    public var finalEvaluationEpisodes: Int {
        get { testEpisodes }
        set { testEpisodes = newValue }
    }

    public func validate() throws {
        for (value, flag) in [(steps, "--steps"), (metaBatchSize, "--meta-batch"), (ways, "--ways"), (shots, "--shots"),
                              (queries, "--queries"), (width, "--width"), (imageChannels, "--image-channels"),
                              (innerSteps, "--inner-steps"), (validationEpisodes, "--validation-episodes"), (testEpisodes, "--test-episodes")] {
            try ConfigurationError.require(value, atLeast: 1, flag)
        }
        try ConfigurationError.require(testInnerSteps, atLeast: 0, "--test-inner-steps")
        try ConfigurationError.require(evaluationInterval, atLeast: 0, "--eval-interval")
        // Conv4's four 2×2 poolings.
        try ConfigurationError.require(imageSize, atLeast: 16, "--image-size")
        if let kroneckerTerms { try ConfigurationError.require(kroneckerTerms, in: 1...SymmetricConv2d.maximumTerms, "--kronecker-terms") }
        try ConfigurationError.requireFinite(initialInnerLearningRate, "--inner-lr")
        try ConfigurationError.requireFinite(outerLearningRate, positive: true, "--outer-lr")
    }

    /// Meta-training tasks (episodes) in all: steps × meta-batch.
    public var trainingTasks: Int { steps * metaBatchSize }

    /// The backbone this configuration trains: an N-way head for the methods with an inner loop, headless
    /// for ProtoNets.
    public var network: Conv4 {
        Conv4(inputChannels: imageChannels, imageSize: imageSize, width: width,
              ways: method == .protonets ? nil : ways, convolution: method.convolution,
              innerParameters: method.innerParameters, kroneckerTerms: kroneckerTerms ?? 1)
    }
}

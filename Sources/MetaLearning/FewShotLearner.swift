import Datasets
import NeuralNets
import Tensors

/// A few-shot method on its Conv4 backbone, as functions of the meta-parameters: how an episode's query
/// images are classified after seeing its support set.
///
/// Meta-parameters are the network's parameters plus, for the methods with an inner loop, one learned inner
/// rate `innerLearningRate.<key>` per adapted tensor (Li et al. 2017, per tensor), as `InnerLoop` keeps them.
/// The inner loop is SGD on the support cross-entropy,
///
///     θᵢ ← θᵢ − αᵢ · ∂L_support/∂θᵢ     for the adapted tensors θᵢ (all for MAML and MSR, the head for ANIL),
///
/// and each forward pass (support, then query) normalises with its own batch's statistics. ProtoNets has no
/// inner loop: support and query go through the embedding as one batch.
public struct FewShotLearner: Sendable {
    public var configuration: FewShotConfiguration
    public var network: Conv4

    public init(configuration: FewShotConfiguration) {
        self.configuration = configuration
        self.network = configuration.network
    }

    public var method: FewShotMethod { configuration.method }

    /// The adapted tensors' keys, sorted.
    public var innerKeys: [String] { network.innerParameterKeys.sorted() }

    /// Fresh meta-parameters: the network's initial parameters and the inner rates, each
    /// `configuration.initialInnerLearningRate`.
    public func initialMetaParameters(dtype: DType = .float32, using generator: inout SplitMix64) -> Parameters {
        InnerLoop.metaParameters(for: network, initial: network.initialParameters(dtype: dtype, using: &generator),
                                 initialLearningRate: configuration.initialInnerLearningRate)
    }

    /// The meta-parameters with an N-way head for an episode of `ways` classes. A head trained for another
    /// N (e.g. a 5-way model on the 20-way one-shot runs) is replaced by zeros, which the inner loop then
    /// adapts with the learned head rates (the zero-initialised head of Triantafillou et al. 2020).
    public func metaParameters(_ metaParameters: Parameters, forWays ways: Int) -> Parameters {
        guard !network.headless, metaParameters["head.weight"].shape[0] != ways else { return metaParameters }
        var p = metaParameters
        let dtype = p["head.weight"].dtype
        p["head.weight"] = Tensor.zeros([ways, network.embeddingSize], dtype: dtype)
        p["head.bias"] = Tensor.zeros([ways], dtype: dtype)
        return p
    }

    /// The query logits (N·Q, N) of `episode` after adapting on its support set with `innerSteps` steps.
    ///
    /// - Parameters:
    ///   - metaParameters: leaves of the graph when a meta-gradient is wanted; for evaluation, detached
    ///     parameters marked as requiring gradients (the inner loop differentiates the support loss).
    ///   - createGraph: keep the inner gradients' graph (second-order MAML).
    public func queryLogits(_ metaParameters: Parameters, _ episode: FewShotEpisode, innerSteps: Int,
                            createGraph: Bool) -> Tensor {
        let ways = episode.ways
        switch method {
        case .protonets:
            let n = episode.supportImages.shape[0], m = episode.queryImages.shape[0]
            let all = Tensor.concatenate([episode.supportImages, episode.queryImages], axis: 0)
            let e = network.embed(metaParameters, all)
            let c = PrototypicalNetworks.prototypes(e.sliced(axis: 0, 0..<n), labels: episode.supportLabels, ways: ways)
            return PrototypicalNetworks.logits(query: e.sliced(axis: 0, n..<(n + m)), prototypes: c)
        case .anil:
            // The body is not adapted, so the support features are computed once.
            let p = self.metaParameters(metaParameters, forWays: ways)
            let support = network.embed(p, episode.supportImages)
            let fast = InnerLoop.adapt(p, keys: innerKeys, steps: innerSteps, createGraph: createGraph) {
                Tensor.crossEntropy(logits: network.head($0, support), labels: episode.supportLabels)
            }
            return network.head(fast, network.embed(p, episode.queryImages))
        case .maml, .msr:
            let p = self.metaParameters(metaParameters, forWays: ways)
            let fast = InnerLoop.adapt(p, keys: innerKeys, steps: innerSteps, createGraph: createGraph) {
                Tensor.crossEntropy(logits: network.apply($0, episode.supportImages), labels: episode.supportLabels)
            }
            return network.apply(fast, episode.queryImages)
        }
    }

    /// The meta-training objective of one episode: the query cross-entropy after `configuration.innerSteps`
    /// inner steps (second order unless `configuration.firstOrder`), and the query accuracy.
    public func queryLoss(_ metaParameters: Parameters, _ episode: FewShotEpisode) -> (loss: Tensor, accuracy: Double) {
        let logits = queryLogits(metaParameters, episode, innerSteps: configuration.innerSteps,
                                 createGraph: !configuration.firstOrder)
        return (Tensor.crossEntropy(logits: logits, labels: episode.queryLabels),
                Self.accuracy(logits: logits, labels: episode.queryLabels))
    }

    /// Query accuracy on `episode` after adapting with `configuration.testInnerSteps` steps; the
    /// meta-parameters are not changed and no meta-gradient graph is kept.
    public func testAccuracy(_ metaParameters: Parameters, _ episode: FewShotEpisode) -> Double {
        let frozen = metaParameters.detached()
        let logits: Tensor
        if method.hasInnerLoop {
            logits = queryLogits(frozen.requiringGradient(), episode, innerSteps: configuration.testInnerSteps, createGraph: false)
        } else {
            logits = withoutGradients { queryLogits(frozen, episode, innerSteps: 0, createGraph: false) }
        }
        return Self.accuracy(logits: logits, labels: episode.queryLabels)
    }

    /// The fraction of rows of `logits` (M, N) whose largest entry is at the row's label.
    public static func accuracy(logits: Tensor, labels: [Int]) -> Double {
        precondition(logits.rank == 2 && logits.shape[0] == labels.count, "accuracy: \(logits.shape) logits for \(labels.count) labels")
        guard !labels.isEmpty else { return .nan }
        let n = logits.shape[1], x = logits.scalars
        var correct = 0
        for (i, y) in labels.enumerated() {
            var best = 0
            for j in 1..<n where x[i * n + j] > x[i * n + best] { best = j }
            if best == y { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }
}

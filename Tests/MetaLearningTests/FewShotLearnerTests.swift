import Datasets
import MetaLearning
import NeuralNets
import Tensors
import TestSupport
import XCTest

final class FewShotLearnerTests: XCTestCase {
    /// A tiny learner: width 2 on 16×16 images, 3-way 1-shot, Float64.
    func tinyLearner(_ method: FewShotMethod, ways: Int = 3) -> (FewShotLearner, Parameters) {
        var c = FewShotConfiguration(method: method, ways: ways, shots: 1, queries: 2)
        c.width = 2
        c.imageSize = 16
        let learner = FewShotLearner(configuration: c)
        var g = SplitMix64(seed: 11)
        return (learner, learner.initialMetaParameters(dtype: .float64, using: &g))
    }

    /// An episode of random images: N·K support and N·Q query images, class-major labels.
    func randomEpisode(ways: Int, shots: Int, queries: Int, side: Int = 16, seed: UInt64) -> FewShotEpisode {
        FewShotEpisode(supportImages: randn([ways * shots, 1, side, side], seed: seed),
                       supportLabels: (0..<(ways * shots)).map { $0 / shots },
                       queryImages: randn([ways * queries, 1, side, side], seed: seed + 1),
                       queryLabels: (0..<(ways * queries)).map { $0 / queries },
                       classes: Array(0..<ways))
    }

    /// cₙ = mean of the support embeddings labelled n; logit[m, n] = −Σₑ (q[m, e] − cₙ[e])², element by element,
    /// with labels in no particular order.
    func testPrototypeLogitsMatchDefinition() {
        let support = randn([6, 4], seed: 1), query = randn([5, 4], seed: 2)
        let labels = [1, 0, 2, 1, 0, 1]
        let c = PrototypicalNetworks.prototypes(support, labels: labels, ways: 3)
        let logits = PrototypicalNetworks.logits(query: query, prototypes: c)
        XCTAssertEqual(logits.shape, [5, 3])
        let s = support.scalars, q = query.scalars
        for n in 0..<3 {
            let members = labels.indices.filter { labels[$0] == n }
            let cn = (0..<4).map { e in members.map { s[$0 * 4 + e] }.reduce(0, +) / Double(members.count) }
            for e in 0..<4 { XCTAssertEqual(c.scalars[n * 4 + e], cn[e], accuracy: 1e-14) }
            for m in 0..<5 {
                let d = (0..<4).map { e in (q[m * 4 + e] - cn[e]) * (q[m * 4 + e] - cn[e]) }.reduce(0, +)
                XCTAssertEqual(logits.scalars[m * 3 + n], -d, accuracy: 1e-12)
            }
        }
    }

    /// ProtoNets embeds support and query as one batch (one set of batch-norm statistics).
    func testProtoNetsEmbedsSupportAndQueryAsOneBatch() {
        let (learner, p) = tinyLearner(.protonets)
        XCTAssertTrue(learner.network.headless)
        XCTAssertEqual(learner.innerKeys, [])
        XCTAssertFalse(p.keys.contains { $0.hasPrefix("innerLearningRate") })
        let episode = randomEpisode(ways: 3, shots: 2, queries: 2, seed: 3)
        let e = learner.network.embed(p, Tensor.concatenate([episode.supportImages, episode.queryImages], axis: 0))
        let c = PrototypicalNetworks.prototypes(e.sliced(axis: 0, 0..<6), labels: episode.supportLabels, ways: 3)
        let expected = PrototypicalNetworks.logits(query: e.sliced(axis: 0, 6..<12), prototypes: c)
        assertClose(learner.queryLogits(p, episode, innerSteps: 0, createGraph: false), expected, tolerance: 1e-12)
    }

    /// Inner keys and learned rates of each method: all but the symmetry matrices (MAML, MSR), the head (ANIL).
    func testInnerKeysPerMethod() {
        let (maml, pm) = tinyLearner(.maml)
        XCTAssertEqual(maml.innerKeys.count, 18)
        XCTAssertEqual(pm["innerLearningRate.block1.conv.weight"].item, 0.4)
        let (anil, pa) = tinyLearner(.anil)
        XCTAssertEqual(anil.innerKeys, ["head.bias", "head.weight"])
        XCTAssertEqual(pa.keys.filter { $0.hasPrefix("innerLearningRate") }, ["innerLearningRate.head.bias", "innerLearningRate.head.weight"])
        let (msr, ps) = tinyLearner(.msr)
        XCTAssertEqual(msr.innerKeys.count, 18)
        XCTAssertEqual(ps.keys.filter { $0.contains("symmetryMatrix") }.count, 12)
        XCTAssertFalse(msr.innerKeys.contains { $0.contains("symmetryMatrix") })
    }

    /// One MAML inner step by hand: θ' = θ − α·∂L_support/∂θ, then the query logits under θ'.
    func testMAMLQueryLogitsAfterOneStep() {
        let (learner, p) = tinyLearner(.maml)
        let episode = randomEpisode(ways: 3, shots: 1, queries: 2, seed: 4)
        let leaves = p.requiringGradient()
        let keys = learner.innerKeys
        let loss = Tensor.crossEntropy(logits: learner.network.apply(leaves, episode.supportImages), labels: episode.supportLabels)
        let g = gradients(of: loss, wrt: keys.map { leaves[$0] })
        var fast = p
        for (k, gk) in zip(keys, g) { fast[k] = p[k] - gk * 0.4 }
        assertClose(learner.queryLogits(p.requiringGradient(), episode, innerSteps: 1, createGraph: false),
                    learner.network.apply(fast, episode.queryImages), tolerance: 1e-12)
    }

    /// A model trained 3-way classifies a 5-way episode with a zero-initialised 5-way head.
    func testOtherWaysUseAZeroHead() {
        let (learner, p) = tinyLearner(.maml)
        let episode = randomEpisode(ways: 5, shots: 1, queries: 1, seed: 5)
        XCTAssertEqual(learner.queryLogits(p.requiringGradient(), episode, innerSteps: 1, createGraph: false).shape, [5, 5])
        let accuracy = learner.testAccuracy(p, episode)
        XCTAssertTrue((0...1).contains(accuracy))
    }

    /// The second-order meta-gradient of the query loss after one inner step, through conv, batch norm (its
    /// own statistics for support and query), ReLU, max-pool and the head, by finite differences: with respect
    /// to filters, a batch-norm scale, the head and a learned inner rate (MAML), and MSR's symmetry factors.
    func testMetaGradientMatchesFiniteDifferences() {
        let episode = randomEpisode(ways: 3, shots: 1, queries: 2, seed: 6)
        for (method, keys) in [(FewShotMethod.maml, ["block1.conv.weight", "block3.norm.scale", "head.weight",
                                                     "innerLearningRate.block2.conv.weight"]),
                               (.msr, ["block2.conv.symmetryMatrix.kernelTaps", "block4.conv.symmetryMatrix.outputChannels",
                                       "innerLearningRate.block1.conv.weight"]),
                               (.anil, ["block4.conv.weight", "innerLearningRate.head.weight"])] {
            let (tiny, p) = tinyLearner(method)
            var learner = tiny
            learner.configuration.innerSteps = 2
            checkGradients(keys.map { p[$0] }, tolerance: 1e-5, secondOrder: false) { t in
                var q = p
                for (k, v) in zip(keys, t) { q[k] = v }
                return learner.queryLoss(q, episode).loss
            }
        }
    }
}

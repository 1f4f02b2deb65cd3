import Datasets
import MetaLearning
import NeuralNets
import Tensors
import TestSupport
import XCTest

final class InnerLoopTests: XCTestCase {
    /// One inner step is θ' = θ − α·∂L/∂θ for the inner parameters only; U is left alone.
    func testOneStepIsSGDOnInnerParameters() {
        let layer = SymmetricLinear(5, 4, latentSize: 2, bias: true)
        var g = SplitMix64(seed: 1)
        let p = InnerLoop.metaParameters(for: layer, initial: layer.initialParameters(dtype: .float64, using: &g), initialLearningRate: 0.3)
        XCTAssertEqual(p.keys, ["bias", "filterParameters", "innerLearningRate.bias", "innerLearningRate.filterParameters", "symmetryMatrix"])
        let support = TaskExamples(inputs: randn([3, 5], seed: 2), targets: randn([3, 4], seed: 3))
        let fast = InnerLoop(steps: 1).adapt(layer, p.requiringGradient(), on: support, createGraph: false)
        let leaves = p.requiringGradient()
        let loss = Tensor.meanSquaredError(layer.apply(leaves, support.inputs), support.targets)
        let grads = gradients(of: loss, wrt: [leaves["filterParameters"], leaves["bias"]])
        assertClose(fast["filterParameters"], p["filterParameters"] - grads[0] * 0.3, tolerance: 1e-14)
        assertClose(fast["bias"], p["bias"] - grads[1] * 0.3, tolerance: 1e-14)
        assertClose(fast["symmetryMatrix"], p["symmetryMatrix"], tolerance: 0)
    }

    /// The task-batched inner loop and query losses equal the per-task ones, and so does the second-order
    /// meta-gradient of their sum (Float64, two inner steps: differences are rounding, ~1e-15 relative).
    func testTaskBatchedAdaptationEqualsPerTask() {
        let layer = SymmetricLinear(6, 4, latentSize: 3, bias: true)
        var g = SplitMix64(seed: 4)
        let p = InnerLoop.metaParameters(for: layer, initial: layer.initialParameters(dtype: .float64, using: &g), initialLearningRate: 0.2)
        let inner = InnerLoop(steps: 2)
        let episodes = (0..<3).map { t in
            Episode(support: TaskExamples(inputs: randn([2, 1, 6], seed: 10 + t), targets: randn([2, 1, 4], seed: 20 + t)),
                    query: TaskExamples(inputs: randn([5, 1, 6], seed: 30 + t), targets: randn([5, 1, 4], seed: 40 + t)))
        }
        let leaves = p.requiringGradient()
        let keys = leaves.keys
        var perTask: [Tensor] = []
        var separate = [Tensor](repeating: Tensor.zeros([1], dtype: .float64), count: keys.count)
        for (i, e) in episodes.enumerated() {
            let loss = inner.queryLoss(layer, leaves, episode: e, createGraph: true)
            perTask.append(loss)
            let grads = gradients(of: loss, wrt: keys.map { leaves[$0] })
            separate = i == 0 ? grads : zip(separate, grads).map { $0 + $1 }
        }
        let fast = inner.adaptTasks(layer, leaves, inputs: Tensor.stack(episodes.map(\.support.inputs)),
                                    targets: Tensor.stack(episodes.map(\.support.targets)), createGraph: true)
        XCTAssertEqual(fast["filterParameters"].shape, [3, 3])
        let losses = inner.loss.perTask(layer.applyToTasks(fast, Tensor.stack(episodes.map(\.query.inputs))),
                                        Tensor.stack(episodes.map(\.query.targets)))
        for b in 0..<3 { XCTAssertEqual(losses.scalars[b], perTask[b].item, accuracy: 1e-12 * max(1, abs(perTask[b].item))) }
        let batched = gradients(of: losses.sum(), wrt: keys.map { leaves[$0] })
        for (j, key) in keys.enumerated() { assertClose(batched[j], separate[j], tolerance: 1e-12, key) }
    }

    /// Adam's first two steps by hand: m₁ = 0.1g, v₁ = 0.001g², update η·m̂/(√v̂ + ε) = η·sign(g) at t = 1.
    func testAdamMatchesClosedForm() {
        let adam = Adam(learningRate: 0.01)
        var state = Adam.State()
        var p = Parameters(["w": Tensor(shape: [2], values: [1, -2], dtype: .float64)])
        let g1 = Parameters(["w": Tensor(shape: [2], values: [0.5, -4], dtype: .float64)])
        adam.update(&p, gradients: g1, state: &state)
        // t = 1: m̂ = g, v̂ = g², so the update is η·g/(|g| + ε).
        let first = zip([1.0, -2.0], [0.5, -4.0]).map { $0 - 0.01 * $1 / (abs($1) + 1e-8) }
        assertClose(p["w"], Tensor(shape: [2], values: first, dtype: .float64), tolerance: 1e-15)
        let g2 = Parameters(["w": Tensor(shape: [2], values: [1, 2], dtype: .float64)])
        adam.update(&p, gradients: g2, state: &state)
        // t = 2: m = 0.9·0.1g₁ + 0.1g₂, v = 0.999·0.001g₁² + 0.001g₂²
        for (i, (a, b)) in zip([0.5, -4.0], [1.0, 2.0]).enumerated() {
            let m = 0.09 * a + 0.1 * b, v = 0.000999 * a * a + 0.001 * b * b
            let step = 0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.998001)).squareRoot() + 1e-8)
            XCTAssertEqual(p["w"].scalars[i], first[i] - step, accuracy: 1e-14)
        }
        XCTAssertEqual(state.step, 2)
    }

    /// Quantiles of Student's t against tabulated values (scipy.stats.t.ppf).
    func testStudentTQuantiles() {
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 1), 12.706204736174698, accuracy: 1e-8)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 9), 2.2621571628540993, accuracy: 1e-9)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 299), 1.967929669238947, accuracy: 1e-9)
        XCTAssertEqual(StudentT.quantile(0.5, degreesOfFreedom: 5), 0, accuracy: 1e-12)
        let sample = MeanWithInterval([1, 2, 3, 4])
        XCTAssertEqual(sample.mean, 2.5)
        // s = √(5/3), t₀.₉₇₅,₃ = 3.182446305284263
        XCTAssertEqual(sample.halfWidth95, 3.182446305284263 * (5.0 / 3).squareRoot() / 2, accuracy: 1e-9)
    }
}

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
        let fast = inner.adaptTasks(layer, TaskSegments(leaves, taskCount: 3), inputs: Tensor.stack(episodes.map(\.support.inputs)),
                                    targets: Tensor.stack(episodes.map(\.support.targets)), createGraph: true)
        XCTAssertEqual(fast["filterParameters"].shape, [3, 3])
        let losses = inner.loss.perTask(layer.applyToTasks(fast, Tensor.stack(episodes.map(\.query.inputs))),
                                        Tensor.stack(episodes.map(\.query.targets)))
        for b in 0..<3 { XCTAssertEqual(losses.scalars[b], perTask[b].item, accuracy: 1e-12 * max(1, abs(perTask[b].item))) }
        let batched = gradients(of: losses.sum(), wrt: keys.map { leaves[$0] })
        for (j, key) in keys.enumerated() { assertClose(batched[j], separate[j], tolerance: 1e-12, key) }
    }

    /// Tasks in segments, each with its own copy of the meta-parameters: every segment's second-order meta-gradient
    /// and query losses are bitwise those of the segment computed alone (Float32; segments of 3, 1 and 2 tasks;
    /// MSR-FC with one support example — U contracted with the examples first — and with two, and FC). This is
    /// what lets the trainer run a thread's groups as one computation without results depending on the threads.
    func testSegmentsEqualEachSegmentAloneBitwise() {
        let counts = [3, 1, 2]
        let models: [(any TaskBatchedLayer, Int)] = [(SymmetricLinear(6, 4, latentSize: 3, bias: true), 1),
                                                     (SymmetricLinear(6, 4, latentSize: 3, bias: false), 2),
                                                     (Linear(6, 4, bias: true), 2)]
        for (layer, supportCount) in models {
            var g = SplitMix64(seed: 5)
            let p = InnerLoop.metaParameters(for: layer, initial: layer.initialParameters(dtype: .float32, using: &g), initialLearningRate: 0.2)
            let inner = InnerLoop(steps: 2)
            let episodes = (0..<6).map { t in
                Episode(support: TaskExamples(inputs: randn([supportCount, 1, 6], seed: 10 + UInt64(t), dtype: .float32),
                                              targets: randn([supportCount, 1, 4], seed: 20 + UInt64(t), dtype: .float32)),
                        query: TaskExamples(inputs: randn([5, 1, 6], seed: 30 + UInt64(t), dtype: .float32),
                                            targets: randn([5, 1, 4], seed: 40 + UInt64(t), dtype: .float32)))
            }
            let keys = p.keys
            func run(_ segments: TaskSegments, _ episodes: [Episode]) -> (losses: [Double], gradients: [[Tensor]]) {
                func stacked(_ part: KeyPath<Episode, Tensor>) -> Tensor { Tensor.stack(episodes.map { $0[keyPath: part] }) }
                let fast = inner.adaptTasks(layer, segments, inputs: stacked(\.support.inputs), targets: stacked(\.support.targets),
                                            createGraph: true)
                let losses = inner.loss.perTask(layer.applyToTasks(fast, stacked(\.query.inputs), segments: segments),
                                                stacked(\.query.targets))
                let all = gradients(of: losses.sum(), wrt: segments.parameters.flatMap { q in keys.map { q[$0] } })
                return (losses.scalars, segments.parameters.indices.map { Array(all[($0 * keys.count)..<(($0 + 1) * keys.count)]) })
            }
            let together = run(TaskSegments(parameters: counts.map { _ in p.requiringGradient() }, taskCounts: counts), episodes)
            var first = 0
            for (s, n) in counts.enumerated() {
                let alone = run(TaskSegments(p.requiringGradient(), taskCount: n), Array(episodes[first..<(first + n)]))
                XCTAssertEqual(Array(together.losses[first..<(first + n)]), alone.losses, "\(type(of: layer)), segment \(s)")
                for (j, key) in keys.enumerated() {
                    XCTAssertEqual(together.gradients[s][j].scalars, alone.gradients[0][j].scalars, "\(type(of: layer)), segment \(s), \(key)")
                }
                first += n
            }
        }
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

    /// The meta-gradient of MSR-Conv with a sum of r = 2 Kronecker products, as the fixture `msr_conv2d` pins
    /// r = 1 (one inner SGD step on the bank, query MSE; here with 2 input channels so that B matters):
    /// second order, with respect to the initial bank, its learned inner rate and every factor, and its own
    /// derivative (a Hessian–vector product through the inner step), by finite differences in Float64
    /// (`checkGradients`, tolerance 1e-6 relative); first order, the meta-gradient taken with the inner
    /// gradient g₀ held constant, against central differences of L_query(w − α·g₀) with g₀ fixed (1e-6).
    func testSumOfKroneckerProductsMetaGradients() {
        let layer = SymmetricConv2d(2, 2, terms: 2)
        var g = SplitMix64(seed: 30)
        var p = InnerLoop.metaParameters(for: layer, initial: layer.initialParameters(dtype: .float64, using: &g), initialLearningRate: 0.3)
        for (i, key) in layer.symmetryMatrixKeys.enumerated() { p[key] = p[key] + 0.3 * randn(p[key].shape, seed: 31 + UInt64(i)) }
        let support = TaskExamples(inputs: randn([1, 2, 6, 6], seed: 40), targets: randn([1, 2, 4, 4], seed: 41))
        let query = TaskExamples(inputs: randn([3, 2, 6, 6], seed: 42), targets: randn([3, 2, 4, 4], seed: 43))
        let keys = ["weight", InnerLoop.learningRateKey("weight")] + layer.symmetryMatrixKeys
        let inner = InnerLoop(steps: 1)
        func queryLoss(_ fast: Parameters) -> Tensor { Tensor.meanSquaredError(layer.apply(fast, query.inputs), query.targets) }

        // Second order: the whole meta-objective and its derivative.
        checkGradients(keys.map { p[$0] }) { t in
            var q = p
            for (k, v) in zip(keys, t) { q[k] = v }
            return queryLoss(inner.adapt(layer, q, on: support, createGraph: true))
        }

        // First order: ∂/∂θ of L_query(w − α·g₀; A, B, C) with g₀ = ∇_w L_support at θ, held constant.
        let leaves = p.requiringGradient()
        let firstOrder = gradients(of: queryLoss(inner.adapt(layer, leaves, on: support, createGraph: false)), wrt: keys.map { leaves[$0] })
        let w0 = p["weight"].requiringGradient()
        var atW0 = p; atW0["weight"] = w0
        let g0 = gradients(of: Tensor.meanSquaredError(layer.apply(atW0, support.inputs), support.targets), wrt: [w0])[0].detached()
        func value(_ t: [Tensor]) -> Double {
            var q = p
            for (k, v) in zip(keys, t) { q[k] = v }
            q["weight"] = q["weight"] - q[InnerLoop.learningRateKey("weight")] * g0
            return queryLoss(q).item
        }
        let base = keys.map { p[$0] }
        for (i, key) in keys.enumerated() {
            let numeric = finiteDifference(base, i, h: 1e-6, value)
            assertClose(firstOrder[i], Tensor(shape: base[i].shape, values: numeric, dtype: .float64), tolerance: 1e-6, "first order, \(key)")
        }
        // The two orders differ by far more than the tolerance, so each check tells them apart.
        let secondOrder = gradients(of: queryLoss(inner.adapt(layer, leaves, on: support, createGraph: true)), wrt: keys.map { leaves[$0] })
        let gap = zip(firstOrder, secondOrder).map { zip($0.scalars, $1.scalars).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        XCTAssertGreaterThan(gap, 1e-3)
    }
}

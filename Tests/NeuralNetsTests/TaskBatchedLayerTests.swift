import NeuralNets
import Tensors
import TestSupport
import XCTest

/// `applyToTasks` runs B tasks at once: each task's slice equals `apply` with that task's inner parameters,
/// and its gradients (first and second order) are right.
final class TaskBatchedLayerTests: XCTestCase {
    /// B tasks' inner parameters (B, …) from `p`'s, each a different draw; shared ones as they are.
    func perTask(_ layer: some Layer, _ p: Parameters, tasks: Int, using g: inout SplitMix64) -> (batched: Parameters, each: [Parameters]) {
        var each: [Parameters] = []
        for _ in 0..<tasks {
            var q = p
            for key in layer.innerParameterKeys { q[key] = Tensor.randomNormal(p[key].shape, dtype: .float64, using: &g) }
            each.append(q)
        }
        var batched = p
        for key in layer.innerParameterKeys { batched[key] = Tensor.stack(each.map { $0[key] }) }
        return (batched, each)
    }

    func assertMatchesApply(_ layer: some TaskBatchedLayer, examples: Int = 5, exampleShape: [Int],
                            file: StaticString = #filePath, line: UInt = #line) {
        var g = SplitMix64(seed: 11)
        let p = layer.initialParameters(dtype: .float64, using: &g)
        let (batched, each) = perTask(layer, p, tasks: 3, using: &g)
        let x = Tensor.randomNormal([3, examples] + exampleShape, dtype: .float64, using: &g)
        let y = layer.applyToTasks(batched, x)
        for b in 0..<3 {
            let expected = layer.apply(each[b], x.sliced(axis: 0, b..<(b + 1)).reshaped([examples] + exampleShape))
            assertClose(y.sliced(axis: 0, b..<(b + 1)).reshaped(expected.shape), expected, tolerance: 1e-12, "task \(b)", file: file, line: line)
        }
    }

    func testEachTaskEqualsApply() {
        assertMatchesApply(SymmetricLinear(7, 4, latentSize: 3, bias: true), exampleShape: [7])
        assertMatchesApply(SymmetricLinear(7, 4, latentSize: 3, bias: false), exampleShape: [1, 7])
        // One example per task: x contracted with U first, no W_b formed.
        assertMatchesApply(SymmetricLinear(7, 4, latentSize: 3, bias: true), examples: 1, exampleShape: [7])
        assertMatchesApply(SymmetricLinear(7, 4, latentSize: 3, bias: false), examples: 1, exampleShape: [1, 7])
        assertMatchesApply(Linear(6, 2, bias: true), exampleShape: [6])
        assertMatchesApply(Linear(6, 2, bias: false), exampleShape: [1, 6])
    }

    /// Where a computation already holds Ũ (a one-example pass made it), W's path forms each Wᵀ_b from Ũ: every task
    /// still equals `apply`, and first and second derivatives through both passes (U's gradient from both joining
    /// before the permutation back) match finite differences.
    func testWeightsFormedFromUByInput() {
        var g = SplitMix64(seed: 12)
        let layer = SymmetricLinear(7, 4, latentSize: 3, bias: true)
        let p = layer.initialParameters(dtype: .float64, using: &g)
        let (batched, each) = perTask(layer, p, tasks: 3, using: &g)
        let one = Tensor.randomNormal([3, 1, 7], dtype: .float64, using: &g), x = Tensor.randomNormal([3, 5, 7], dtype: .float64, using: &g)
        let segments = TaskSegments(batched, taskCount: 3)
        _ = layer.applyToTasks(batched, one, segments: segments)
        XCTAssertNotNil(segments.derivedIfMade("symmetryMatrix.byInput"))
        let y = layer.applyToTasks(batched, x, segments: segments)
        for b in 0..<3 {
            let expected = layer.apply(each[b], x.sliced(axis: 0, b..<(b + 1)).reshaped([5, 7]))
            assertClose(y.sliced(axis: 0, b..<(b + 1)).reshaped(expected.shape), expected, tolerance: 1e-12, "task \(b)")
        }
        let u = batched["symmetryMatrix"], v = batched["filterParameters"], bias = batched["bias"]
        checkGradients([u, v, bias, one, x]) { t in
            let q = Parameters(["symmetryMatrix": t[0], "filterParameters": t[1], "bias": t[2]])
            let segments = TaskSegments(q, taskCount: 3)
            let y1 = layer.applyToTasks(q, t[3], segments: segments), y = layer.applyToTasks(q, t[4], segments: segments)
            return (y1 * y1).sum() + (y * y.tanh()).sum()
        }
    }

    /// Finite differences, first and second order, through the inputs, the per-task v and b and the shared U.
    func testGradients() {
        var g = SplitMix64(seed: 5)
        let layer = SymmetricLinear(5, 3, latentSize: 2, bias: true)
        let u = Tensor.randomNormal([15, 2], dtype: .float64, using: &g)
        let v = Tensor.randomNormal([4, 2], dtype: .float64, using: &g), b = Tensor.randomNormal([4, 3], dtype: .float64, using: &g)
        let x = Tensor.randomNormal([4, 2, 5], dtype: .float64, using: &g)
        checkGradients([u, v, b, x]) { t in
            let y = layer.applyToTasks(Parameters(["symmetryMatrix": t[0], "filterParameters": t[1], "bias": t[2]]), t[3])
            return y * y
        }
        // One example per task (the examples-first order), through the same parameters.
        let x1 = Tensor.randomNormal([4, 1, 5], dtype: .float64, using: &g)
        checkGradients([u, v, b, x1]) { t in
            let y = layer.applyToTasks(Parameters(["symmetryMatrix": t[0], "filterParameters": t[1], "bias": t[2]]), t[3])
            return y * y
        }
        let linear = Linear(5, 3, bias: true)
        let w = Tensor.randomNormal([4, 3, 5], dtype: .float64, using: &g)
        checkGradients([w, b, x]) { t in
            let y = linear.applyToTasks(Parameters(["weight": t[0], "bias": t[1]]), t[2])
            return y * y
        }
    }
}

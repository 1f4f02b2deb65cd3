import Tensors
import TestSupport
import XCTest

final class LossGradientTests: XCTestCase {
    func testLogSoftmaxAndCrossEntropy() {
        let logits = randn([4, 5], seed: 1)
        checkGradients([logits]) { $0[0].logSoftmax(axis: 1) }
        checkGradients([logits]) { $0[0].logSoftmax(axis: 0) }
        checkGradients([logits]) { $0[0].softmax(axis: 1) }
        checkGradients([logits]) { Tensor.crossEntropy(logits: $0[0], labels: [0, 4, 2, 2]) }
        // Softmax rows sum to one; cross-entropy equals −mean log p[label].
        XCTAssertEqual(logits.softmax(axis: 1).sum(axis: 1).scalars.map { ($0 * 1e12).rounded() / 1e12 }, [1, 1, 1, 1])
        let p = logits.scalars
        var expected = 0.0
        for (i, y) in [0, 4, 2, 2].enumerated() {
            let row = p[(i * 5)..<(i * 5 + 5)]
            expected += Foundation.log(row.map(Foundation.exp).reduce(0, +)) - p[i * 5 + y]
        }
        XCTAssertEqual(Tensor.crossEntropy(logits: logits, labels: [0, 4, 2, 2]).item, expected / 4, accuracy: 1e-12)
        // Stable for large logits.
        let big = Tensor(shape: [1, 2], values: [1000, 0], dtype: .float32)
        XCTAssertEqual(Tensor.crossEntropy(logits: big, labels: [1]).item, 1000, accuracy: 1e-3)
    }

    func testMeanSquaredError() {
        let a = randn([3, 4], seed: 2), b = randn([3, 4], seed: 3)
        checkGradients([a, b]) { Tensor.meanSquaredError($0[0], $0[1]) }
        XCTAssertEqual(Tensor.meanSquaredError(a, b).item, zip(a.scalars, b.scalars).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 12, accuracy: 1e-12)
    }

    func testMeanSquaredErrorPrimitive() {
        // The fused primitive agrees with its definition, in value and in gradients of every order used.
        let p = randn([2, 1, 7], seed: 21), t = randn([2, 1, 7], seed: 22)
        let composed = { (p: Tensor, t: Tensor) in (p - t).squared().mean() }
        XCTAssertEqual(Tensor.meanSquaredError(p, t).item, composed(p, t).item, accuracy: 1e-14)
        XCTAssertEqual(Tensor.meanSquaredError(p, t).shape, [])
        XCTAssertEqual(Tensor.meanSquaredError(p.to(.float32), t.to(.float32)).item, composed(p, t).item, accuracy: 1e-5)
        // Gradient with respect to only one of the operands (the other a constant or not a target).
        let (pl, tl) = (p.requiringGradient(), t.requiringGradient())
        let both = gradients(of: Tensor.meanSquaredError(pl, tl), wrt: [pl, tl])
        assertClose(both[0], (p - t) * (2.0 / 14), tolerance: 1e-14)
        assertClose(both[1], (t - p) * (2.0 / 14), tolerance: 1e-14)
        assertClose(gradients(of: Tensor.meanSquaredError(pl, tl), wrt: [tl])[0], both[1], tolerance: 1e-14)
        assertClose(gradients(of: Tensor.meanSquaredError(pl, t), wrt: [pl])[0], both[0], tolerance: 1e-14)
        // Third order: the gradient of an inner-loop-like function that itself differentiates the loss,
        // so the backward rule of the loss's backward (`scaledDifference`) is differentiated again.
        let w = randn([3, 7], seed: 23), x = randn([2, 1, 3], seed: 24)
        checkGradients([w, t, Tensor(shape: [], values: [0.3], dtype: .float64)]) { v in
            let wl = v[0]
            let inner = Tensor.meanSquaredError(Tensor.matmul(x, wl).tanh(), v[1])
            let g = gradients(of: inner, wrt: [wl], createGraph: true)[0]
            let fast = wl - v[2] * g
            return Tensor.meanSquaredError(Tensor.matmul(x, fast).tanh(), v[1]) * inner
        }
    }

    /// Every task's loss at once: each slice's mean of (p − t)², gradients of first and second order by finite
    /// differences (with a random weight per slice, so the per-slice scale of the backward is exercised), and a third
    /// order through an inner-loop-like step, as the task-batched inner loop uses it.
    func testMeanSquaredErrorPerSlice() {
        let p = randn([3, 2, 5], seed: 31), t = randn([3, 2, 5], seed: 32)
        let composed = (p - t).squared().mean(axes: [1, 2])
        let fused = Tensor.meanSquaredErrorPerSlice(p, t)
        XCTAssertEqual(fused.shape, [3])
        for b in 0..<3 { XCTAssertEqual(fused.scalars[b], composed.scalars[b], accuracy: 1e-14) }
        for b in 0..<3 {
            let slice = Tensor.meanSquaredError(p.sliced(axis: 0, b..<(b + 1)), t.sliced(axis: 0, b..<(b + 1)))
            XCTAssertEqual(fused.scalars[b], slice.item, "slice \(b) summed as meanSquaredError sums it alone")
        }
        let pf = p.to(.float32), tf = t.to(.float32)
        XCTAssertEqual(Tensor.meanSquaredErrorPerSlice(pf, tf).floats, (0..<3).map {
            Tensor.meanSquaredError(pf.sliced(axis: 0, $0..<($0 + 1)), tf.sliced(axis: 0, $0..<($0 + 1))).floats[0]
        })
        checkGradients([p, t]) { Tensor.meanSquaredErrorPerSlice($0[0], $0[1]) }
        checkGradients([randn([4], seed: 33), randn([4], seed: 34)]) { Tensor.meanSquaredErrorPerSlice($0[0], $0[1]) }
        let (pl, tl) = (p.requiringGradient(), t.requiringGradient())
        let both = gradients(of: Tensor.meanSquaredErrorPerSlice(pl, tl).sum(), wrt: [pl, tl])
        assertClose(both[0], (p - t) * (2.0 / 10), tolerance: 1e-14)
        assertClose(both[1], (t - p) * (2.0 / 10), tolerance: 1e-14)
        // The backward's own backward with respect to the upstream gradient (one scale per slice, here depending on
        // an input): rank 1 (each slice one element) and rank 3.
        for shape in [[4], [3, 2, 5]] {
            let (pp, tt, q) = (randn(shape, seed: 37), randn(shape, seed: 38), randn([shape[0]], seed: 39))
            checkGradients([pp, tt, q]) { v in
                gradients(of: (Tensor.meanSquaredErrorPerSlice(v[0], v[1]) * v[2].tanh()).sum(), wrt: [v[0]], createGraph: true)[0]
            }
        }
        let w = randn([3, 5], seed: 35), x = randn([3, 2, 3], seed: 36)
        checkGradients([w, t, Tensor(shape: [], values: [0.3], dtype: .float64)]) { v in
            let wl = v[0]
            let inner = Tensor.meanSquaredErrorPerSlice(Tensor.matmul(x, wl).tanh(), v[1])
            let g = gradients(of: inner.sum(), wrt: [wl], createGraph: true)[0]
            let fast = wl - v[2] * g
            return Tensor.meanSquaredErrorPerSlice(Tensor.matmul(x, fast).tanh(), v[1]) * inner
        }
    }

    func testBatchNorm() {
        let x = randn([3, 2, 2, 3], seed: 4), gamma = randn([2], seed: 5), beta = randn([2], seed: 6)
        checkGradients([x, gamma, beta]) { Tensor.batchNorm($0[0], scale: $0[1], shift: $0[2]) }
        checkGradients([randn([5, 3], seed: 7), gamma.sliced(axis: 0, 0..<1).expanded(to: [3]), beta.expanded(to: [2]).sum(toShape: [1]).expanded(to: [3])]) {
            Tensor.batchNorm($0[0], scale: $0[1], shift: $0[2]).tanh()
        }
        // Each channel of the output has mean β and variance γ²·v/(v + ε).
        let y = Tensor.batchNorm(x, scale: Tensor.ones([2], dtype: .float64), shift: Tensor.zeros([2], dtype: .float64))
        let means = y.mean(axes: [0, 2, 3]).scalars
        XCTAssertEqual(means[0], 0, accuracy: 1e-12)
        XCTAssertEqual(means[1], 0, accuracy: 1e-12)
    }
}

import Dispatch
import Tensors
import TestSupport
import XCTest

final class AutodiffTests: XCTestCase {
    func testUnusedInputsGetZeros() {
        let x = randn([2, 3], seed: 1).requiringGradient()
        let unused = randn([4], seed: 2).requiringGradient()
        let constant = randn([5], seed: 3)
        let g = gradients(of: x.sum(), wrt: [x, unused, constant])
        XCTAssertEqual(g[0].scalars, [Double](repeating: 1, count: 6))
        XCTAssertEqual(g[1].shape, [4]); XCTAssertEqual(g[1].scalars, [0, 0, 0, 0])
        XCTAssertEqual(g[2].scalars, [Double](repeating: 0, count: 5))
        // A constant loss: zeros everywhere.
        XCTAssertEqual(gradients(of: constant.sum(), wrt: [x])[0].scalars, [Double](repeating: 0, count: 6))
    }

    func testDetachedAndNoGradScope() {
        let x = randn([3], seed: 4).requiringGradient()
        XCTAssertTrue((x * 2).requiresGradient)
        XCTAssertFalse(x.detached().requiresGradient)
        // y = x · stop(x): dy/dx = stop(x), not 2x.
        let g = gradients(of: (x * x.detached()).sum(), wrt: [x])[0]
        assertClose(g, x.detached(), tolerance: 1e-15)
        let inside = withoutGradients { (x * x).exp() }
        XCTAssertFalse(inside.requiresGradient)
        XCTAssertFalse(withoutGradients { isRecordingGradients })
        XCTAssertTrue(isRecordingGradients)
    }

    func testFirstOrderGradientsAreConstants() {
        let x = randn([3], seed: 5).requiringGradient()
        XCTAssertFalse(gradients(of: (x * x).sum(), wrt: [x])[0].requiresGradient)
        XCTAssertTrue(gradients(of: (x * x).sum(), wrt: [x], createGraph: true)[0].requiresGradient)
    }

    func testGradientWithRespectToIntermediate() {
        let x = randn([3], seed: 6).requiringGradient()
        let h = x.exp()                   // an intermediate, as the fast weights of an inner loop
        let loss = (h * h).sum()           // dL/dh = 2h, dL/dx = 2h·eˣ = 2e²ˣ
        let g = gradients(of: loss, wrt: [h, x])
        assertClose(g[0], h.detached() * 2, tolerance: 1e-14)
        assertClose(g[1], (x.detached() * 2).exp() * 2, tolerance: 1e-14)
    }

    func testGradientsOfSomeInputsOnly() {
        // Rules skip the gradients of inputs no target needs; the others must not change. U requires a
        // gradient but is not a target (as the symmetry matrix in an inner loop).
        let u = randn([12, 3], seed: 31).requiringGradient(), v = randn([3], seed: 32).requiringGradient()
        let x = randn([2, 4], seed: 33), y = randn([2, 3], seed: 34)
        func loss() -> Tensor {
            let w = Tensor.matmul(u, v.reshaped([3, 1])).reshaped([3, 4])
            return Tensor.meanSquaredError(Tensor.matmul(x, w, transposeB: true), y) + (v * v).sum() / u.sum()
        }
        let all = gradients(of: loss(), wrt: [u, v])
        assertClose(gradients(of: loss(), wrt: [v])[0], all[1], tolerance: 1e-14)
        assertClose(gradients(of: loss(), wrt: [u])[0], all[0], tolerance: 1e-14)
        let second = gradients(of: gradients(of: loss(), wrt: [v], createGraph: true)[0].sum(), wrt: [u, v])
        let reference = gradients(of: gradients(of: loss(), wrt: [u, v], createGraph: true)[1].sum(), wrt: [u, v])
        assertClose(second[0], reference[0], tolerance: 1e-12)
        assertClose(second[1], reference[1], tolerance: 1e-12)
    }

    func testAccumulatedGradientDoesNotAliasResults() {
        // Gradient sums are formed in place when a buffer is not shared; a gradient that is also another
        // target's result (x + y gives both the same tensor) must keep its value.
        let x = randn([4], seed: 35).requiringGradient(), y = randn([4], seed: 36).requiringGradient()
        let s = x + y
        let loss = (s * 3).sum() + (x * 2).sum()
        let g = gradients(of: loss, wrt: [s, x, y])
        XCTAssertEqual(g[0].scalars, [3, 3, 3, 3])
        XCTAssertEqual(g[1].scalars, [5, 5, 5, 5])
        XCTAssertEqual(g[2].scalars, [3, 3, 3, 3])
    }

    func testRepeatedUseAccumulates() {
        let x = Tensor(shape: [], values: [3], dtype: .float64).requiringGradient()
        let y = x * x + x * 4 + x     // dy/dx = 2x + 5
        XCTAssertEqual(gradients(of: y, wrt: [x])[0].item, 11)
        XCTAssertEqual(gradients(of: y, wrt: [x, x]).map(\.item), [11, 11])
    }

    /// Second-order meta-gradient of a two-step inner loop, checked by finite differences: an MSR layer
    /// W = reshape(U·v), inner SGD on (v, b) with learned rate α, query loss after two steps.
    func testTwoStepInnerLoop() {
        let u = randn([12, 2], seed: 7), v = randn([2], seed: 8), b = randn([3], seed: 9)
        let lr = Tensor(shape: [], values: [0.1], dtype: .float64)
        let xs = randn([5, 4], seed: 10), ys = randn([5, 3], seed: 11)
        let xq = randn([6, 4], seed: 12), yq = randn([6, 3], seed: 13)
        func model(_ u: Tensor, _ v: Tensor, _ b: Tensor, _ x: Tensor) -> Tensor {
            let w = Tensor.matmul(u, v.reshaped([2, 1])).reshaped([3, 4])   // W = reshape(U·v), (out, in)
            return Tensor.matmul(x, w, transposeB: true) + b
        }
        checkGradients([u, v, b, lr]) { p in
            var (v, b) = (p[1], p[2])
            for _ in 0..<2 {
                let support = Tensor.meanSquaredError(model(p[0], v, b, xs), ys)
                let g = gradients(of: support, wrt: [v, b], createGraph: true)
                v = v - p[3] * g[0]
                b = b - p[3] * g[1]
            }
            return Tensor.meanSquaredError(model(p[0], v, b, xq), yq)
        }
    }

    /// A chain of a million recorded ops is released without recursion (no stack overflow) and its
    /// memory comes back (the backward pass over it also runs iteratively).
    func testMillionNodeGraphIsReleased() {
        let x = Tensor(shape: [], values: [0], dtype: .float32).requiringGradient()
        var y = x
        for _ in 0..<1_000_000 { y = y + 1 }
        XCTAssertEqual(y.item, 1_000_000)
        XCTAssertEqual(gradients(of: y, wrt: [x])[0].item, 1)
        weak var head = y.node
        XCTAssertNotNil(head)
        y = Tensor(0)
        XCTAssertNil(head, "the graph must be freed when its last tensor goes")
    }

    /// Tasks on several threads record independent graphs; results equal the serial ones exactly.
    func testParallelTasksMatchSerial() {
        func task(_ i: Int) -> [Double] {
            let w = randn([4, 3], seed: 100).requiringGradient()
            let x = randn([5, 4], seed: UInt64(i))
            let loss = Tensor.matmul(x, w).tanh().sum()
            let g = gradients(of: loss, wrt: [w], createGraph: true)[0]
            return gradients(of: g.squared().sum(), wrt: [w])[0].scalars
        }
        let serial = (0..<16).map(task)
        var parallel = [[Double]](repeating: [], count: 16)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            let r = task(i)
            lock.lock(); parallel[i] = r; lock.unlock()
        }
        XCTAssertEqual(serial, parallel)
        // A no-grad scope on one thread does not leak into another.
        withoutGradients {
            final class Box: @unchecked Sendable { var recorded = false }
            let box = Box(), done = DispatchSemaphore(value: 0)
            Thread { box.recorded = isRecordingGradients; done.signal() }.start()   // a new thread
            done.wait()
            XCTAssertTrue(box.recorded)
            XCTAssertFalse(isRecordingGradients)
        }
    }
}

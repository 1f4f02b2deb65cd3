import Tensors
import TestSupport
import XCTest

/// `maxPool2d` as one recorded op with argmax indices: values, tie handling, and derivatives up to
/// third order (its backward is a scatter whose backward is a gather, both linear).
final class MaxPoolTests: XCTestCase {
    func testValuesTiesAndGradient() {
        let m = Tensor(shape: [1, 1, 2, 4], values: [1, 5, 5, 0, 3, 4, -1, 5], dtype: .float64).requiringGradient()
        let y = m.maxPool2d(kernel: (2, 2))
        XCTAssertEqual(y.scalars, [5, 5])
        // The gradient goes to the first maximum of each window in row-major order (as PyTorch).
        let g = gradients(of: (y * Tensor(shape: [1, 1, 1, 2], values: [2, 3], dtype: .float64)).sum(), wrt: [m])[0]
        XCTAssertEqual(g.scalars, [0, 2, 3, 0, 0, 0, 0, 0])
    }

    func testHigherOrder() {
        let x = randn([2, 2, 4, 5], seed: 31)
        checkGradients([x]) { $0[0].maxPool2d(kernel: (2, 2)).squared() }
        // An inner step through the pooling: exercises the gather that differentiates the scatter.
        checkGradients([x, randn([2, 2, 2, 2], seed: 32)]) { v in
            let inner = (v[0].maxPool2d(kernel: (2, 2)) * v[1]).squared().sum()
            let g = gradients(of: inner, wrt: [v[0]], createGraph: true)[0]
            return (v[0] - 0.1 * g).maxPool2d(kernel: (2, 2)).squared()
        }
    }
}

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

    /// The eight-wide Float32 path agrees with the scalar Float64 path, ties and NaN included: rows of 19 windows (two
    /// vectors, the second partial), 7 (Conv4's 14×14 maps: one partial vector per row but the plane's last) and 3
    /// from an odd width.
    func testFloatFastPathMatchesScalarPath() {
        for (shape, seed) in [([2, 3, 6, 38], 33), ([2, 3, 14, 14], 35), ([3, 2, 7, 7], 37)] {
            var values = randn(shape, seed: UInt64(seed)).scalars.map { ($0 * 2).rounded() / 2 }   // many ties
            values[5] = .nan
            let x64 = Tensor(shape: shape, values: values, dtype: .float64).requiringGradient()
            let x32 = Tensor(shape: shape, values: values, dtype: .float32).requiringGradient()
            let y64 = x64.maxPool2d(kernel: (2, 2)), y32 = x32.maxPool2d(kernel: (2, 2))
            XCTAssertEqual(y64.shape, [shape[0], shape[1], shape[2] / 2, shape[3] / 2])
            XCTAssertEqual(y32.scalars.map { $0.isNaN ? 12345 : $0 }, y64.scalars.map { $0.isNaN ? 12345 : $0 }, "\(shape)")
            let w = randn(y64.shape, seed: UInt64(seed + 1))
            let g64 = gradients(of: (y64 * w).sum(), wrt: [x64])[0]
            let g32 = gradients(of: (y32 * w.to(.float32)).sum(), wrt: [x32])[0]
            XCTAssertEqual(g32.scalars, g64.scalars.map { Double(Float($0)) }, "\(shape)")
        }
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

import Tensors
import TestSupport
import XCTest

final class MatmulGradientTests: XCTestCase {
    /// Reference product by the definition, in Double.
    func naive(_ a: Tensor, _ b: Tensor) -> [Double] {
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        let x = a.scalars, y = b.scalars
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { out[i * n + j] += x[i * k + p] * y[p * n + j] } } }
        return out
    }

    func testValuesAllTranspositions() {
        let a = randn([5, 7], seed: 1), b = randn([7, 3], seed: 2)
        let expected = Tensor(shape: [5, 3], values: naive(a, b), dtype: .float64)
        assertClose(Tensor.matmul(a, b), expected, tolerance: 1e-14)
        assertClose(Tensor.matmul(a.transposed(), b, transposeA: true), expected, tolerance: 1e-14)
        assertClose(Tensor.matmul(a, b.transposed(), transposeB: true), expected, tolerance: 1e-14)
        assertClose(Tensor.matmul(a.transposed(), b.transposed(), transposeA: true, transposeB: true), expected, tolerance: 1e-14)
        assertClose(Tensor.matmul(a.to(.float32), b.to(.float32)), expected, tolerance: 1e-5)
    }

    func testGradientsAllTranspositions() {
        let a = randn([3, 4], seed: 3), b = randn([4, 2], seed: 4)
        checkGradients([a, b]) { Tensor.matmul($0[0], $0[1]) }
        checkGradients([a.transposed(), b]) { Tensor.matmul($0[0], $0[1], transposeA: true) }
        checkGradients([a, b.transposed()]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
        checkGradients([a.transposed(), b.transposed()]) { Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        // A product whose second derivative is not zero.
        checkGradients([a, b]) { Tensor.matmul($0[0], $0[1]).tanh() }
    }

    func testBatched() {
        let a = randn([2, 3, 4], seed: 5), b = randn([2, 4, 2], seed: 6), m = randn([4, 2], seed: 7)
        checkGradients([a, b]) { Tensor.matmul($0[0], $0[1]).sigmoid() }
        checkGradients([a, m]) { Tensor.matmul($0[0], $0[1]).sigmoid() }        // matrix on the right
        checkGradients([m, b]) { Tensor.matmul($0[0], $0[1], transposeA: true).sigmoid() }  // matrix on the left
        checkGradients([a.transposed(), b.transposed()]) { Tensor.matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        // Batch element i equals the plain product of the slices.
        let c = Tensor.matmul(a, b)
        for i in 0..<2 {
            let ai = a.sliced(axis: 0, i..<i + 1).reshaped([3, 4]), bi = b.sliced(axis: 0, i..<i + 1).reshaped([4, 2])
            assertClose(c.sliced(axis: 0, i..<i + 1).reshaped([3, 2]), Tensor.matmul(ai, bi), tolerance: 1e-14)
        }
    }

    /// Σ_b op(a_b)·op(b_b): the gradient of a matrix shared by a batch, for every transposition.
    func testMatmulSummedOverBatch() {
        let a = randn([3, 2, 4], seed: 20), b = randn([3, 4, 5], seed: 21)
        var expected = Tensor.zeros([2, 5], dtype: .float64)
        for i in 0..<3 {
            expected = expected + Tensor.matmul(a.sliced(axis: 0, i..<i + 1).reshaped([2, 4]), b.sliced(axis: 0, i..<i + 1).reshaped([4, 5]))
        }
        assertClose(Tensor.matmulSummedOverBatch(a, b), expected, tolerance: 1e-14)
        assertClose(Tensor.matmulSummedOverBatch(a.transposed(), b, transposeA: true), expected, tolerance: 1e-14)
        assertClose(Tensor.matmulSummedOverBatch(a, b.transposed(), transposeB: true), expected, tolerance: 1e-14)
        assertClose(Tensor.matmulSummedOverBatch(a.transposed(), b.transposed(), transposeA: true, transposeB: true), expected, tolerance: 1e-14)
        checkGradients([a, b]) { Tensor.matmulSummedOverBatch($0[0], $0[1]).tanh() }
        checkGradients([a.transposed(), b]) { Tensor.matmulSummedOverBatch($0[0], $0[1], transposeA: true).tanh() }
        checkGradients([a, b.transposed()]) { Tensor.matmulSummedOverBatch($0[0], $0[1], transposeB: true).tanh() }
        checkGradients([a.transposed(), b.transposed()]) { Tensor.matmulSummedOverBatch($0[0], $0[1], transposeA: true, transposeB: true).tanh() }
    }

    /// einsum("ij,ajb->aib") and siblings: the contraction a Kronecker-factored symmetry matrix applies.
    func testContraction() {
        let w = randn([2, 3, 4], seed: 8)
        for axis in 0..<3 {
            let m = randn([5, w.shape[axis]], seed: UInt64(9 + axis))
            checkGradients([m, w]) { $0[1].contracted(axis: axis, with: $0[0]) }
            // Against the definition.
            let out = w.contracted(axis: axis, with: m)
            var shape = w.shape; shape[axis] = 5
            XCTAssertEqual(out.shape, shape)
            let ws = w.scalars, ms = m.scalars, os = out.scalars
            let strides = [12, 4, 1], outStrides = [shape[1] * shape[2], shape[2], 1]
            for i in 0..<shape[0] { for j in 0..<shape[1] { for k in 0..<shape[2] {
                let idx = [i, j, k]
                var s = 0.0
                for q in 0..<w.shape[axis] {
                    var src = idx; src[axis] = q
                    s += ms[idx[axis] * w.shape[axis] + q] * ws[zip(src, strides).map(*).reduce(0, +)]
                }
                XCTAssertEqual(os[zip(idx, outStrides).map(*).reduce(0, +)], s, accuracy: 1e-12)
            } } }
        }
    }
}

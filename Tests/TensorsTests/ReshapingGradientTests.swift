import Tensors
import TestSupport
import XCTest

final class ReshapingGradientTests: XCTestCase {
    let x = randn([2, 3, 4], seed: 6)

    func testReshapePermuteExpand() {
        checkGradients([x]) { $0[0].reshaped([6, 4]).squared() }
        checkGradients([x]) { $0[0].reshaped([-1]) * $0[0].reshaped([24]) }
        checkGradients([x]) { $0[0].permuted([2, 0, 1]) * $0[0].permuted([2, 0, 1]).exp() }
        checkGradients([x]) { $0[0].transposed(0, 2) }
        let small = randn([3, 1], seed: 7)
        checkGradients([small]) { $0[0].expanded(to: [2, 3, 4]).squared() }
    }

    func testPermuteValues() {
        let m = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        XCTAssertEqual(m.transposed().scalars, [1, 4, 2, 5, 3, 6])
        let t = Tensor(shape: [2, 2, 2], values: [0, 1, 2, 3, 4, 5, 6, 7], dtype: .float64)
        // out[i, j, k] = t[k, i, j]
        XCTAssertEqual(t.permuted([1, 2, 0]).scalars, [0, 4, 1, 5, 2, 6, 3, 7])
        XCTAssertEqual(Tensor(shape: [2, 1], values: [1, 2], dtype: .float64).expanded(to: [2, 3]).scalars, [1, 1, 1, 2, 2, 2])
    }

    /// Copies permuted together: each result equals its copy's own permutation, and each copy's gradient is its
    /// own result's (first and second derivatives by finite differences with one tensor as every copy).
    func testPermutedCopies() {
        let copies = [x.requiringGradient(), x.requiringGradient(), x.requiringGradient()]
        let out = Tensor.permuted(copies: copies, [2, 0, 1])
        let r = (0..<3).map { randn([4, 2, 3], seed: 20 + UInt64($0)) }
        for o in out { XCTAssertEqual(o.detached().scalars, x.permuted([2, 0, 1]).scalars) }
        let g = gradients(of: zip(out, r).map { ($0 * $1).sum() }.reduce(Tensor(0, dtype: .float64), +), wrt: copies)
        for s in 0..<3 { XCTAssertEqual(g[s].scalars, r[s].permuted([1, 2, 0]).scalars, "copy \(s)") }
        checkGradients([x]) { t in
            let p = Tensor.permuted(copies: [t[0], t[0]], [2, 0, 1])
            return p[0] * p[1].exp()
        }
    }

    func testSlicePadConcatStack() {
        checkGradients([x]) { $0[0].sliced(axis: 1, 1..<3).squared() }
        checkGradients([x]) { $0[0].padded(axis: 2, before: 1, after: 2).exp() }
        let y = randn([2, 2, 4], seed: 8)
        checkGradients([x, y]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1).squared() }
        checkGradients([x, x * 2]) { Tensor.stack([$0[0], $0[1]], axis: 1) * Tensor.stack([$0[1], $0[0]], axis: 1) }
        checkGradients([x, x * 2]) { Tensor.stack([$0[0], $0[1], $0[0]], axis: -1).exp() * Tensor.stack([$0[1], $0[1], $0[0]], axis: 0).sum() }
        let m = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        XCTAssertEqual(m.sliced(axis: 1, 1..<3).scalars, [2, 3, 5, 6])
        XCTAssertEqual(m.padded(axis: 0, before: 1, after: 0).scalars, [0, 0, 0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Tensor.concatenate([m, m], axis: 1).scalars, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        XCTAssertEqual(Tensor.stack([m, m], axis: 0).shape, [2, 2, 3])
    }

    /// Stacking gives what unsqueezing every input and concatenating them gives, along every axis, in both element
    /// types, with and without a graph; empty inputs give an empty result of the stacked shape.
    func testStackIsUnsqueezeAndConcatenate() {
        for dtype in [DType.float32, .float64] {
            let parts = (0..<3).map { Tensor(shape: [2, 3, 4], values: (0..<24).map { Double($0 * 7 % 11) + Double($0) / 10 }, dtype: dtype) * Double(1 + $0) }
            for axis in [0, 1, 2, 3, -1] {
                let expected = Tensor.concatenate(parts.map { $0.unsqueezed(axis) }, axis: axis)
                for inputs in [parts, parts.map { $0.requiringGradient() }] {
                    let stacked = Tensor.stack(inputs, axis: axis)
                    XCTAssertEqual(stacked.requiresGradient, inputs[0].requiresGradient)
                    XCTAssertEqual(stacked.shape, expected.shape, "axis \(axis)")
                    XCTAssertEqual(stacked.scalars, expected.scalars, "axis \(axis)")
                    XCTAssertEqual(stacked.dtype, dtype)
                }
            }
            XCTAssertEqual(Tensor.stack([parts[0]], axis: 1).shape, [2, 1, 3, 4])
            // Empty inputs (an episode without support examples): an empty result of the stacked shape.
            let empty = Tensor.zeros([2, 0, 3], dtype: dtype)
            XCTAssertEqual(Tensor.stack([empty, empty, empty], axis: 1).shape, [2, 3, 0, 3])
            XCTAssertEqual(Tensor.stack([empty, empty], axis: 0).scalars, [])
        }
    }

    func testIndexSelectAndAdd() {
        checkGradients([x]) { $0[0].indexSelect(axis: 1, [2, 0, 2, 1]).squared() }
        checkGradients([x]) { $0[0].indexAdd(axis: 0, [1, 1], size: 3).exp() }
        let m = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        XCTAssertEqual(m.indexSelect(axis: 0, [2, 0, 2]).scalars, [5, 6, 1, 2, 5, 6])
        XCTAssertEqual(m.indexAdd(axis: 0, [1, 1, 0], size: 2).scalars, [5, 6, 4, 6])
    }
}

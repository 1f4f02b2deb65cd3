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

    func testSlicePadConcatStack() {
        checkGradients([x]) { $0[0].sliced(axis: 1, 1..<3).squared() }
        checkGradients([x]) { $0[0].padded(axis: 2, before: 1, after: 2).exp() }
        let y = randn([2, 2, 4], seed: 8)
        checkGradients([x, y]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 1).squared() }
        checkGradients([x, x * 2]) { Tensor.stack([$0[0], $0[1]], axis: 1) * Tensor.stack([$0[1], $0[0]], axis: 1) }
        let m = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        XCTAssertEqual(m.sliced(axis: 1, 1..<3).scalars, [2, 3, 5, 6])
        XCTAssertEqual(m.padded(axis: 0, before: 1, after: 0).scalars, [0, 0, 0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Tensor.concatenate([m, m], axis: 1).scalars, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
        XCTAssertEqual(Tensor.stack([m, m], axis: 0).shape, [2, 2, 3])
    }

    func testIndexSelectAndAdd() {
        checkGradients([x]) { $0[0].indexSelect(axis: 1, [2, 0, 2, 1]).squared() }
        checkGradients([x]) { $0[0].indexAdd(axis: 0, [1, 1], size: 3).exp() }
        let m = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6], dtype: .float64)
        XCTAssertEqual(m.indexSelect(axis: 0, [2, 0, 2]).scalars, [5, 6, 1, 2, 5, 6])
        XCTAssertEqual(m.indexAdd(axis: 0, [1, 1, 0], size: 2).scalars, [5, 6, 4, 6])
    }
}

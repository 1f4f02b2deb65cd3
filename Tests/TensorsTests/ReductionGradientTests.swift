import Tensors
import TestSupport
import XCTest

final class ReductionGradientTests: XCTestCase {
    func testSumMeanMax() {
        let x = randn([2, 3, 4], seed: 4)
        for axes in [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]] {
            for keep in [false, true] {
                checkGradients([x]) { $0[0].sum(axes: axes, keepDims: keep) }
                checkGradients([x]) { $0[0].mean(axes: axes, keepDims: keep) }
                checkGradients([x]) { $0[0].max(axes: axes, keepDims: keep) }
                checkGradients([x]) { $0[0].max(axes: axes, keepDims: keep).squared() }
            }
        }
        checkGradients([x]) { $0[0].sum() }
        checkGradients([x]) { ($0[0].sum(axis: 1, keepDims: true) * $0[0]).sum(axis: -1) }
    }

    func testReductionValues() {
        let x = Tensor(shape: [2, 3], values: [1, 5, 3, -4, -2, -6], dtype: .float64)
        XCTAssertEqual(x.sum().item, -3)
        XCTAssertEqual(x.sum(axis: 0).scalars, [-3, 3, -3])
        XCTAssertEqual(x.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.max(axis: 1).scalars, [5, -2])
        XCTAssertEqual(x.max(axis: 0).scalars, [1, 5, 3])
        XCTAssertEqual(x.mean(axis: 1).scalars, [3, -4])
        // A long row exercises the four-way partial sums.
        let long = Tensor(shape: [1001], values: (0..<1001).map(Double.init), dtype: .float32)
        XCTAssertEqual(long.sum().item, 500_500)
    }

    func testMaxSharesGradientAmongTies() {
        let x = Tensor(shape: [3], values: [2, 2, 1], dtype: .float64).requiringGradient()
        let g = gradients(of: x.max(), wrt: [x])[0]
        XCTAssertEqual(g.scalars, [0.5, 0.5, 0])
    }

    func testSumToShape() {
        let x = randn([4, 2, 3], seed: 5)
        checkGradients([x]) { $0[0].sum(toShape: [2, 1]) }
        XCTAssertEqual(x.sum(toShape: [1, 3]).shape, [1, 3])
    }
}

final class TensorIsFiniteTests: XCTestCase {
    func testIsFiniteSeesNaNAndInfinityInBothTypes() {
        for dtype in [DType.float32, .float64] {
            XCTAssertTrue(Tensor(shape: [3], values: [1, -2, 1e30], dtype: dtype).isFinite)
            XCTAssertTrue(Tensor.zeros([0], dtype: dtype).isFinite)
            for bad in [Double.nan, .infinity, -.infinity] {
                XCTAssertFalse(Tensor(shape: [2, 2], values: [0, 1, bad, 3], dtype: dtype).isFinite, "\(bad) \(dtype)")
            }
        }
        // 1e39 overflows Float: the float32 tensor holds ∞.
        XCTAssertFalse(Tensor(shape: [1], values: [1e39], dtype: .float32).isFinite)
    }

    /// Sixteen lanes at a time, then a scalar tail: one bad element anywhere in 37 (first lane, last lane of a
    /// vector, first of the next, the tail) is seen; the largest finite values are finite.
    func testIsFiniteSeesOneBadElementInVectorsAndTail() {
        for dtype in [DType.float32, .float64] {
            let largest = dtype == .float32 ? Double(Float.greatestFiniteMagnitude) : .greatestFiniteMagnitude
            let fine = (0..<37).map { i in i.isMultiple(of: 2) ? largest : -largest }
            XCTAssertTrue(Tensor(shape: [37], values: fine, dtype: dtype).isFinite, "\(dtype)")
            for position in [0, 15, 16, 31, 32, 36] {
                for bad in [Double.nan, .infinity, -.infinity] {
                    var values = fine
                    values[position] = bad
                    XCTAssertFalse(Tensor(shape: [37], values: values, dtype: dtype).isFinite, "\(bad) at \(position), \(dtype)")
                }
            }
        }
    }
}

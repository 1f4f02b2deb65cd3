import Tensors
import XCTest

/// `stridedGather` (what `permuted`, `expanded` and slicing copy with): contiguous runs of every length, short runs
/// going through two overlapping vectors of 8, 4 or 2 elements, runs of 16 or more through vectors of 16 (the last
/// overlapping) and long ones through `memmove`; the last two axes as loops and the rest through an odometer.
final class StridedCopyTests: XCTestCase {
    /// (O, I, K) → (I, O, K) — runs of K — equals the element-by-element definition, in Float and Double.
    func testPermuteWithRunsOfEveryLength() {
        for k in Array(1...33) + [255, 256, 300] {
            let (o, i) = (3, 5)
            let values = (0..<(o * i * k)).map { Double($0) * 0.5 - 7 }
            var expected: [Double] = []
            for ii in 0..<i { for oo in 0..<o { for kk in 0..<k { expected.append(values[(oo * i + ii) * k + kk]) } } }
            for dtype in [DType.float32, .float64] {
                let permuted = Tensor(shape: [o, i, k], values: values, dtype: dtype).permuted([1, 0, 2])
                XCTAssertEqual(permuted.shape, [i, o, k])
                XCTAssertEqual(permuted.scalars, expected, "K = \(k), \(dtype)")
            }
        }
    }

    /// Every permutation of a rank-4 tensor (runs along the last axis, a strided last axis, and two or more axes left
    /// to the odometer after the two inner loops) and a broadcast (a zero stride) equal the definition.
    func testEveryPermutationOfRankFourAndABroadcast() {
        let shape = [2, 3, 4, 5]
        let values = (0..<120).map { Double($0) * 0.25 - 3 }
        let x = Tensor(shape: shape, values: values, dtype: .float32)
        func permutations(_ items: [Int]) -> [[Int]] {
            items.count <= 1 ? [items] : items.flatMap { first in permutations(items.filter { $0 != first }).map { [first] + $0 } }
        }
        let strides = [60, 20, 5, 1]
        for perm in permutations([0, 1, 2, 3]) {
            var expected: [Double] = []
            let out = perm.map { shape[$0] }
            for a in 0..<out[0] { for b in 0..<out[1] { for c in 0..<out[2] { for d in 0..<out[3] {
                let index = [a, b, c, d]
                var offset = 0
                for (axis, source) in perm.enumerated() { offset += index[axis] * strides[source] }
                expected.append(values[offset])
            } } } }
            XCTAssertEqual(x.permuted(perm).scalars, expected, "permutation \(perm)")
        }
        let row = Tensor(shape: [1, 5], values: [1, 2, 3, 4, 5], dtype: .float32)
        XCTAssertEqual(row.expanded(to: [3, 5]).scalars, [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5])
    }
}

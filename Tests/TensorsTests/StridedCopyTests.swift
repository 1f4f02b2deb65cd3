@testable import Tensors
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

    /// `copyRun` and `copyRuns` write exactly their runs: sentinels on both sides of every run stay, for run lengths
    /// 0–40, 255 and 256 (the overlapping vectors of short runs must neither read nor write past a run's ends).
    func testRunCopiesStayInsideTheirRuns() {
        let sentinel: Float = -12345
        for count in Array(0...40) + [255, 256] {
            let source = (0..<(count + 32)).map { Float($0) + 0.5 }
            var destination = [Float](repeating: sentinel, count: count + 32)
            source.withUnsafeBufferPointer { s in destination.withUnsafeMutableBufferPointer { d in
                copyRun(s.baseAddress! + 16, to: d.baseAddress! + 16, count: count)
            } }
            XCTAssertEqual(Array(destination[16..<(16 + count)]), Array(source[16..<(16 + count)]), "count \(count)")
            XCTAssertTrue(destination[..<16].allSatisfy { $0 == sentinel } && destination[(16 + count)...].allSatisfy { $0 == sentinel },
                          "count \(count) wrote outside its run")
            // Three runs `count + 5` apart in the source, one after the other in the destination.
            let runs = 3, stride = count + 5
            let from = (0..<(runs * stride + 32)).map { Float($0) }
            var to = [Float](repeating: sentinel, count: runs * count + 32)
            from.withUnsafeBufferPointer { s in to.withUnsafeMutableBufferPointer { d in
                copyRuns(from: s.baseAddress! + 16, stride: stride, count: runs, length: count, to: d.baseAddress! + 16)
            } }
            var expected: [Float] = []
            for r in 0..<runs { expected += from[(16 + r * stride)..<(16 + r * stride + count)] }
            XCTAssertEqual(Array(to[16..<(16 + runs * count)]), expected, "runs of \(count)")
            XCTAssertTrue(to[..<16].allSatisfy { $0 == sentinel } && to[(16 + runs * count)...].allSatisfy { $0 == sentinel },
                          "runs of \(count) wrote outside them")
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

import Tensors
import XCTest

/// `stridedGather` (what `permuted`, `expanded` and slicing copy with): contiguous runs of every length, short Float
/// runs going through vector copies of 16, 8, 4, 2 and 1 elements and long ones through `memmove`.
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
}

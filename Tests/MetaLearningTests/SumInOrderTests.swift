import MetaLearning
import Tensors
import XCTest

final class SumInOrderTests: XCTestCase {
    /// Values where the order of the sums shows: 1 + 2⁻²⁴ + 2⁻²⁴ is 1 from the left and 1 + 2⁻²³ from the right
    /// (Float32), so a sum in another order (or pairwise) fails.
    func testSumsFromTheLeftBitwise() {
        let tiny = Float(1) / Float(1 << 24)
        let a: [Float] = [1, -3, 0.1, 7, 1e-8, 5], b: [Float] = [tiny, 2, 0.2, -7, 3, 0.25], c: [Float] = [tiny, 0.5, 0.3, 1e-9, -3, 4]
        let ts = [a, b, c].map { Tensor(shape: [2, 3], scalars: $0) }
        let expected = (0..<6).map { (a[$0] + b[$0]) + c[$0] }
        XCTAssertEqual(Tensor.sumInOrder(ts).floats, expected)
        XCTAssertEqual(Tensor.sumInOrder(ts).shape, [2, 3])
        XCTAssertEqual(Tensor.sumInOrder(ts).floats[0], 1, "1 + 2⁻²⁴ + 2⁻²⁴ from the left")
        XCTAssertNotEqual(a[0] + (b[0] + c[0]), 1, "the other order differs, so the test can tell")
        XCTAssertEqual(Tensor.sumInOrder(Array(ts.prefix(2))).floats, (0..<6).map { a[$0] + b[$0] })
    }

    func testOneTensorIsItselfAndInputsAreUntouched() {
        let t = Tensor(shape: [3], scalars: [Float](arrayLiteral: 1, 2, 3))
        XCTAssertEqual(Tensor.sumInOrder([t]).floats, [1, 2, 3])
        let u = Tensor(shape: [3], scalars: [Float](arrayLiteral: 4, 5, 6))
        _ = Tensor.sumInOrder([t, u, u])
        XCTAssertEqual(t.floats, [1, 2, 3], "the first tensor is not summed into")
        XCTAssertEqual(u.floats, [4, 5, 6])
    }

    func testDouble() {
        let a: [Double] = [1, 1e-17, -2], b: [Double] = [1e-16, 1e-17, 0.5], c: [Double] = [1e-16, 3, 0.25]
        let ts = [a, b, c].map { Tensor(shape: [3], values: $0, dtype: .float64) }
        XCTAssertEqual(Tensor.sumInOrder(ts).scalars, (0..<3).map { (a[$0] + b[$0]) + c[$0] })
        XCTAssertEqual(Tensor.sumInOrder(ts).dtype, .float64)
    }
}

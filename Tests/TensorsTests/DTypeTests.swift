import Tensors
import XCTest

/// The element types' square root for loops: the same IEEE result as `squareRoot()`, bit for bit.
final class DTypeTests: XCTestCase {
    func check<T: TensorScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) {
        var values: [T] = [0, -0, 1, 2, 0.25, T.leastNonzeroMagnitude, T.leastNormalMagnitude, T.greatestFiniteMagnitude, .infinity]
        var g = SplitMix64(seed: 9)
        for _ in 0..<1000 { values.append(T(Double(g.next() % 1_000_000) * 1e-3) * T(Double(g.next() % 64 + 1))) }
        for x in values {
            XCTAssertEqual(x.vectorizableSquareRoot(), x.squareRoot(), "√\(x)", file: file, line: line)
            XCTAssertEqual(x.vectorizableSquareRoot().sign, x.squareRoot().sign, "sign of √\(x)", file: file, line: line)
        }
        for x: T in [-1, -.infinity, .nan, -.leastNonzeroMagnitude] {
            XCTAssertTrue(x.vectorizableSquareRoot().isNaN, "√\(x) is NaN", file: file, line: line)
        }
    }

    func testVectorizableSquareRootIsTheIEEESquareRoot() {
        check(Float.self)
        check(Double.self)
    }
}

import Symmetry
import Tensors
import TestSupport
import XCTest

final class TranslationDefectTests: XCTestCase {
    func testConvolutionMatrixHasZeroDefect() {
        // W[o, o + j] = f[j]: the matrix of a 3-tap convolution from 10 inputs to 8 outputs.
        let f = [0.5, -1.0, 2.0]
        var w = [Double](repeating: 0, count: 80)
        for o in 0..<8 { for j in 0..<3 { w[o * 10 + o + j] = f[j] } }
        XCTAssertEqual(TranslationDefect.toeplitzDistance(Tensor(shape: [8, 10], values: w, dtype: .float64)), 0, accuracy: 1e-15)
    }

    func testRandomMatrixIsFarFromToeplitz() {
        let d = TranslationDefect.toeplitzDistance(randn([68, 70], seed: 1))
        XCTAssertGreaterThan(d, 0.95)
        XCTAssertLessThan(d, 1)
    }

    /// The projection is orthogonal: the distance of T + E, E orthogonal to Toeplitz matrices, is ‖E‖/‖T+E‖.
    func testDistanceOfToeplitzPlusPerturbation() {
        // E with zero diagonal sums: +1 and −1 on each diagonal of a 2×2 block pattern.
        var t = [Double](repeating: 0, count: 9), e = t
        for o in 0..<3 { for i in 0..<3 { t[o * 3 + i] = Double(i - o) } }
        e[0] = 1; e[4] = -1          // main diagonal: (0,0) +1, (1,1) −1
        let total = zip(t, e).map(+)
        let expected = (2.0).squareRoot() / total.map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertEqual(TranslationDefect.toeplitzDistance(Tensor(shape: [3, 3], values: total, dtype: .float64)), expected, accuracy: 1e-12)
    }

    func testShiftPatternSymmetryMatrixHasZeroDefect() {
        let (o, i, k) = (8, 10, 3)
        var u = [Double](repeating: 0, count: o * i * k)
        for r in 0..<o { for j in 0..<k { u[(r * i + r + j) * k + j] = 1 } }
        let shift = Tensor(shape: [o * i, k], values: u, dtype: .float64)
        XCTAssertEqual(TranslationDefect.meanToeplitzDistance(symmetryMatrix: shift, outputs: o, inputs: i, samples: 10), 0, accuracy: 1e-12)
        XCTAssertGreaterThan(TranslationDefect.meanToeplitzDistance(symmetryMatrix: randn([o * i, k], seed: 2), outputs: o, inputs: i, samples: 10), 0.8)
    }
}

@testable import Datasets
import Foundation
import XCTest

final class HermiteGaussianBasisTests: XCTestCase {
    typealias B = HermiteGaussianBasis

    func testValueIsTheFormula() {
        let sigma = B.width, (u, v) = (0.3, -1.2)
        let (x, y) = (u / sigma, v / sigma), g = Foundation.exp(-(u * u + v * v) / (2 * sigma * sigma))
        let expected = [g, x * g, y * g, (x * x - 1) * g, x * y * g, (y * y - 1) * g]
        for i in 0..<B.count { XCTAssertEqual(B.value(i, u: u, v: v), expected[i], accuracy: 1e-15, "b\(i)") }
        XCTAssertEqual(B.value(0, u: 0, v: 0), 1)
        XCTAssertEqual(B.value(3, u: 0, v: 0), -1)
        XCTAssertEqual(B.names.count, B.count)
    }

    /// `sampled` is (6, k, k), rows top first (v = +half on row 0), columns left first (u = −half on column 0),
    /// and at scale s holds bᵢ(p/s)/s².
    func testSampledLayoutAndDilation() {
        let k = 9, half = 4
        for s in [1.0, 2.0.squareRoot(), 2.0] {
            let b = B.sampled(scale: s, kernelSize: k)
            XCTAssertEqual(b.count, 6 * 81)
            for i in 0..<B.count {
                for (row, column) in [(0, 0), (2, 7), (4, 4), (8, 3)] {
                    let (u, v) = (Double(column - half), Double(half - row))
                    XCTAssertEqual(b[(i * k + row) * k + column], B.value(i, u: u / s, v: v / s) / (s * s), accuracy: 1e-15)
                }
            }
            // b1 = x·G is odd in u: the right column is minus the left; b2 = y·G is positive on the top row.
            XCTAssertEqual(b[(1 * k + 4) * k + 8], -b[(1 * k + 4) * k + 0], accuracy: 1e-15)
            XCTAssertGreaterThan(b[(2 * k + 3) * k + 4], 0)
        }
    }

    /// The dilation on the grid: the filter at scale 2 at tap 2p is the filter at scale 1 at tap p, divided by
    /// 4 (exact for |p| ≤ 2 in both coordinates), and the sum over the taps (the response to a flat image)
    /// is the same at every scale: about the integral 2πσ² of the envelope for b0, 0 for the others.
    func testScaleTwoIsTheScaleOneFilterOnEveryOtherTap() {
        let k = 9, one = B.sampled(scale: 1, kernelSize: k), two = B.sampled(scale: 2, kernelSize: k)
        for i in 0..<B.count {
            for r in -2...2 {
                for c in -2...2 {
                    XCTAssertEqual(two[(i * k + 4 + 2 * r) * k + 4 + 2 * c], one[(i * k + 4 + r) * k + 4 + c] / 4, accuracy: 1e-15)
                }
            }
        }
        let integral = 2 * Double.pi * B.width * B.width
        for s in [1.0, 2.0.squareRoot(), 2.0] {
            let b = B.sampled(scale: s, kernelSize: k)
            let sums = (0..<B.count).map { i in (0..<81).reduce(0.0) { $0 + b[i * 81 + $1] } }
            // Measured: b0 within 0.03% (scale 1) and 0.2% (scale 2, the window's cut) of the integral; the
            // second-order b3, b5 sum to −0.24% and −1.2% of it.
            XCTAssertEqual(sums[0], integral, accuracy: 0.003 * integral, "scale \(s)")
            for i in [1, 2, 4] { XCTAssertEqual(sums[i], 0, accuracy: 1e-12, "b\(i), scale \(s)") }
            for i in [3, 5] { XCTAssertEqual(sums[i], 0, accuracy: 0.015 * integral, "b\(i), scale \(s)") }
        }
    }
}

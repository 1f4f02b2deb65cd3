@testable import Datasets
import Foundation
import Tensors
import XCTest

final class SteerableBasisTests: XCTestCase {
    typealias B = SteerableBasis

    /// Basis function `i` of `sampled(…)` as a 3×3 grid [row][column].
    func grid(_ sampled: [Double], _ i: Int) -> [[Double]] {
        (0..<3).map { row in (0..<3).map { sampled[(i * 3 + row) * 3 + $0] } }
    }

    /// A 3×3 grid rotated by 90° counter-clockwise (numpy's rot90): new[i][j] = old[j][2 − i].
    func rotated90(_ g: [[Double]]) -> [[Double]] { (0..<3).map { i in (0..<3).map { g[$0][2 - i] } } }

    /// A 3×3 grid flipped left–right: new[i][j] = old[i][2 − j].
    func mirrored(_ g: [[Double]]) -> [[Double]] { g.map { $0.reversed() } }

    /// Asserts two 3×3 grids agree to 1e-15.
    func assertGrid(_ actual: [[Double]], _ expected: [[Double]], file: StaticString = #filePath, line: UInt = #line) {
        for (a, e) in zip(actual.joined(), expected.joined()) {
            XCTAssertEqual(a, e, accuracy: 1e-15, "\(actual) ≠ \(expected)", file: file, line: line)
        }
    }

    func testTheBasisOnTheGrid() {
        let b = B.sampled(eighthTurns: 0)
        XCTAssertEqual(b.count, 54)
        let edge = 1.0, corner = Foundation.exp(-(2.0.squareRoot() - 1) * (2.0.squareRoot() - 1) / 0.32)
        let centre = Foundation.exp(-1 / 0.32)
        XCTAssertEqual(corner, 0.585, accuracy: 1e-3)
        XCTAssertEqual(centre, 0.044, accuracy: 1e-3)
        // b0: the centre tap alone.
        assertGrid(grid(b, 0), [[0, 0, 0], [0, 1, 0], [0, 0, 0]])
        // b1: the ring, radial.
        assertGrid(grid(b, 1), [[corner, edge, corner], [edge, centre, edge], [corner, edge, corner]])
        // b2 = ring · cos θ (u rightwards), b3 = ring · sin θ (v upwards: the top row is v = +1).
        let d = corner * 0.5.squareRoot()
        assertGrid(grid(b, 2), [[-d, 0, d], [-1, 0, 1], [-d, 0, d]])
        assertGrid(grid(b, 3), [[d, 1, d], [0, 0, 0], [-d, -1, -d]])
        // b4 = ring · cos 2θ, b5 = ring · sin 2θ; all harmonics vanish at the centre.
        assertGrid(grid(b, 4), [[0, -1, 0], [1, 0, 1], [0, -1, 0]])
        assertGrid(grid(b, 5), [[-corner, 0, corner], [0, 0, 0], [corner, 0, -corner]])
        XCTAssertEqual(B.names.count, B.count)
    }

    func testQuarterTurnsAndTheMirrorPermuteTheTapsExactly() {
        for turns in 0..<8 {
            let b = B.sampled(eighthTurns: turns), next = B.sampled(eighthTurns: turns + 2)
            let flipped = B.sampled(eighthTurns: turns, mirrored: true)
            for i in 0..<B.count {
                // The filter of g · R(90°) is the filter of g rotated by 90° on the grid, bit for bit.
                XCTAssertEqual(grid(next, i), rotated90(grid(b, i)), "turns \(turns), b\(i)")
                // The mirrored copies: g = R(45°·r) · M, so the filter is ψ ∘ M rotated by 45°·r.
                let mirroredBase = mirrored(grid(B.sampled(eighthTurns: 0), i))
                var expected = mirroredBase
                if turns % 2 == 0 {
                    for _ in 0..<(turns / 2) { expected = rotated90(expected) }
                    XCTAssertEqual(grid(flipped, i), expected, "turns \(turns), b\(i)")
                }
            }
            XCTAssertEqual(B.sampled(eighthTurns: turns + 8), b)
            XCTAssertEqual(B.sampled(eighthTurns: turns - 8), b)
        }
    }

    /// The rotated copies are samples of one continuous filter: at the taps, which keep their radius under
    /// rotation, bᵢ ∘ R(−45°) is a fixed combination of the bᵢ (their angular parts steer exactly):
    ///     cos(θ − 45°) = (cos θ + sin θ)/√2,  sin(θ − 45°) = (sin θ − cos θ)/√2,
    ///     cos(2θ − 90°) = sin 2θ,             sin(2θ − 90°) = −cos 2θ.
    func testOddEighthTurnsSteerTheHarmonics() {
        let b = B.sampled(eighthTurns: 0), r = B.sampled(eighthTurns: 1)
        let h = 0.5.squareRoot()
        func tap(_ s: [Double], _ i: Int, _ t: Int) -> Double { s[i * 9 + t] }
        for t in 0..<9 {
            XCTAssertEqual(tap(r, 0, t), tap(b, 0, t), accuracy: 1e-15)
            XCTAssertEqual(tap(r, 1, t), tap(b, 1, t), accuracy: 1e-15)
            XCTAssertEqual(tap(r, 2, t), h * (tap(b, 2, t) + tap(b, 3, t)), accuracy: 1e-15)
            XCTAssertEqual(tap(r, 3, t), h * (tap(b, 3, t) - tap(b, 2, t)), accuracy: 1e-15)
            XCTAssertEqual(tap(r, 4, t), tap(b, 5, t), accuracy: 1e-15)
            XCTAssertEqual(tap(r, 5, t), -tap(b, 4, t), accuracy: 1e-15)
        }
        // The right edge tap (u, v) = (1, 0) moved by R(−45°) lies at angle −45°, radius 1.
        XCTAssertEqual(tap(r, 2, 5), h, accuracy: 1e-15)
        XCTAssertEqual(tap(r, 3, 5), -h, accuracy: 1e-15)
    }

    func testValueIsTheFormula() {
        let g = { (r: Double) in Foundation.exp(-(r - 1) * (r - 1) / 0.32) }
        let (u, v) = (0.3, -1.2), r = (u * u + v * v).squareRoot(), theta = Foundation.atan2(v, u)
        XCTAssertEqual(B.value(0, u: u, v: v), Foundation.exp(-r * r / (2 * 0.005 * 0.005)))
        XCTAssertEqual(B.value(1, u: u, v: v), g(r), accuracy: 1e-15)
        XCTAssertEqual(B.value(2, u: u, v: v), g(r) * Foundation.cos(theta), accuracy: 1e-15)
        XCTAssertEqual(B.value(3, u: u, v: v), g(r) * Foundation.sin(theta), accuracy: 1e-15)
        XCTAssertEqual(B.value(4, u: u, v: v), g(r) * Foundation.cos(2 * theta), accuracy: 1e-15)
        XCTAssertEqual(B.value(5, u: u, v: v), g(r) * Foundation.sin(2 * theta), accuracy: 1e-15)
        XCTAssertEqual(B.value(0, u: 0, v: 0), 1)
        for i in 2..<6 { XCTAssertEqual(B.value(i, u: 0, v: 0), 0) }
    }
}

@testable import Datasets
import Foundation
import Tensors
import XCTest

final class SyntheticScaleTasksRescaledCopiesTests: XCTestCase {
    typealias S = SyntheticScaleTasks

    /// The family's banks are rescaled copies to Float32 rounding; independent filters of the basis are
    /// about √2 apart; noise added to the bank raises the error with its size.
    func testErrorsOfTheFamilyOfRandomFiltersAndOfNoise() {
        let family = S(count: 6, seed: 5)
        for index in 0..<family.count {
            let errors = S.rescaledCopiesErrors(family.filterBank(at: index))
            XCTAssertEqual(errors.count, 2)
            for e in errors { XCTAssertLessThan(e, 1e-5, "task \(index): \(errors)") }
        }
        // Independent filters per channel, each drawn from the basis at its channel's scale.
        var g = SplitMix64(seed: 8)
        let basis = S.sampledBasis
        var independent: [Double] = []
        for _ in 0..<20 {
            var w: [Double] = []
            for c in 0..<S.outputChannels {
                let a = (0..<6).map { _ in g.nextNormal() }, k = c % S.scaleCount
                for t in 0..<81 {
                    var sum = 0.0
                    for i in 0..<6 { sum += a[i] * basis[(k * 6 + i) * 81 + t] }
                    w.append(sum)
                }
            }
            independent += S.rescaledCopiesErrors(Tensor(shape: [9, 1, 9, 9], values: w, dtype: .float64))
        }
        let mean = independent.reduce(0, +) / Double(independent.count)
        print("rescaled-copies error of independent filters: mean \(mean)")
        XCTAssertGreaterThan(mean, 0.9)
        XCTAssertLessThan(mean, 2.5)
        // White noise of relative size ε on every tap: the error grows with ε.
        let bank = family.filterBank(at: 0).scalars
        let scale = (bank.reduce(0) { $0 + $1 * $1 } / Double(bank.count)).squareRoot()
        var previous = 0.0
        for epsilon in [0.01, 0.1, 0.5] {
            let noisy = bank.map { $0 + epsilon * scale * g.nextNormal() }
            let e = S.rescaledCopiesErrors(Tensor(shape: [9, 1, 9, 9], values: noisy, dtype: .float64)).reduce(0, +) / 2
            XCTAssertGreaterThan(e, previous, "ε \(epsilon)")
            previous = e
        }
    }

    func testSolveSymmetric() {
        let g = [4.0, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2], x = [1.0, -2, 0.5]
        let b = (0..<3).map { i in (0..<3).reduce(0.0) { $0 + g[i * 3 + $1] * x[$1] } }
        for (a, e) in zip(S.solveSymmetric(g, b, n: 3), x) { XCTAssertEqual(a, e, accuracy: 1e-12) }
    }
}

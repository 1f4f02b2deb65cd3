import Datasets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// The candidate actions on filter banks agree with the rotation-equivariant task families: a task's true
/// filter bank is exactly invariant under c4 (and flip for D8), a random bank is not.
final class FilterBankSymmetryTests: XCTestCase {
    func testTrueFilterBanksAreEquivariant() throws {
        for problem in SyntheticRotationProblem.allCases {
            let family = SyntheticRotationTasks(problem: problem, count: 3, seed: 1)
            let bank = family.filterBank(at: 2).to(.float64)
            let candidates = try FilterBankSymmetry.candidates(channels: problem.outputChannels, fieldSize: problem.groupOrder)
            XCTAssertEqual(candidates.map(\.name), problem.hasReflections ? ["c4", "c8-ring", "flip"] : ["c4", "c8-ring"])
            for (name, action) in candidates where name != "c8-ring" {
                XCTAssertLessThan(try FilterBankSymmetry.defect(bank, action), 1e-6, "\(problem) \(name)")
            }
            // The ring shift is only approximately a 45° rotation (corners sit at √2): clearly below random.
            let ring = try FilterBankSymmetry.defect(bank, candidates[1].action)
            let random = randn(bank.shape, seed: 4)
            XCTAssertLessThan(ring, 0.6, "\(problem) c8-ring")
            for (name, action) in candidates {
                XCTAssertGreaterThan(try FilterBankSymmetry.defect(random, action), 0.5, "random bank, \(name)")
            }
            XCTAssertLessThan(FilterBankSymmetry.rotatedCopiesError(bank, fieldSize: problem.groupOrder), 1e-6)
            XCTAssertGreaterThan(FilterBankSymmetry.rotatedCopiesError(random, fieldSize: problem.groupOrder), 0.5)
        }
    }

    func testMatrixStructure() {
        // diag(3, 1) rotated by 30°: eigenvalues 3 and 1.
        let c = 3.0.squareRoot() / 2, s = 0.5
        let m = [3 * c * c + s * s, (3 - 1) * c * s, (3 - 1) * c * s, 3 * s * s + c * c]
        let e = MatrixStructure.symmetricEigenvalues(m, n: 2)
        XCTAssertEqual(e[0], 3, accuracy: 1e-12)
        XCTAssertEqual(e[1], 1, accuracy: 1e-12)
        // A circulant 4×4 block structure.
        var circ = [Double](repeating: 0, count: 64)
        for b in 0..<2 { for i in 0..<4 { for j in 0..<4 { circ[(b * 4 + i) * 8 + b * 4 + j] = Double((j - i + 4) % 4 + 1) } } }
        XCTAssertEqual(MatrixStructure.withinBlockShare(circ, n: 8, block: 4), 1, accuracy: 1e-12)
        XCTAssertEqual(MatrixStructure.blockCirculantDefect(circ, n: 8, block: 4), 0, accuracy: 1e-12)
        XCTAssertGreaterThan(MatrixStructure.blockCirculantDefect(randn([8, 8], seed: 1).scalars, n: 8, block: 4), 0.3)
    }
}

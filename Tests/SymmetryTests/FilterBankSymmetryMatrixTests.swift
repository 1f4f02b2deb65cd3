import Datasets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// U built from a group acting on (channel, tap) pairs of a bank of 3×3 filters: every W = reshape(U·v) is
/// equivariant, the columns are orthonormal, and the tasks' true banks lie in U's span.
final class FilterBankSymmetryMatrixTests: XCTestCase {
    func testGroupSymmetryMatrixGivesEquivariantBanks() throws {
        // (problem, group, expected columns): every c4 orbit has 4 elements (the channel shift by 2 is free on
        // the 8 channels of a field), every c8-ring orbit 8, every d4 orbit 8.
        let cases: [(SyntheticRotationProblem, String, Int)] = [
            (.rot8, "c4", 24 * 9 / 4), (.rot8, "c8-ring", 24 * 9 / 8),
            (.rot8Flip, "c4", 48 * 9 / 4), (.rot8Flip, "d4", 48 * 9 / 8), (.rot8Flip, "flip", 48 * 9 / 2),
        ]
        for (problem, name, columns) in cases {
            let d = problem.outputChannels
            let u = try FilterBankSymmetry.symmetryMatrix(named: name, channels: d, fieldSize: problem.groupOrder, dtype: .float64)
            XCTAssertEqual(u.shape, [d * 9, columns], "\(problem) \(name)")
            // UᵀU = I.
            assertClose(Tensor.matmul(u, u, transposeA: true), Tensor.eye(columns, dtype: .float64), tolerance: 1e-12)
            let group = try FilterBankSymmetry.group(named: name, channels: d, fieldSize: problem.groupOrder)
            let candidates = try FilterBankSymmetry.candidates(channels: d, fieldSize: problem.groupOrder)
            for seed in 0..<3 as Range<UInt64> {
                let bank = Tensor.matmul(u, randn([columns, 1], seed: seed)).reshaped([d, 1, 3, 3])
                XCTAssertLessThan(try FilterBankSymmetry.defect(bank, group), 1e-12, "\(problem) \(name)")
                // d4 contains c4 and flip: its banks are equivariant under both.
                if name == "d4" {
                    for (c, action) in candidates where c != "c8-ring" {
                        XCTAssertLessThan(try FilterBankSymmetry.defect(bank, action), 1e-12, "d4 bank under \(c)")
                    }
                }
            }
            // The tasks' true banks are exactly 90°-equivariant (and mirror-equivariant for D8): U·Uᵀ keeps them.
            if name != "c8-ring" {
                let truth = SyntheticRotationTasks(problem: problem, count: 2, seed: 3).filterBank(at: 1).to(.float64).reshaped([d * 9, 1])
                let projected = Tensor.matmul(u, Tensor.matmul(u, truth, transposeA: true))
                assertClose(projected, truth, tolerance: 1e-9)
            }
        }
    }

    func testUnknownOrImpossibleGroupsAreErrors() {
        XCTAssertThrowsError(try FilterBankSymmetry.group(named: "flip", channels: 24, fieldSize: 8))
        XCTAssertThrowsError(try FilterBankSymmetry.group(named: "d4", channels: 24, fieldSize: 8))
        XCTAssertThrowsError(try FilterBankSymmetry.group(named: "c5", channels: 24, fieldSize: 8))
        XCTAssertThrowsError(try FilterBankSymmetry.symmetryMatrix(named: "c4", channels: 20, fieldSize: 8))
        XCTAssertEqual(try FilterBankSymmetry.group(named: "d8-ring", channels: 48, fieldSize: 16).order, 16)
        XCTAssertEqual(try FilterBankSymmetry.group(named: "d4", channels: 48, fieldSize: 16).order, 8)
    }
}

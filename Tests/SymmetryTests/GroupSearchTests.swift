import Symmetry
import Tensors
import TestSupport
import XCTest

/// The search names the group a weight was built from, with its channel action and field size, and the
/// group above it that the weight does not respect; an unstructured weight gets no group.
final class GroupSearchTests: XCTestCase {
    /// W = reshape(U·v) for random v, the samples of the search.
    func samples(_ u: Tensor, _ count: Int, seed: UInt64) -> [[Double]] {
        (0..<count).map { Tensor.matmul(u, randn([u.shape[1], 1], seed: seed + UInt64($0))).scalars }
    }

    func testConvolutionsNameTranslationAndRejectReversal() throws {
        let u = try SymmetryMatrix.convolution1D(inputs: 12, outputs: 10, kernel: 3, dtype: .float64)
        let search = try GroupSearch(weightShape: [10, 12], layout: .matrix, samples: samples(u, 5, seed: 1))
        let named = try XCTUnwrap(search.named.map { search.groups[$0] })
        XCTAssertEqual(named.shortName, "translation")
        XCTAssertEqual(named.partition.count, 21)
        XCTAssertLessThan(named.defect, 1e-12)
        XCTAssertEqual(search.rejected.map { search.groups[$0].shortName }, "translation+reversal")
        XCTAssertTrue(search.summary.hasPrefix("translation by 1: ") && search.summary.contains("✓, reversal: ")
                      && search.summary.contains("rejected above it: translation+reversal"), search.summary)
        // Palindromic filters are also reversal-symmetric: the larger group is named.
        let palindromes = samples(u, 5, seed: 9).map { (w: [Double]) -> [Double] in
            (0..<120).map { (e: Int) -> Double in
                let reversed: Int = (9 - e / 12) * 12 + (11 - e % 12)
                return (w[e] + w[reversed]) / 2
            }
        }
        let both = try GroupSearch(weightShape: [10, 12], layout: .matrix, samples: palindromes)
        XCTAssertEqual(both.named.map { both.groups[$0].shortName }, "translation+reversal")
        XCTAssertNil(both.rejected)
    }

    /// Banks made of rotated copies (c4 on fields of 8) and of rotated and mirrored copies (d4 on fields of 16):
    /// the search finds the field size and the channel shift.
    func testRotatedCopiesNameC4AndRotatedMirroredCopiesNameD4() throws {
        let c4 = try FilterBankSymmetry.symmetryMatrix(named: "c4", channels: 24, fieldSize: 8, dtype: .float64)
        let s = try GroupSearch(weightShape: [24, 1, 3, 3], layout: .filterBank, samples: samples(c4, 4, seed: 2))
        let named = try XCTUnwrap(s.named.map { s.groups[$0] })
        XCTAssertEqual(named.shortName, "c4")
        XCTAssertEqual(s.description(named), "c4 ⟨90° rotation × channel shift 2 in fields of 8⟩")
        XCTAssertEqual(s.fieldSize(named), 8)
        XCTAssertEqual(named.order, 4)
        XCTAssertEqual(named.partition.count, 54)
        XCTAssertGreaterThan(try XCTUnwrap(s.rejected.map { s.groups[$0].defect }), 0.2)

        let d4 = try FilterBankSymmetry.symmetryMatrix(named: "d4", channels: 48, fieldSize: 16, dtype: .float64)
        let t = try GroupSearch(weightShape: [48, 1, 3, 3], layout: .filterBank, samples: samples(d4, 4, seed: 3))
        let dihedral = try XCTUnwrap(t.named.map { t.groups[$0] })
        XCTAssertEqual(dihedral.shortName, "d4")
        XCTAssertEqual(dihedral.order, 8)
        XCTAssertEqual(t.fieldSize(dihedral), 16)
        XCTAssertLessThan(dihedral.defect, 1e-12)
        XCTAssertEqual(try t.group(named: "c4").partition.count, 108)
    }

    func testAnUnstructuredWeightNamesNoGroup() throws {
        let s = try GroupSearch(weightShape: [24, 1, 3, 3], layout: .filterBank, samples: (0..<3).map { randn([216], seed: 20 + UInt64($0)).scalars })
        XCTAssertNil(s.named)
        XCTAssertTrue(s.candidates.allSatisfy { $0.defect > 0.3 })
        XCTAssertTrue(s.summary.contains("no group below 0.2"), s.summary)
        XCTAssertNotNil(s.rejected)   // the closest group, for the report
        let m = try GroupSearch(weightShape: [10, 12], layout: .matrix, samples: [randn([120], seed: 5).scalars])
        XCTAssertNil(m.named)
    }

    func testBadArgumentsAreTypedErrors() throws {
        XCTAssertThrowsError(try GroupSearch(weightShape: [3, 4], layout: .matrix, samples: [[1, 2]])) { error in
            XCTAssertTrue("\(error)".contains("12 entries"), "\(error)")
        }
        XCTAssertThrowsError(try GroupSearch(weightShape: [3, 4], layout: .matrix, samples: []))
        XCTAssertThrowsError(try GroupSearch(weightShape: [3, 4], layout: .matrix, samples: [[Double](repeating: 1, count: 12)], threshold: 0))
        let s = try GroupSearch(weightShape: [3, 4], layout: .matrix, samples: [randn([12], seed: 1).scalars])
        XCTAssertThrowsError(try s.group(named: "c4")) { error in
            XCTAssertTrue("\(error)".contains("unknown group ‘c4’") && "\(error)".contains("translation"), "\(error)")
        }
        XCTAssertThrowsError(try s.group(named: "named")) { XCTAssertTrue("\($0)".contains("no group has a defect below")) }
    }
}

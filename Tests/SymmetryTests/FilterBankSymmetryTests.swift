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

    /// The mode gains of a block-circulant matrix built from known eigenvalues per Fourier mode are those
    /// eigenvalues; the tap-harmonic gains of the projector onto the centre and ring harmonics k ≤ 2 are 1
    /// there and 0 elsewhere, and the harmonics form an orthonormal basis of the 9 taps.
    func testModeAndHarmonicGains() {
        let gains = [5.0, 4.0, 3.0, 0.5, 0.25]            // m = 0…4; m and 8 − m share one
        var m = [Double](repeating: 0, count: 16 * 16)
        for b in 0..<2 { for i in 0..<8 { for j in 0..<8 {
            var x = 0.0
            for mode in 0..<8 { x += gains[min(mode, 8 - mode)] * cos(2 * Double.pi * Double(mode * (j - i)) / 8) / 8 }
            m[(b * 8 + i) * 16 + b * 8 + j] = x
        } } }
        let measured = MatrixStructure.blockModeGains(m, n: 16, block: 8)
        for (a, e) in zip(measured, gains) { XCTAssertEqual(a, e, accuracy: 1e-12) }

        let basis = MatrixStructure.tapHarmonics.flatMap(\.vectors)
        XCTAssertEqual(basis.count, 9)
        for (i, p) in basis.enumerated() { for (j, q) in basis.enumerated() {
            XCTAssertEqual(zip(p, q).reduce(0) { $0 + $1.0 * $1.1 }, i == j ? 1 : 0, accuracy: 1e-12)
        } }
        var projector = [Double](repeating: 0, count: 81)
        for h in MatrixStructure.tapHarmonics.prefix(4) { for q in h.vectors { for i in 0..<9 { for j in 0..<9 { projector[i * 9 + j] += q[i] * q[j] } } } }
        let tap = MatrixStructure.tapHarmonicGains(projector)
        XCTAssertEqual(tap.map(\.name), ["centre", "ring k=0", "ring k=1", "ring k=2", "ring k=3", "ring k=4"])
        for (k, g) in tap.enumerated() { XCTAssertEqual(g.gain, k < 4 ? 1 : 0, accuracy: 1e-12) }
    }
}

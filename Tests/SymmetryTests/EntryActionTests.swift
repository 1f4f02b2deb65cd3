import Symmetry
import Tensors
import XCTest

/// The candidate moves: permutations of a bank's entries (partial shifts for a 1-D map), channel permutations
/// only with tap transforms whose order they divide, every field size that divides the channel count.
final class EntryActionTests: XCTestCase {
    func testMatrixCandidatesAreShiftsAndTheReversal() {
        let c = EntryAction.candidates(weightShape: [4, 6], layout: .matrix)
        XCTAssertEqual(c.map { $0.map(\.transform) }, [[.translation1], [.translation2], [.reversal]])
        // Shift by 1 carries the last row and the last column off the matrix: 6 + 4 − 1 entries have no image.
        XCTAssertEqual(c[0][0].image.filter { $0 < 0 }.count, 9)
        XCTAssertEqual(Set(c[2][0].image), Set(0..<24))
        XCTAssertTrue(EntryAction.candidates(weightShape: [4, 6, 2], layout: .matrix).isEmpty)
        XCTAssertTrue(EntryAction.candidates(weightShape: [4, 6, 2, 3], layout: .other).isEmpty)
    }

    func testFilterBankCandidatesArePermutationsWithFoundFieldSizes() {
        let c = EntryAction.candidates(weightShape: [24, 1, 3, 3], layout: .filterBank)
        XCTAssertEqual(c.map { $0[0].transform }, [.rotation90, .rotation180, .mirror, .mirrorUpDown, .transpose, .channels])
        for alternatives in c { for a in alternatives { XCTAssertEqual(Set(a.image), Set(0..<216), a.name) } }
        let rotations = c[0].map(\.name)
        XCTAssertTrue(rotations.contains("90° rotation × channel shift 2 in fields of 8"))
        XCTAssertTrue(rotations.contains("90° rotation × channel shift 6 in fields of 24"))
        XCTAssertTrue(rotations.contains("90° rotation (channels fixed)"))
        // A shift of order 8 cannot go with a quarter turn (order 4).
        XCTAssertFalse(rotations.contains("90° rotation × channel shift 1 in fields of 8"))
        // Fields of 5 do not divide 24 channels.
        XCTAssertFalse(c.joined().contains { $0.fieldSize == 5 })
        XCTAssertEqual(Set(c.joined().compactMap(\.fieldSize)), [2, 3, 4, 6, 8, 12, 24])
        // The dihedral regular representation's mirror: swap a 16-field's halves, g ↦ −g.
        let flips = EntryAction.candidates(weightShape: [48, 1, 3, 3], layout: .filterBank)[2].map(\.name)
        XCTAssertTrue(flips.contains("mirror (left–right) × channel reflection (h, g) ↦ (1 − h, 0 − g) in fields of 16"))
    }

    /// With several input channels the channel permutation also moves them where it fits.
    func testInputChannelsMoveWithTheOutputChannelsWhereTheyFit() {
        let c = EntryAction.candidates(weightShape: [4, 2, 3, 3], layout: .filterBank)
        let names = c.joined().map(\.name)
        XCTAssertTrue(names.contains("180° rotation × channel shift 1 in fields of 2 (input channels too)"))
        XCTAssertFalse(names.contains { $0.contains("fields of 4 (input channels too)") })
        // A 1-D bank: the taps reverse.
        XCTAssertEqual(EntryAction.candidates(weightShape: [2, 1, 5], layout: .filterBank).first?.first?.transform, .tapReversal)
    }
}

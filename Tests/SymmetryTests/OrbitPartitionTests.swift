import Symmetry
import Tensors
import TestSupport
import XCTest

/// Orbit averages are group averages: the Toeplitz projection for shifts of a line, `EquivarianceDefect`'s
/// average for a permutation group; projecting U's columns makes every W = reshape(U'·v) invariant.
final class OrbitPartitionTests: XCTestCase {
    func testShiftByOneOfAMatrixGivesItsDiagonalsAndTheToeplitzDistance() {
        let (o, i) = (5, 7)
        let shift = EntryAction.candidates(weightShape: [o, i], layout: .matrix).flatMap { $0 }.first { $0.transform == .translation1 }!
        let p = OrbitPartition(entries: o * i, generators: [shift])
        XCTAssertEqual(p.count, o + i - 1)   // one orbit per diagonal i − o
        XCTAssertEqual(p.labels[0], p.labels[1 * i + 1])
        XCTAssertNotEqual(p.labels[0], p.labels[1])
        let w = randn([o, i], seed: 1)
        assertClose(p.defect(w.scalars), TranslationDefect.toeplitzDistance(w), tolerance: 1e-12)
    }

    func testPermutationGroupOrbitsAverageAsTheGroupAverage() throws {
        let (input, output) = (PermutationGroup.reversal(6), PermutationGroup.reversal(4))
        let p = try OrbitPartition(input: input, output: output)
        let w = randn([4, 6], seed: 2).scalars
        let expected = EquivarianceDefect.groupAverage(w, input: input, output: output)
        assertClose(Tensor(shape: [24], values: p.average(w), dtype: .float64), Tensor(shape: [24], values: expected, dtype: .float64), tolerance: 1e-12)
        XCTAssertEqual(p.count, 12)
    }

    /// U' = P·U: each column invariant, P idempotent, and U − U' orthogonal to U' (an orthogonal projection).
    func testProjectedColumnsAreInvariantAndTheProjectionIsOrthogonal() throws {
        let c4 = try FilterBankSymmetry.group(named: "c4", channels: 8, fieldSize: 8)
        let p = try OrbitPartition(input: .trivial(order: c4.order), output: c4)
        let u = randn([72, 5], seed: 3)
        let snapped = p.projectColumns(u)
        XCTAssertEqual(snapped.shape, [72, 5])
        XCTAssertLessThan(try FilterBankSymmetry.defect(Tensor.matmul(snapped, randn([5, 1], seed: 4)).reshaped([8, 1, 3, 3]), c4), 1e-12)
        assertClose(p.projectColumns(snapped), snapped, tolerance: 1e-12)
        let (a, b) = (u.scalars, snapped.scalars)
        XCTAssertEqual(zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * $1.1 }, 0, accuracy: 1e-10)
        XCTAssertGreaterThan(try FilterBankSymmetry.defect(Tensor.matmul(u, randn([5, 1], seed: 4)).reshaped([8, 1, 3, 3]), c4), 0.5)
    }

    func testRefinementOrdersSubgroupsBelowTheirGroups() throws {
        let c2 = try PermutationGroup(name: "c2", degree: 9, generators: [(0..<9).map { 8 - $0 }])
        let c4 = PermutationGroup.rotations90(grid: 3)
        let small = try OrbitPartition(input: .trivial(order: 2), output: c2), large = try OrbitPartition(input: .trivial(order: 4), output: c4)
        XCTAssertTrue(small.refines(large))
        XCTAssertFalse(large.refines(small))
        XCTAssertEqual(OrbitPartition(labels: [7, 7, 3]).labels, [0, 0, 1])
    }
}

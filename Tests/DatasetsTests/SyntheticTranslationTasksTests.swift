import Datasets
import Foundation
import Tensors
import TestSupport
import XCTest

final class SyntheticTranslationTasksTests: XCTestCase {
    typealias S = SyntheticTranslationTasks

    /// The filter bank (68 × 3) of a task recovered from its examples alone: for each output position p,
    /// the least-squares solution w[p, :] of y[n, p] = Σ_j x[n, p + j] · w[p, j] over the 20 examples.
    func recoveredFilterBank(_ task: TaskExamples) -> [[Double]] {
        let x = task.inputs.scalars, y = task.targets.scalars
        return (0..<S.outputLength).map { p in
            var ata = [Double](repeating: 0, count: 9), aty = [0.0, 0.0, 0.0]
            for n in 0..<task.exampleCount {
                let row = (0..<3).map { x[n * S.inputLength + p + $0] }
                for i in 0..<3 {
                    aty[i] += row[i] * y[n * S.outputLength + p]
                    for j in 0..<3 { ata[i * 3 + j] += row[i] * row[j] }
                }
            }
            return solve3(ata, aty)
        }
    }

    func testShapesAndDtypesAreTheReferences() {
        let family = S(problem: .rank2, count: 3, seed: 1)
        XCTAssertEqual(family.inputShape, [1, 70])
        XCTAssertEqual(family.targetShape, [1, 68])
        let task = family.task(at: 2)
        XCTAssertEqual(task.inputs.shape, [20, 1, 70])
        XCTAssertEqual(task.targets.shape, [20, 1, 68])
        XCTAssertEqual(task.inputs.dtype, .float32)
        XCTAssertEqual(task.targets.dtype, .float32)
        XCTAssertEqual(family.filterBank(at: 0).shape, [68, 3])
        XCTAssertEqual(family.filterBanks().shape, [3, 68, 3])
        XCTAssertEqual(S(problem: .rank1).count, 10_000)
    }

    func testRank1TasksAreConvolutions() {
        let family = S(problem: .rank1, count: 5, seed: 11)
        for index in 0..<family.count {
            let task = family.task(at: index)
            let w = recoveredFilterBank(task)
            // One filter for all positions…
            let filter = w[0]
            for p in 1..<S.outputLength { XCTAssertEqual(w[p], filter, accuracy: 1e-4) }
            // …and the targets are conv1d (cross-correlation) of the inputs with it.
            let weight = Tensor(shape: [1, 1, 3], values: filter, dtype: .float32)
            assertClose(Tensor.conv1d(task.inputs, weight: weight), task.targets, tolerance: 1e-5)
            XCTAssertEqual(family.filterBank(at: index).scalars, (0..<68).flatMap { _ in family.filterBank(at: index).scalars.prefix(3) })
        }
    }

    func testLowRankFilterBanksLieInTheSharedConnectivitySpace() {
        for problem in [SyntheticTranslationProblem.rank2, .rank5] {
            let k = problem.rank
            let family = S(problem: problem, count: 6, seed: 5)
            var columns: [[Double]] = []  // columns (68) of every task's filter bank
            for index in 0..<family.count {
                let w = recoveredFilterBank(family.task(at: index))
                assertClose(Tensor(shape: [68, 3], values: w.flatMap { $0 }, dtype: .float64),
                            family.filterBank(at: index).to(.float64), tolerance: 1e-4, "\(problem) task \(index)")
                let taskColumns = (0..<3).map { j in w.map { $0[j] } }
                // One task's (68 × 3) bank has rank min(k, 3).
                XCTAssertEqual(numericalRank(taskColumns, tolerance: 1e-3), min(k, 3), "\(problem) task \(index)")
                columns += taskColumns
            }
            // All tasks together span exactly k dimensions: the columns of the connectivity (68 × k).
            XCTAssertEqual(numericalRank(columns, tolerance: 1e-3), k, "\(problem)")
            let c = family.connectivity.scalars
            let connectivityColumns = (0..<k).map { i in (0..<68).map { c[$0 * k + i] } }
            XCTAssertEqual(numericalRank(connectivityColumns + columns, tolerance: 1e-3), k, "\(problem)")
            // The connectivity is a row-wise softmax: positive rows summing to 1.
            for p in 0..<68 {
                let row = c[(p * k)..<(p * k + k)]
                XCTAssertTrue(row.allSatisfy { $0 > 0 })
                XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-12)
            }
            // Positions do not share one filter (the symmetry is partial).
            let w0 = family.filterBank(at: 0).scalars
            XCTAssertNotEqual(Array(w0[0..<3]), Array(w0[3..<6]))
        }
    }

    func testSeededReproducibilityAndTasksOnDemand() {
        let a = S(problem: .rank2, count: 40, seed: 9), b = S(problem: .rank2, count: 40, seed: 9)
        XCTAssertEqual(a.connectivity.scalars, b.connectivity.scalars)
        XCTAssertEqual(a.task(at: 17).inputs.scalars, b.task(at: 17).inputs.scalars)
        XCTAssertEqual(a.task(at: 17).targets.scalars, b.task(at: 17).targets.scalars)
        // A task does not depend on the family's size.
        XCTAssertEqual(S(problem: .rank2, count: 18, seed: 9).task(at: 17).targets.scalars, a.task(at: 17).targets.scalars)
        // Other seeds, other tasks and other problems differ.
        XCTAssertNotEqual(S(problem: .rank2, count: 40, seed: 10).task(at: 17).inputs.scalars, a.task(at: 17).inputs.scalars)
        XCTAssertNotEqual(S(problem: .rank2, count: 40, seed: 10).connectivity.scalars, a.connectivity.scalars)
        XCTAssertNotEqual(a.task(at: 16).inputs.scalars, a.task(at: 17).inputs.scalars)
        // materialized() holds exactly the tasks task(at:) makes, and filterBanks() their filters.
        let stored = a.materialized()
        XCTAssertEqual(stored.count, 40)
        XCTAssertEqual(stored.inputs.shape, [40, 20, 1, 70])
        XCTAssertEqual(stored.targets.shape, [40, 20, 1, 68])
        let banks = a.filterBanks().scalars
        for index in [0, 1, 17, 39] {
            XCTAssertEqual(stored.task(at: index).inputs.scalars, a.task(at: index).inputs.scalars)
            XCTAssertEqual(stored.task(at: index).targets.scalars, a.task(at: index).targets.scalars)
            XCTAssertEqual(Array(banks[(index * 204)..<((index + 1) * 204)]), a.filterBank(at: index).scalars)
        }
    }

    func testInputsAreStandardNormal() {
        let x = S(problem: .rank1, count: 20, seed: 3).materialized().inputs.scalars  // 28,000 samples
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    func testProblemNamesAreTheReferences() {
        XCTAssertEqual(SyntheticTranslationProblem.allCases.map(\.rawValue), ["rank1", "rank2", "rank5"])
        XCTAssertEqual(SyntheticTranslationProblem.allCases.map(\.rank), [1, 2, 5])
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

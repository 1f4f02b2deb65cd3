import Datasets
import Tensors
import XCTest

final class TaskSubsetTests: XCTestCase {
    func testTrainTestSplitsAsTheReference() {
        let family = SyntheticTranslationTasks(problem: .rank1, count: 10_000, seed: 0)
        let (train, test) = family.trainTest(fraction: 0.8)
        XCTAssertEqual(train.count, 8_000)
        XCTAssertEqual(test.count, 2_000)
        XCTAssertEqual(test.indices, 8_000..<10_000)
        XCTAssertEqual(test.task(at: 0).inputs.scalars, family.task(at: 8_000).inputs.scalars)
        XCTAssertEqual(train.task(at: 7_999).targets.scalars, family.task(at: 7_999).targets.scalars)
        XCTAssertEqual(test.inputShape, [1, 70])
        XCTAssertEqual(test.targetShape, [1, 68])
    }

    func testSplitsOfStoredFamiliesAndOddCounts() {
        let stored = SyntheticTranslationTasks(problem: .rank2, count: 7, seed: 2).materialized()
        let (train, test) = stored.trainTest()
        XCTAssertEqual([train.count, test.count], [5, 2])  // int(0.8 · 7) = 5
        XCTAssertEqual(test.task(at: 1).targets.scalars, stored.task(at: 6).targets.scalars)
        XCTAssertEqual(stored.trainTest(fraction: 1).test.count, 0)
        XCTAssertEqual(stored.subset(2..<4).task(at: 0).inputs.scalars, stored.task(at: 2).inputs.scalars)
    }
}

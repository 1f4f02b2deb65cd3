import Datasets
import Tensors
import XCTest

final class TaskTests: XCTestCase {
    /// A family whose example n of task t has input t·100 + n, so an episode shows which examples it took.
    struct Labelled: TaskFamily {
        var count: Int { 3 }
        var inputShape: [Int] { [1] }
        var targetShape: [Int] { [] }
        func task(at index: Int) -> TaskExamples {
            let values = (0..<20).map { Double(index * 100 + $0) }
            return TaskExamples(inputs: Tensor(shape: [20, 1], values: values, dtype: .float32),
                                targets: Tensor(shape: [20], values: values.map { -$0 }, dtype: .float32))
        }
    }

    func testEpisodesDrawDistinctExamplesOfOneTask() {
        var generator = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let episode = Labelled().episode(at: 2, supportCount: 5, queryCount: 15, using: &generator)
            let support = episode.support.inputs.scalars, query = episode.query.inputs.scalars
            XCTAssertEqual(support.count, 5)
            XCTAssertEqual(query.count, 15)
            XCTAssertEqual(Set(support + query).count, 20, "no example is drawn twice")
            XCTAssertTrue((support + query).allSatisfy { (200..<220).contains(Int($0)) })
            XCTAssertEqual(episode.support.targets.scalars, support.map { -$0 }, "targets stay with their inputs")
        }
    }

    func testEpisodesAreReproducibleFromTheSeed() {
        let family = SyntheticTranslationTasks(problem: .rank2, count: 4, seed: 3)
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let first = family.episode(at: 1, supportCount: 1, queryCount: 19, using: &a)
        let second = family.episode(at: 1, supportCount: 1, queryCount: 19, using: &b)
        XCTAssertEqual(first.support.inputs.scalars, second.support.inputs.scalars)
        XCTAssertEqual(first.query.targets.scalars, second.query.targets.scalars)
        var differs = false
        for _ in 0..<5 {
            let other = family.episode(at: 1, supportCount: 1, queryCount: 19, using: &c)
            differs = differs || other.support.inputs.scalars != first.support.inputs.scalars
        }
        XCTAssertTrue(differs)
        XCTAssertEqual(first.support.inputs.shape, [1, 1, 70])
        XCTAssertEqual(first.query.targets.shape, [19, 1, 68])
    }
}

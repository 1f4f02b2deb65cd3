import Datasets
import Tensors
import XCTest

/// `family`'s episodes (read from the whole task or only the drawn examples, by the split), against what
/// `TaskFamily`'s default draws from the whole task (`whole.task(at:)`, then `select`) with the same generator: the
/// same examples in the same order, the same generator state after, for a 1/19, 5/10, 0/20 and 3/0 split of the
/// fixture's 20 examples (tasks 0..<3).
func assertEpisodesAreTheDefaultDraw(_ family: any TaskFamily, whole: ArrayTaskFamily, dtype: DType = .float32,
                                     file: StaticString = #filePath, line: UInt = #line) {
    for (index, (support, query)) in [(1, 19), (5, 10), (0, 20), (3, 0)].enumerated() {
        var g1 = SplitMix64(seed: UInt64(index)), g2 = g1
        let task = index % 3
        let episode = family.episode(at: task, supportCount: support, queryCount: query, using: &g1)
        let drawn = whole.task(at: task)
        let (s, q) = Episode.drawExamples(from: 20, supportCount: support, queryCount: query, using: &g2)
        XCTAssertEqual(g1.next(), g2.next(), "the same draws", file: file, line: line)
        XCTAssertEqual(episode.support.inputs.shape, [support, 1, 70], file: file, line: line)
        XCTAssertEqual(episode.query.targets.shape, [query, 1, 68], file: file, line: line)
        XCTAssertEqual(episode.support.inputs.dtype, dtype, file: file, line: line)
        XCTAssertEqual(episode.support.inputs.scalars, drawn.select(s).inputs.scalars, file: file, line: line)
        XCTAssertEqual(episode.support.targets.scalars, drawn.select(s).targets.scalars, file: file, line: line)
        XCTAssertEqual(episode.query.inputs.scalars, drawn.select(q).inputs.scalars, file: file, line: line)
        XCTAssertEqual(episode.query.targets.scalars, drawn.select(q).targets.scalars, file: file, line: line)
        XCTAssertNil(episode.support.inputs.node, "a constant, not on any graph", file: file, line: line)
    }
}

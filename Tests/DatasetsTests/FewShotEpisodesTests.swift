import Datasets
import Foundation
import Tensors
import XCTest

/// Classes whose images say who they are: every value of image `e` of class `c` is 1000·c + e.
struct LabelledClasses: FewShotClassSource {
    var classCount: Int
    var examples: Int
    var imageShape: [Int] { [1, 2, 3] }
    func exampleCount(ofClass c: Int) -> Int { examples }
    func className(_ c: Int) -> String { "class\(c)" }
    func image(ofClass c: Int, example: Int) throws -> [Float] { [Float](repeating: Float(1000 * c + example), count: 6) }
}

final class FewShotEpisodesTests: XCTestCase {
    /// The (class, example) of each image of `images` (B, 1, 2, 3).
    func identities(_ images: Tensor) -> [(c: Int, e: Int)] {
        let values = images.floats
        return (0..<images.shape[0]).map { i in
            let v = Int(values[i * 6])
            return (v / 1000, v % 1000)
        }
    }

    func testShapesLabelsAndNoRepeats() throws {
        let sampler = try FewShotEpisodeSampler(classes: LabelledClasses(classCount: 30, examples: 20), ways: 5, shots: 3, queries: 15)
        var generator = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let episode = try sampler.episode(using: &generator)
            XCTAssertEqual(episode.supportImages.shape, [15, 1, 2, 3])
            XCTAssertEqual(episode.queryImages.shape, [75, 1, 2, 3])
            XCTAssertEqual(episode.supportImages.dtype, .float32)
            XCTAssertEqual(episode.supportLabels, (0..<15).map { $0 / 3 })
            XCTAssertEqual(episode.queryLabels, (0..<75).map { $0 / 15 })
            XCTAssertEqual(episode.ways, 5)
            XCTAssertEqual(Set(episode.classes).count, 5)
            let support = identities(episode.supportImages), query = identities(episode.queryImages)
            // Label i is class classes[i], K and Q images of it, no image twice in the episode.
            for (i, id) in support.enumerated() { XCTAssertEqual(id.c, episode.classes[episode.supportLabels[i]]) }
            for (i, id) in query.enumerated() { XCTAssertEqual(id.c, episode.classes[episode.queryLabels[i]]) }
            let all = (support + query).map { 1000 * $0.c + $0.e }
            XCTAssertEqual(Set(all).count, 90)
        }
    }

    func testLabelsAreShuffledAndSeeded() throws {
        let sampler = try FewShotEpisodeSampler(classes: LabelledClasses(classCount: 5, examples: 6), ways: 5, shots: 1, queries: 1)
        var generator = SplitMix64(seed: 2)
        var orders = Set<[Int]>()
        for _ in 0..<40 { orders.insert(try sampler.episode(using: &generator).classes) }
        // With all 5 classes in every episode, only the labels' order changes: many orders appear.
        XCTAssertGreaterThan(orders.count, 20)
        XCTAssertTrue(orders.allSatisfy { $0.sorted() == [0, 1, 2, 3, 4] })
        var a = SplitMix64(seed: 3), b = SplitMix64(seed: 3)
        let first = try sampler.episode(using: &a), second = try sampler.episode(using: &b)
        XCTAssertEqual(first.classes, second.classes)
        XCTAssertEqual(first.queryImages.floats, second.queryImages.floats)
    }

    func testEpisodeHasFloatLabelTargets() throws {
        let sampler = try FewShotEpisodeSampler(classes: LabelledClasses(classCount: 8, examples: 4), ways: 4, shots: 2, queries: 2)
        var generator = SplitMix64(seed: 4)
        let episode = try sampler.episode(using: &generator).episode
        XCTAssertEqual(episode.support.inputs.shape, [8, 1, 2, 3])
        XCTAssertEqual(episode.support.targets.shape, [8])
        XCTAssertEqual(episode.support.targets.floats, [0, 0, 1, 1, 2, 2, 3, 3])
        XCTAssertEqual(episode.query.targets.floats, [0, 0, 1, 1, 2, 2, 3, 3])
    }

    func testAugmentationTouchesQueriesOnly() throws {
        let root = try temporaryDirectory(for: self)
        try writeOmniglotFolder(at: root, characters: ["Alpha/character01": 4, "Alpha/character02": 4, "Beta/character01": 4])
        let classes = try Omniglot(sources: [root]).classes(alphabets: ["Alpha", "Beta"])
        let sampler = try FewShotEpisodeSampler(classes: classes, ways: 3, shots: 1, queries: 3, queryAugmentation: .protocolDefault)
        var generator = SplitMix64(seed: 5)
        let episode = try sampler.episode(using: &generator)
        let drawings = (0..<classes.classCount).flatMap { c in (0..<4).map { classes.image(ofClass: c, example: $0) } }
        let size = 28 * 28
        let support = episode.supportImages.floats, query = episode.queryImages.floats
        for i in 0..<3 {
            XCTAssertTrue(drawings.contains(Array(support[(i * size)..<((i + 1) * size)])), "support image \(i) was changed")
        }
        for i in 0..<9 {
            XCTAssertFalse(drawings.contains(Array(query[(i * size)..<((i + 1) * size)])), "query image \(i) was not augmented")
        }
    }

    func testEpisodesTooLargeAreErrors() {
        let classes = LabelledClasses(classCount: 4, examples: 10)
        XCTAssertEqual(thrownImageError { try FewShotEpisodeSampler(classes: classes, ways: 5, shots: 1) },
                       .episodeTooLarge(detail: "5 ways, but there are only 4 classes"))
        XCTAssertEqual(thrownImageError { try FewShotEpisodeSampler(classes: classes, ways: 2, shots: 1, queries: 15) },
                       .episodeTooLarge(detail: "1 support + 15 query images per class, but class class0 has only 10"))
        XCTAssertNotNil(thrownImageError { try FewShotEpisodeSampler(classes: classes, ways: 0, shots: 1) })
    }
}

import Datasets
import Foundation
import MetaLearning
import Tensors
import XCTest

/// Classes whose every pixel is `value`: an episode's images say which class source it came from.
private struct ConstantClasses: FewShotClassSource {
    var value: Float
    var imageShape: [Int] { [1, 16, 16] }
    var classCount: Int { 3 }
    func exampleCount(ofClass c: Int) -> Int { 4 }
    func className(_ c: Int) -> String { "c\(c)" }
    func image(ofClass c: Int, example: Int) throws -> [Float] { [Float](repeating: value + Float(c), count: 256) }
}

final class FewShotProblemTests: XCTestCase {
    var configuration: FewShotConfiguration {
        var c = FewShotConfiguration(method: .protonets, ways: 2, shots: 1, queries: 1)
        (c.imageSize, c.width, c.validationEpisodes, c.testEpisodes) = (16, 4, 3, 5)
        return c
    }

    func sampler(_ value: Float) throws -> FewShotEpisodeSampler {
        try FewShotEpisodeSampler(classes: ConstantClasses(value: value), ways: 2, shots: 1, queries: 1)
    }

    func trainer(validation: Bool) throws -> FewShotTrainer {
        FewShotTrainer(configuration: configuration, trainEpisodes: try sampler(0), validationEpisodes: validation ? try sampler(100) : nil,
                       testEpisodes: try sampler(200), threads: 1)
    }

    /// Periodic evaluations draw from the validation classes, the final one from the meta-test classes, both
    /// with the same draw deciding which classes and images.
    func testPeriodicEpisodesComeFromValidationClasses() throws {
        let problem = try trainer(validation: true).problem
        XCTAssertTrue(problem.hasValidationTasks)
        let draw = EpisodeDraw(task: 0, generator: SplitMix64(seed: 5))
        let periodic = try problem.evaluationEpisode(draw, stage: .periodic)
        let final = try problem.evaluationEpisode(draw, stage: .final)
        XCTAssertTrue(periodic.supportImages.floats.allSatisfy { (100..<103).contains($0) })
        XCTAssertTrue(final.supportImages.floats.allSatisfy { (200..<203).contains($0) })
        XCTAssertEqual(periodic.classes, final.classes)
        XCTAssertEqual(try problem.evaluationEpisode(draw).supportImages.floats, final.supportImages.floats)
    }

    /// Without validation classes (Omniglot) every evaluation draws the meta-test episodes it drew before.
    func testWithoutValidationClassesPeriodicIsMetaTest() throws {
        let problem = try trainer(validation: false).problem
        XCTAssertFalse(problem.hasValidationTasks)
        let draw = EpisodeDraw(task: 1, generator: SplitMix64(seed: 9))
        var g = draw.generator
        let before = try problem.testEpisodes.episode(using: &g)
        for stage in EvaluationStage.allCases {
            XCTAssertEqual(try problem.evaluationEpisode(draw, stage: stage).queryImages.floats, before.queryImages.floats)
        }
    }

    /// `evaluate` counts `validationEpisodes` periodically and `testEpisodes` at the end.
    func testStageSetsTheEpisodeCount() throws {
        let t = try trainer(validation: true)
        let p = t.initialState().metaParameters
        XCTAssertEqual(try t.evaluate(p).count, 3)
        XCTAssertEqual(try t.evaluate(p, stage: .final).count, 5)
        XCTAssertEqual(try t.evaluate(p, stage: .final, episodeCount: 2).count, 2)
    }
}

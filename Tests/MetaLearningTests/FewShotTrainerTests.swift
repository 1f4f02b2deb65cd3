import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors
import TestSupport
import XCTest

final class FewShotTrainerTests: XCTestCase {
    /// The protocol's split of the shipped Omniglot subset (796 and 172 classes), decoded once per process.
    static func omniglotSplit() throws -> (metaTrain: OmniglotClasses, metaTest: OmniglotClasses) {
        try Omniglot.cached(sources: Omniglot.defaultSources()).protocolSplit()
    }

    /// A small trainer on real Omniglot, 5-way 1-shot with 5 queries per class, width 8.
    func smallTrainer(_ method: FewShotMethod, steps: Int, augment: Bool = false, seed: UInt64 = 0,
                      threads: Int = 2) throws -> FewShotTrainer {
        let split = try Self.omniglotSplit()
        var c = FewShotConfiguration(method: method, ways: 5, shots: 1, queries: 5)
        c.width = 8
        c.metaBatchSize = method == .protonets ? 1 : 2
        c.steps = steps
        c.seed = seed
        c.outerLearningRate = 3e-3
        let augmentation: ImageAugmentation = augment ? .protocolDefault : .none
        return FewShotTrainer(
            configuration: c,
            trainEpisodes: try FewShotEpisodeSampler(classes: split.metaTrain, ways: 5, shots: 1, queries: 5, queryAugmentation: augmentation),
            testEpisodes: try FewShotEpisodeSampler(classes: split.metaTest, ways: 5, shots: 1, queries: 5, queryAugmentation: augmentation),
            threads: threads)
    }

    /// A short run of `method` on 5-way 1-shot: meta-test accuracy (40 episodes) ends clearly above chance
    /// (20%) and above where it started.
    func checkLearns(_ method: FewShotMethod, steps: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let trainer = try smallTrainer(method, steps: steps)
        var state = trainer.initialState()
        let before = try trainer.evaluate(state.metaParameters, episodeCount: 40)
        let t0 = Date()
        while state.step < steps { try trainer.step(&state) }
        let trainSeconds = Date().timeIntervalSince(t0)
        let after = try trainer.evaluate(state.metaParameters, episodeCount: 40)
        print("\(method): accuracy \(before.mean) → \(after.mean) ± \(after.halfWidth95) after \(steps) steps (\(trainSeconds) s)")
        XCTAssertGreaterThan(after.mean - after.halfWidth95, 0.3, "\(method) is not clearly above chance", file: file, line: line)
        XCTAssertGreaterThan(after.mean, before.mean + 0.05, "\(method) did not learn", file: file, line: line)
    }

    /// The meta-gradient of a meta-batch (episodes drawn and augmented in parallel) is the same on 1 and 2
    /// threads, bit for bit, and a function of (seed, step).
    func testMetaGradientDoesNotDependOnThreads() throws {
        let one = try smallTrainer(.msr, steps: 1, augment: true, threads: 1)
        let two = try smallTrainer(.msr, steps: 1, augment: true, threads: 2)
        let p = one.initialState().metaParameters
        let (g1, l1) = try one.metaGradient(p, step: 3)
        let (g2, l2) = try two.metaGradient(p, step: 3)
        XCTAssertEqual(l1, l2)
        for key in g1.keys { XCTAssertEqual(g1[key].scalars, g2[key].scalars, key) }
        let (_, l3) = try two.metaGradient(p, step: 4)
        XCTAssertNotEqual(l1, l3)
        let e1 = try one.trainingEpisodes(step: 3), e2 = try two.trainingEpisodes(step: 3)
        XCTAssertEqual(e1.map(\.classes), e2.map(\.classes))
        XCTAssertEqual(e1[0].queryImages.scalars, e2[0].queryImages.scalars)
    }

    /// The protocol's defaults: 5,600 meta-training tasks for every method.
    func testProtocolBudget() {
        let maml = FewShotConfiguration(method: .maml), proto = FewShotConfiguration(method: .protonets)
        XCTAssertEqual(maml.steps, 700)
        XCTAssertEqual(maml.metaBatchSize, 8)
        XCTAssertEqual(maml.trainingTasks, 5600)
        XCTAssertEqual(proto.trainingTasks, 5600)
        XCTAssertEqual(proto.metaBatchSize, 1)
        XCTAssertEqual(maml.initialInnerLearningRate, 0.4)
        XCTAssertEqual(maml.innerSteps, 1)
        XCTAssertEqual(maml.testInnerSteps, 3)
        XCTAssertFalse(maml.firstOrder)
        XCTAssertEqual(maml.testEpisodes, 600)
        XCTAssertEqual(maml.network.embeddingSize, 64)
    }

    /// Every trained model is also scored on the 20 official one-shot runs (20-way 1-shot), here untrained.
    func testOneShotRunsEvaluation() throws {
        let trainer = try smallTrainer(.protonets, steps: 1)
        let result = try trainer.evaluate(trainer.initialState().metaParameters, oneShotRuns: try OmniglotOneShotRuns.builtIn())
        XCTAssertEqual(result.perRun.count, 20)
        XCTAssertEqual(result.humanAccuracy, 0.955)
        XCTAssertGreaterThan(result.accuracy.mean, 0.05)
    }

    func testProtoNetsLearns() throws { try checkLearns(.protonets, steps: 40) }
    func testMAMLLearns() throws { try checkLearns(.maml, steps: 30) }
    func testANILLearns() throws { try checkLearns(.anil, steps: 30) }
    func testMSRLearns() throws { try checkLearns(.msr, steps: 30) }
}

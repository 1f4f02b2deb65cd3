import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors
import TestSupport
import XCTest

final class MetaTrainerTests: XCTestCase {
    /// A small rank-1 experiment that runs quickly in a debug build.
    func experiment(_ model: RegressionModel, steps: Int, metaBatch: Int = 8, outerLR: Double = 0.01,
                    firstOrder: Bool = false) -> RegressionExperiment {
        var c = MetaTrainingConfiguration()
        c.firstOrder = firstOrder
        c.steps = steps
        c.metaBatchSize = metaBatch
        c.outerLearningRate = outerLR
        c.testTasks = 40
        c.evaluationInterval = 1000
        return RegressionExperiment(problem: .rank1, model: model, taskCount: 300, training: c)
    }

    /// The meta-gradient is summed over groups of tasks in group order, so it is the same on any number of threads,
    /// however the groups are put together into computations (each group on leaves of its own): meta-batches of 32
    /// (groups 16, 16: one computation on 1 thread, one each on 2), 33 (16, 16, 1: a group of one episode runs
    /// the per-episode path beside a task-batched one) and 40 (16, 16, 8), on 1, 2 and 3 threads; MSR-FC and FC,
    /// second order, and MSR-FC first order.
    func testMetaGradientDoesNotDependOnThreads() throws {
        let cases: [(RegressionModel, Bool)] = [(.msrFC, false), (.fc, false), (.msrFC, true)]
        for (model, firstOrder) in cases {
            for (metaBatch, alone) in [(32, [0..<2]), (33, [0..<1, 1..<3]), (40, [0..<1, 1..<3])] {
                if firstOrder && metaBatch != 32 { continue }
                let e = experiment(model, steps: 1, metaBatch: metaBatch, firstOrder: firstOrder)
                let one = try e.trainer(threads: 1)
                let groups = (metaBatch + 15) / 16
                XCTAssertEqual(one.computations(ofGroups: groups), alone)
                let state = one.initialState()
                let (g1, l1) = try one.metaGradient(state.metaParameters, step: 3)
                for threads in [2, 3] {
                    let label = "\(model), first order \(firstOrder), meta-batch \(metaBatch), \(threads) threads"
                    let other = try e.trainer(threads: threads)
                    let (g2, l2) = try other.metaGradient(state.metaParameters, step: 3)
                    XCTAssertEqual(l1, l2, label)
                    XCTAssertEqual(g1.keys, g2.keys)
                    for key in g1.keys { XCTAssertEqual(g1[key].scalars, g2[key].scalars, "\(label), \(key)") }
                }
                if model == .msrFC {
                    XCTAssertEqual(g1.keys, ["filterParameters", "innerLearningRate.filterParameters", "symmetryMatrix"])
                }
            }
        }
        // A large meta-batch on one thread: runs of at most two groups.
        let big = try experiment(.msrFC, steps: 1, metaBatch: 80).trainer(threads: 1)
        XCTAssertEqual(big.computations(ofGroups: 5), [0..<1, 1..<3, 3..<5])
    }

    /// Saving after 3 steps, reading back and training 3 more gives exactly the uninterrupted run.
    func testCheckpointResumeMatchesUninterruptedRun() throws {
        let e = experiment(.msrFC, steps: 6)
        let trainer = try e.trainer(threads: 2)
        var straight = trainer.initialState()
        _ = try trainer.train(&straight)

        var first = trainer.initialState()
        for _ in 0..<3 { try trainer.step(&first) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msr-ckpt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint(experiment: e, state: first).write(to: dir)
        let loaded = try Checkpoint<RegressionExperiment>(contentsOf: dir)
        XCTAssertEqual(loaded.experiment, e)
        XCTAssertEqual(loaded.state.step, 3)
        var resumed = loaded.state
        _ = try trainer.train(&resumed)

        XCTAssertEqual(resumed.step, 6)
        XCTAssertEqual(resumed.optimizer.step, straight.optimizer.step)
        for key in straight.metaParameters.keys {
            XCTAssertEqual(resumed.metaParameters[key].scalars, straight.metaParameters[key].scalars, key)
            XCTAssertEqual(resumed.optimizer.secondMoment[key].scalars, straight.optimizer.secondMoment[key].scalars, key)
        }
    }

    /// A checkpoint records which kind of run it holds; one written before the field existed (no `kind`) is
    /// recognised from its experiment, and loading it as the other kind is an error naming both.
    func testCheckpointRecordsItsKindAndOldCheckpointsStillLoad() throws {
        let e = experiment(.msrFC, steps: 1)
        let trainer = try e.trainer(threads: 1)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msr-kind-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Checkpoint(experiment: e, state: trainer.initialState()).write(to: dir)
        let url = Checkpoint<RegressionExperiment>.file(in: dir)
        var file = try SafeTensors(contentsOf: url)
        XCTAssertEqual(file.metadata["kind"], "regression")
        XCTAssertEqual(try checkpointKind(in: dir), .regression)
        XCTAssertThrowsError(try Checkpoint<FewShotExperiment>(contentsOf: dir)) { error in
            XCTAssertEqual(error as? CheckpointError, .wrongKind(url.path, found: "regression", expected: "few-shot"))
        }
        file.metadata["kind"] = nil
        try SafeTensors(tensors: file.tensors, metadata: file.metadata).write(to: url)
        XCTAssertEqual(try checkpointKind(in: dir), .regression)
        XCTAssertEqual(try Checkpoint<RegressionExperiment>(contentsOf: dir).experiment, e)
    }

    /// The divergence guard: a step whose loss, gradient or update is non-finite throws `diverged` naming the
    /// step and leaves the state exactly as it was (so nothing non-finite can be saved).
    func testADivergingStepThrowsAndKeepsTheLastFiniteState() throws {
        // Three ordinary steps, then an outer rate of 1e30: Adam moves every parameter by about 1e30 (still
        // finite in Float), and the next query loss overflows.
        let trainer = try experiment(.msrFC, steps: 50).trainer(threads: 2)
        let wild = try experiment(.msrFC, steps: 50, outerLR: 1e30).trainer(threads: 2)
        var state = trainer.initialState()
        for _ in 0..<3 { try trainer.step(&state) }
        var before = state
        var thrown: Error?
        for _ in 0..<10 {
            before = state
            do { try wild.step(&state) } catch { thrown = error; break }
        }
        guard case .diverged(let step, let what)? = thrown as? TrainingError else { return XCTFail("expected diverged, got \(String(describing: thrown))") }
        XCTAssertGreaterThan(step, 4, "the 1e30 step itself is finite")
        XCTAssertEqual(step, before.step + 1)
        XCTAssertTrue(what.contains("non-finite") || what.contains("inf") || what.contains("nan"), what)
        XCTAssertEqual(state.step, before.step)
        XCTAssertEqual(state.optimizer.step, before.optimizer.step)
        for key in before.metaParameters.keys {
            XCTAssertTrue(state.metaParameters[key].isFinite, key)
            XCTAssertEqual(state.metaParameters[key].scalars, before.metaParameters[key].scalars, key)
            XCTAssertEqual(state.optimizer.secondMoment[key].scalars, before.optimizer.secondMoment[key].scalars, key)
        }
    }

    /// Held-out losses of a group of episodes computed as one (MSR-FC's task-batched path) equal the per-episode
    /// ones to Float rounding (relative 1e-5: sums of about 1,300 products per query loss), and the trainer's
    /// evaluation does not depend on the thread count.
    func testTaskBatchedEvaluationEqualsPerEpisode() throws {
        let trainer = try experiment(.msrFC, steps: 1).trainer(threads: 1)
        XCTAssertEqual(trainer.problem.episodesPerComputation, RegressionProblem.tasksPerComputation)
        let p = trainer.initialState().metaParameters
        var g = SplitMix64(seed: 3)
        let episodes = (0..<5).map { trainer.testTasks.episode(at: $0, supportCount: 1, queryCount: 19, using: &g) }
        let batched = trainer.problem.evaluationMetrics(p, episodes)
        for (e, value) in zip(episodes, batched) {
            let single = trainer.problem.evaluationMetrics(p, [e])[0]
            XCTAssertEqual(value, single, accuracy: 1e-5 * max(1, abs(single)))
        }
        let two = try experiment(.msrFC, steps: 1).trainer(threads: 2)
        XCTAssertEqual(try trainer.evaluate(p).mean, try two.evaluate(p).mean)
    }

    /// `shouldStop` ends an evaluation early with `evaluationInterrupted` (Ctrl-C during the final evaluation).
    func testAnEvaluationCanBeInterrupted() throws {
        let trainer = try experiment(.msrFC, steps: 1).trainer(threads: 1)
        let p = trainer.initialState().metaParameters
        XCTAssertThrowsError(try trainer.evaluate(p, stage: .final, shouldStop: { true })) { error in
            XCTAssertEqual(error as? TrainingError, .evaluationInterrupted)
        }
        XCTAssertEqual(try trainer.evaluate(p, stage: .final, shouldStop: { false }).count, 40)
    }

    func testMissingAndMalformedCheckpointsAreErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msr-bad-\(UUID().uuidString)")
        XCTAssertThrowsError(try Checkpoint<RegressionExperiment>(contentsOf: dir)) { error in
            XCTAssertTrue("\(error)".contains("no checkpoint"), "\(error)")
        }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not a safetensors file".utf8).write(to: Checkpoint<RegressionExperiment>.file(in: dir))
        XCTAssertThrowsError(try Checkpoint<RegressionExperiment>(contentsOf: dir))
        // A valid safetensors file that is not a checkpoint.
        try SafeTensors(tensors: ["w": Tensor(1)]).write(to: Checkpoint<RegressionExperiment>.file(in: dir))
        XCTAssertThrowsError(try Checkpoint<RegressionExperiment>(contentsOf: dir)) { error in
            XCTAssertTrue("\(error)".contains("msr-checkpoint-1"), "\(error)")
        }
    }

    /// A short meta-training run on rank1: MSR-FC learns the convolutional sharing pattern and its
    /// held-out MSE falls well below MAML-FC's (which cannot share across positions), and its U becomes
    /// convolution-like (small Toeplitz distance) while MAML-FC's weights do not.
    func testShortRunMSRBeatsFullyConnected() throws {
        var results: [RegressionModel: (MeanWithInterval, SymmetryInspection)] = [:]
        for model in [RegressionModel.msrFC, .fc] {
            let trainer = try experiment(model, steps: 200).trainer(threads: 2)
            var state = trainer.initialState()
            let before = try trainer.evaluate(state.metaParameters)
            _ = try trainer.train(&state)
            let after = try trainer.evaluate(state.metaParameters)
            XCTAssertLessThan(after.mean, before.mean, "\(model) did not improve")
            results[model] = (after, SymmetryInspection.inspect(trainer, state.metaParameters, samples: 10, tasks: 10)!)
        }
        let (msr, msrStructure) = results[.msrFC]!, (fc, fcStructure) = results[.fc]!
        XCTAssertLessThan(msr.mean + msr.halfWidth95, 0.3 * (fc.mean - fc.halfWidth95), "MSR-FC \(msr) vs MAML-FC \(fc)")
        XCTAssertLessThan(msrStructure.measures["translation"]!.randomV!, 0.3)
        XCTAssertGreaterThan(fcStructure.measures["translation"]!.adapted, 0.8)
    }

    func testTooManyExamplesPerEpisodeIsAnError() throws {
        var e = experiment(.fc, steps: 1)
        e.training.supportCount = 15
        e.training.queryCount = 10
        XCTAssertThrowsError(try e.trainer(threads: 1)) { error in
            XCTAssertEqual(error as? ExperimentError, .episodeTooLarge(support: 15, query: 10, examples: 20))
            XCTAssertTrue("\(error)".contains("exceed the 20 examples"))
        }
    }

    /// --init-symmetry translation starts MSR-FC's U at the convolution patterns: W = reshape(U·v) is then a
    /// convolution for every v whose extra components are zero; other models refuse the prior.
    func testTranslationPrior() throws {
        var e = experiment(.msrFC, steps: 1)
        e.initialSymmetry = "translation"
        let trainer = try e.trainer(threads: 1)
        let state = try e.initialState(trainer)
        let u = state.metaParameters["symmetryMatrix"]
        XCTAssertEqual(u.shape, [68 * 70, 3])
        let inspection = SymmetryInspection.inspect(trainer, state.metaParameters, samples: 5, tasks: 3)!
        XCTAssertLessThan(inspection.measures["translation"]!.randomV!, 1e-6)
        var fc = experiment(.fc, steps: 1)
        fc.initialSymmetry = "translation"
        XCTAssertThrowsError(try fc.initialState(try fc.trainer(threads: 1))) { error in
            XCTAssertEqual(error as? ExperimentError, .unsupportedPrior(prior: "translation", model: "fc"))
        }
    }
}

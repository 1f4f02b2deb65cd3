import ArgumentParser
import Datasets
import Distributed
import Foundation
import MetaLearning
import Tensors

extension MSR {
    /// `msr eval`: evaluate a saved model on held-out tasks.
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a checkpoint on held-out tasks (symmetry matrices frozen, inner loop on each support set).")

        @Option(help: "A directory written by `msr train --checkpoint`.")
        var checkpoint: String

        @Option(name: .customLong("test-tasks"), help: "Held-out tasks, or meta-test episodes of a few-shot run (default: the run's own setting).")
        var testTasks: Int?

        @Option(help: "Threads (default: all cores).")
        var threads: Int = availableProcessorCount

        @Option(help: "Spread the held-out tasks over the ranks of an MPI job: mpi (start with mpirun -np P msr eval …; needs Open MPI).")
        var distributed: DistributedBackend?

        func validate() throws {
            if let testTasks, testTasks < 1 { throw ValidationError("--test-tasks must be at least 1, got \(testTasks).") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads).") }
        }

        func run() throws {
            try runOnRanks(distributed) { try run(communicator: $0) }
        }

        func run(communicator: any GradientCommunicator) throws {
            let directory = URL(fileURLWithPath: checkpoint)
            let saved: Checkpoint<RegressionExperiment>
            do {
                saved = try Checkpoint<RegressionExperiment>(contentsOf: directory)
            } catch CheckpointError.malformed(let path, let why) {
                // A few-shot run's checkpoint holds a FewShotExperiment instead.
                guard let fewShot = try? Checkpoint<FewShotExperiment>(contentsOf: directory) else {
                    throw CheckpointError.malformed(path, why)
                }
                return try evaluate(fewShot, communicator: communicator)
            }
            var experiment = saved.experiment
            if let testTasks { experiment.training.testTasks = testTasks }
            let trainer = try experiment.trainer(threads: threads, communicator: communicator)
            let result = trainer.evaluate(saved.state.metaParameters)
            print("\(experiment.problem) \(experiment.model.rawValue) after \(saved.state.step) steps: "
                  + "test mse \(formatLoss(result)) on \(result.count) held-out tasks")
            if let symmetry = SymmetryInspection.inspect(trainer, saved.state.metaParameters) { print(describe(symmetry)) }
        }

        /// A few-shot checkpoint: accuracy on meta-test episodes (`--test-tasks` of them, default the run's
        /// 600) and, on Omniglot, on Lake et al.'s 20 one-shot runs.
        func evaluate(_ saved: Checkpoint<FewShotExperiment>, communicator: any GradientCommunicator) throws {
            var experiment = saved.experiment
            if let testTasks { experiment.training.testEpisodes = testTasks }
            let trainer = try experiment.trainer(threads: threads, communicator: communicator)
            let result = try trainer.evaluate(saved.state.metaParameters)
            print("\(experiment.title) after \(saved.state.step) steps: meta-test accuracy \(formatAccuracy(result)) on \(result.count) episodes")
            if experiment.dataset == .omniglot && experiment.training.imageSize == 28 {
                let runs = trainer.evaluate(saved.state.metaParameters, oneShotRuns: try OmniglotOneShotRuns.builtIn())
                print("Lake et al.'s 20 one-shot runs (20-way 1-shot): \(formatAccuracy(runs.accuracy)) (humans: \(String(format: "%.1f%%", 100 * runs.humanAccuracy)))")
            }
        }
    }
}

import ArgumentParser
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

        @Option(name: .customLong("test-tasks"), help: "Held-out tasks (default: the run's own setting).")
        var testTasks: Int?

        @Option(help: "Threads (default: all cores).")
        var threads: Int = availableProcessorCount

        func validate() throws {
            if let testTasks, testTasks < 1 { throw ValidationError("--test-tasks must be at least 1, got \(testTasks).") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads).") }
        }

        func run() throws {
            let saved = try Checkpoint<RegressionExperiment>(contentsOf: URL(fileURLWithPath: checkpoint))
            var experiment = saved.experiment
            if let testTasks { experiment.training.testTasks = testTasks }
            let trainer = try experiment.trainer(threads: threads)
            let result = trainer.evaluate(saved.state.metaParameters)
            print("\(experiment.problem) \(experiment.model.rawValue) after \(saved.state.step) steps: "
                  + "test mse \(formatLoss(result)) on \(result.count) held-out tasks")
            if let symmetry = SymmetryInspection.inspect(trainer, saved.state.metaParameters) { print(describe(symmetry)) }
        }
    }
}

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

        @Option(name: .customLong("test-tasks"), parsing: .unconditional, help: "Held-out tasks, or meta-test episodes of a few-shot run (default: the run's own setting).")
        var testTasks: Int?

        @Option(parsing: .unconditional, help: "Threads (default: all cores).")
        var threads: Int = availableProcessorCount

        @Flag(help: "Print the result as JSON on standard output (title, step, metric, mean, halfWidth95, episodes, figures).")
        var json = false

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
            switch try checkpointKind(in: directory) {
            case .regression:
                try evaluateCheckpoint(try Checkpoint<RegressionExperiment>(contentsOf: directory), testEpisodes: testTasks,
                                       threads: threads, communicator: communicator, json: json)
            case .fewShot:
                try evaluateCheckpoint(try Checkpoint<FewShotExperiment>(contentsOf: directory), testEpisodes: testTasks,
                                       threads: threads, communicator: communicator, json: json)
            }
        }
    }
}

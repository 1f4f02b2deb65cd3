import ArgumentParser
import MetaLearning
import Tensors

extension MSR {
    /// `msr bench`: speed and memory benchmarks. Run them from a release build.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks (build with -c release).",
            subcommands: [Engine.self, Train.self])

        struct Engine: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Tensor engine: matmul GFLOP/s, conv2d, meta-gradients per second, op overhead, memory.")

            @Flag(help: "Fewer samples and repetitions (for a smoke test).")
            var quick = false

            func run() throws { EngineBenchmark.run(quick: quick) }
        }

        struct Train: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Meta-training: outer steps per second on one thread and on all cores, against the reference code.")

            @Option(help: "Task family.")
            var problem: SyntheticProblem = .rank1

            @Option(parsing: .upToNextOption, help: "Models (default: every model of the family).")
            var models: [RegressionModel] = []

            @Option(help: "Outer steps per sample.")
            var steps = 300

            @Option(help: "Samples (the median is reported).")
            var repeats = 3

            @Option(parsing: .upToNextOption, help: "Thread counts to measure (default: 1 and all cores).")
            var threads: [Int] = []

            func run() throws {
                let counts = threads.isEmpty ? Array(Set([1, availableProcessorCount])).sorted() : threads
                try TrainingBenchmark.run(problem: problem, models: models.isEmpty ? problem.models : models, steps: steps,
                                          repeats: repeats, threadCounts: counts)
            }
        }
    }
}

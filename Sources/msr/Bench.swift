import ArgumentParser
import MetaLearning
import Tensors

extension MSR {
    /// `msr bench`: speed and memory benchmarks. Run them from a release build.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks (build with -c release).",
            subcommands: [Engine.self, Train.self, FewShot.self])

        struct Engine: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Tensor engine: matmul GFLOP/s, conv2d, meta-gradients per second, op overhead, memory.")

            @Flag(help: "Fewer samples and repetitions (for a smoke test).")
            var quick = false

            @Option(parsing: .upToNextOption, help: "Sections to run (default: all).")
            var sections: [EngineBenchmark.Section] = EngineBenchmark.Section.allCases

            func run() throws { EngineBenchmark.run(quick: quick, sections: Set(sections)) }
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

        struct FewShot: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "fewshot",
                abstract: "Few-shot meta-training: tasks per second on 5-way 1-shot Aug Omniglot, against the PyTorch figures.")

            @Option(parsing: .upToNextOption, help: "Methods (default: all).")
            var methods: [FewShotBenchmarkMethod] = []

            @Option(help: "Threads (the tasks of a meta-batch run in parallel).")
            var threads = 2

            @Option(help: "Outer steps per timed sample (ProtoNets, one episode per step, runs 8 times as many).")
            var steps = 10

            @Option(help: "Warm-up outer steps before timing (ProtoNets: 8 times as many).")
            var warmup = 2

            @Option(help: "Timed samples (the median is reported).")
            var repeats = 3

            @Option(help: "Channels of each Conv4 block (the protocol: 64).")
            var width = 64

            @Option(help: "Query images per class (the protocol: 15).")
            var queries = 15

            @Flag(name: .customLong("no-time-split"), help: "Skip the profiled sample that splits each step's CPU time by kind of kernel.")
            var noTimeSplit = false

            func validate() throws {
                guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
                guard steps >= 1, repeats >= 1, warmup >= 0 else {
                    throw ValidationError("--steps and --repeats must be at least 1, --warmup at least 0")
                }
                guard width >= 1, queries >= 1 else { throw ValidationError("--width and --queries must be at least 1") }
            }

            func run() throws {
                try FewShotBenchmark.run(.init(
                    methods: methods.isEmpty ? FewShotBenchmarkMethod.allCases : methods, threads: threads, steps: steps,
                    warmupSteps: warmup, repeats: repeats, width: width, queries: queries,
                    matmulSamples: steps * repeats <= 3 ? 3 : 7, timeSplit: !noTimeSplit))
            }
        }
    }
}

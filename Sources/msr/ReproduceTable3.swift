import ArgumentParser
import Datasets
import Distributed
import Foundation
import MetaLearning
import Tensors

/// A few-shot setting of Table 3: N-way K-shot.
struct FewShotSetting: ExpressibleByArgument, Hashable, CustomStringConvertible {
    var ways: Int
    var shots: Int

    /// `5w1s`, `20w5s`, ...
    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "w")
        guard parts.count == 2, parts[1].hasSuffix("s"), let n = Int(parts[0]), let k = Int(parts[1].dropLast()), n >= 1, k >= 1 else {
            return nil
        }
        ways = n
        shots = k
    }

    init(ways: Int, shots: Int) { self.ways = ways; self.shots = shots }

    var description: String { "\(ways)w\(shots)s" }
    var title: String { "\(ways)-way \(shots)-shot" }
}

extension MSR.Reproduce {
    /// Table 3: few-shot classification with augmentation meta-training (MAML, ANIL, ProtoNets, MSR).
    struct Table3: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "table3",
            abstract: "Few-shot classification (Aug-Omniglot; Aug-MiniImagenet with --mini-imagenet): every method × setting beside the paper's Table 3.",
            discussion: """
            The small budget (default) is the few-shot protocol's: 5,600 meta-training tasks per cell, on the built-in Omniglot
            subset. The paper's budget (--budget paper: 60,000 steps × 32 tasks) needs the full Omniglot (--omniglot
            images_background.zip --omniglot images_evaluation.zip --omniglot-split background-evaluation) and days on a CPU;
            combine it with --distributed mpi on several machines.
            """)

        @Option(parsing: .upToNextOption, help: "Methods, in table order.")
        var methods: [FewShotMethod] = [.maml, .anil, .protonets, .msr]

        @Option(parsing: .upToNextOption, help: "Settings NwKs (5w1s, 5w5s, 20w1s, 20w5s).")
        var settings: [FewShotSetting] = [FewShotSetting(ways: 5, shots: 1), FewShotSetting(ways: 5, shots: 5), FewShotSetting(ways: 20, shots: 1)]

        @Option(help: "Budget: small (the protocol's 5,600 tasks per cell) or paper.")
        var budget: FewShotBudget = .small

        @Option(parsing: .unconditional, help: "Outer steps per cell instead of the budget's (the meta-batch stays the budget's).")
        var steps: Int?

        @Flag(name: .customLong("augment-queries"), inversion: .prefixedNo, help: "Augment query images (Table 3's setting); --no-augment-queries for the runs without.")
        var augmentQueries = true

        @Option(parsing: .unconditional, help: "Channels of each Conv4 block (default 64 for Omniglot, 32 for mini-ImageNet).")
        var width: Int?

        @Flag(name: .customLong("first-order"), help: "First-order MAML, ANIL and MSR.")
        var firstOrder = false

        @Option(name: .customLong("omniglot"), help: "Omniglot zips or folders (default: the built-in subset).")
        var omniglot: [String] = []

        @Option(name: .customLong("omniglot-split"), help: "protocol or background-evaluation.")
        var omniglotSplit: FewShotExperiment.OmniglotSplit = .protocol

        @Option(name: .customLong("mini-imagenet"), help: "mini-ImageNet root: adds the Aug-MiniImagenet columns (5-way 1- and 5-shot).")
        var miniImageNet: String?

        @Option(name: .customLong("test-episodes"), help: "Meta-test episodes per cell.")
        var testEpisodes = 600

        @Option(parsing: .unconditional, help: "Seed of every run.")
        var seed: UInt64 = 0

        @Option(parsing: .unconditional, help: "Threads (default: all cores).")
        var threads: Int = availableProcessorCount

        @Option(help: "Write every cell's figures to this JSON file (rewritten after each cell).")
        var report: String?

        @Option(help: "Spread each meta-batch's episodes over the ranks of an MPI job: mpi (start with mpirun -np P msr reproduce table3 …; needs Open MPI).")
        var distributed: DistributedBackend?

        func validate() throws {
            guard !methods.isEmpty, !settings.isEmpty else { throw ValidationError("--methods and --settings must not be empty.") }
            if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps).") }
            guard testEpisodes >= 1, threads >= 1, (width ?? 1) >= 1 else { throw ValidationError("--test-episodes, --threads and --width must be at least 1.") }
        }

        func experiment(_ method: FewShotMethod, _ setting: FewShotSetting, dataset: FewShotExperiment.Dataset) -> FewShotExperiment {
            var c = FewShotConfiguration(method: method, ways: setting.ways, shots: setting.shots)
            budget.apply(to: &c)
            if let steps { c.steps = steps }
            if dataset == .miniImageNet { c.imageChannels = 3; c.imageSize = 84; c.width = 32 }
            if let width { c.width = width }
            c.firstOrder = firstOrder
            c.testEpisodes = testEpisodes
            c.evaluationInterval = c.steps
            c.seed = seed
            return FewShotExperiment(dataset: dataset, sources: dataset == .omniglot ? omniglot : [miniImageNet!],
                                     omniglotSplit: omniglotSplit, queryAugmentation: augmentQueries ? .protocolDefault : .none,
                                     training: c)
        }

        func run() throws {
            try runOnRanks(distributed) { try run(communicator: $0) }
        }

        func run(communicator: any GradientCommunicator) throws {
            let start = Date()
            var columns: [(FewShotExperiment.Dataset, FewShotSetting)] = settings.map { (.omniglot, $0) }
            if miniImageNet != nil {
                columns += [FewShotSetting(ways: 5, shots: 1), FewShotSetting(ways: 5, shots: 5)].map { (.miniImageNet, $0) }
            }
            let prefix = augmentQueries ? "Aug-" : ""
            print("Table 3: meta-test accuracy (%) on \(testEpisodes) episodes per cell, budget \(budget.rawValue)"
                  + (steps.map { " with \($0) steps per cell" } ?? "") + ", \(firstOrder ? "first" : "second") order, "
                  + "queries \(augmentQueries ? "augmented" : "not augmented"), seed \(seed), \(threads) threads\n")
            var cells: [String: String] = [:]
            var entries: [Table3Entry] = []
            for method in methods {
                for (dataset, setting) in columns {
                    let experiment = experiment(method, setting, dataset: dataset)
                    // A cell trains quietly for minutes: say what is running (stdout is block-buffered in a pipe).
                    print("training \(experiment.title) on \(experiment.training.trainingTasks) tasks …")
                    fflush(stdout)
                    let outcome = try runTraining(experiment, threads: threads, report: nil, checkpoint: nil, quiet: true,
                                                           communicator: communicator)
                    let accuracy = outcome.final!, oneShotRuns = outcome.figures.oneShotRuns
                    let reference = Table3Reference.figure(method, dataset, setting)
                    let key = "\(method.rawValue) \(dataset.rawValue) \(setting)"
                    cells[key] = formatAccuracy(accuracy) + (augmentQueries ? "  [\(reference ?? "—")]" : "")
                    print("\(experiment.title): \(formatAccuracy(accuracy))"
                          + (augmentQueries ? "   paper \(reference ?? "—")" : "")
                          + (oneShotRuns.map { "   one-shot runs \(formatAccuracy($0.accuracy))" } ?? "")
                          + "   (\(experiment.training.trainingTasks) tasks, \(String(format: "%.1f", outcome.history.tasksPerSecond)) tasks/s, "
                          + "\(String(format: "%.0f", outcome.history.wallSeconds)) s)")
                    fflush(stdout)
                    entries.append(Table3Entry(method: method.rawValue, dataset: dataset.rawValue, ways: setting.ways, shots: setting.shots,
                                               augment_queries: augmentQueries, test_accuracy: accuracy.mean,
                                               test_accuracy_ci95: accuracy.halfWidth95, paper: reference,
                                               one_shot_runs_accuracy: oneShotRuns?.accuracy.mean,
                                               training_tasks: experiment.training.trainingTasks,
                                               tasks_per_second: outcome.history.tasksPerSecond, wall_seconds: outcome.history.wallSeconds))
                    if let report, communicator.isLead {
                        try Table3Report(budget: budget.rawValue, threads: threads, ranks: communicator.size, wall_seconds: Date().timeIntervalSince(start), runs: entries).write(to: report)
                    }
                }
            }
            var table = TextTable(header: ["method"] + columns.map { "\(prefix)\($0.0 == .omniglot ? "Omniglot" : "MiniImagenet") \($0.1.title)" })
            for method in methods {
                table.add([method.rawValue] + columns.map { cells["\(method.rawValue) \($0.0.rawValue) \($0.1)"] ?? "" })
            }
            print("\n" + table.rendered)
            print("ours: mean ± half-width of the 95% t-interval"
                  + (augmentQueries ? "; [the paper's Table 3, at its budget of about 60,000 steps × 32 tasks on the full data]" : "")
                  + ". Whole table: \(String(format: "%.0f", Date().timeIntervalSince(start))) s.")
        }
    }
}

/// The paper's Table 3 (`../shared/paper/README.md`): accuracy (%) ± 95% interval, with augmentation.
enum Table3Reference {
    static func figure(_ method: FewShotMethod, _ dataset: FewShotExperiment.Dataset, _ setting: FewShotSetting) -> String? {
        let columns = ["omniglot 5w1s", "omniglot 5w5s", "omniglot 20w1s", "omniglot 20w5s", "mini-imagenet 5w1s", "mini-imagenet 5w5s"]
        let rows: [FewShotMethod: [String]] = [
            .maml: ["87.3 ± 0.5", "93.6 ± 0.3", "67.0 ± 0.4", "79.9 ± 0.3", "42.5 ± 1.1", "61.5 ± 1.0"],
            .anil: ["86.4 ± 0.5", "93.2 ± 0.3", "67.5 ± 3.5", "79.8 ± 0.3", "43.0 ± 1.1", "62.3 ± 1.0"],
            .protonets: ["92.9 ± 0.4", "97.4 ± 0.2", "85.1 ± 0.3", "94.3 ± 0.2", "34.6 ± 0.5", "54.5 ± 0.6"],
            .msr: ["95.3 ± 0.3", "97.7 ± 0.2", "84.3 ± 0.2", "92.6 ± 0.2", "45.5 ± 1.1", "65.2 ± 1.0"],
        ]
        guard let i = columns.firstIndex(of: "\(dataset.rawValue) \(setting)") else { return nil }
        return rows[method]?[i]
    }
}

struct Table3Entry: Encodable {
    var method: String, dataset: String, ways: Int, shots: Int, augment_queries: Bool
    var test_accuracy: Double, test_accuracy_ci95: Double
    var paper: String?
    var one_shot_runs_accuracy: Double?
    var training_tasks: Int, tasks_per_second: Double, wall_seconds: Double
}

struct Table3Report: JSONReport {
    var budget: String, threads: Int, ranks: Int, wall_seconds: Double
    var runs: [Table3Entry]
}

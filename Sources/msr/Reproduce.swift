import ArgumentParser
import Datasets
import Distributed
import Foundation
import MetaLearning
import NeuralNets
import Tensors

extension MSR {
    /// `msr reproduce`: the paper's tables, beside the reference code's figures.
    struct Reproduce: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reproduce a table of the paper beside the reference code's measured figures.",
            subcommands: [Table1.self, Table2.self, Table3.self])

        /// Table 1: 1-D translation tasks of rank 1, 2, 5; MAML-FC, MAML-LC, MAML-Conv and MSR-FC.
        struct Table1: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "table1",
                abstract: "All 12 (problem, model) pairs of the 1-D synthetic experiment, with test MSE ± 95% interval.")

            @OptionGroup var options: MetaLearningOptions

            @Option(help: "Tasks per generated family.")
            var tasks = SyntheticTranslationTasks.defaultTaskCount

            @Option(name: .customLong("data-seed"), parsing: .unconditional, help: "Seed of the generated families.")
            var dataSeed: UInt64 = 0

            @Option(name: .customLong("data-dir"), help: "Read rank1.npz, rank2.npz, rank5.npz from this directory (the reference code's ./data layout) instead of generating the families.")
            var dataDirectory: String?

            @Option(help: "Write every run's figures to this JSON file.")
            var report: String?

            func run() throws {
                try runOnRanks(options.distributed) { try run(communicator: $0) }
            }

            func run(communicator: any GradientCommunicator) throws {
                let start = Date()
                let configuration = options.configuration
                print((dataDirectory.map { "families read from \($0)\n" } ?? "families generated with data seed \(dataSeed)\n")
                      + "Table 1: test MSE on \(configuration.testTasks) held-out tasks after \(configuration.steps) outer steps "
                      + "(meta-batch \(configuration.metaBatchSize), \(configuration.firstOrder ? "first" : "second") order), "
                      + "\(options.threads) threads\n")
                var rows: [[String]] = []
                var entries: [TableEntry] = []
                for problem in SyntheticProblem.allCases where problem.translation != nil {
                    let family = try dataDirectory.map {
                        try ArrayTaskFamily.syntheticTranslation(contentsOf: URL(fileURLWithPath: $0).appendingPathComponent("\(problem).npz"))
                    } ?? SyntheticTranslationTasks(problem: problem.translation!, count: tasks, seed: dataSeed).materialized()
                    let (train, test) = family.trainTest(fraction: 0.8)
                    var row = [problem.rawValue]
                    for model in problem.models {
                        let experiment = RegressionExperiment(problem: problem, model: model, taskCount: family.count, dataSeed: dataSeed,
                                                              dataFile: dataDirectory.map { "\($0)/\(problem).npz" },
                                                              training: configuration)
                        let trainer = MetaTrainer(model: try experiment.layer(), configuration: configuration, trainTasks: train,
                                                  testTasks: test, threads: options.threads, communicator: communicator)
                        let (result, entry) = try runTableCell(trainer, problem: problem, model: model,
                                                           reference: Table1Reference.figure(problem, model))
                        row.append("\(formatLoss(result))  [\(entry.reference)]")
                        entries.append(entry)
                    }
                    rows.append(row)
                }
                var table = TextTable(header: ["problem"] + SyntheticProblem.rank1.models.map { m in
                    m == .msrFC ? "MSR-FC" : "MAML-" + m.rawValue.uppercased().replacingOccurrences(of: "CONV", with: "Conv")
                })
                rows.forEach { table.add($0) }
                let wall = Date().timeIntervalSince(start)
                print("\n" + table.rendered)
                print("ours: mean ± half-width of the 95% Student-t interval; [the reference code at its budget of 1000 steps, "
                      + "from the paper's README]. Whole table: \(String(format: "%.1f", wall)) s.")
                if let report, communicator.isLead {
                    try TableReport(steps: configuration.steps, threads: options.threads, ranks: communicator.size, wall_seconds: wall,
                                    runs: entries).write(to: report)
                }
            }
        }
    }
}

extension MSR.Reproduce {
    /// Table 2: 2-D rotation (C8), rotation + flip (D8) and scale equivariant tasks; MAML-Conv and MSR-Conv.
    struct Table2: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "table2",
            abstract: "The 2-D families (rotation, rotation + flip, scale) × MAML-Conv and MSR-Conv (and optionally msr-conv-full), with test MSE ± 95% interval.")

        @OptionGroup var options: MetaLearningOptions

        @Option(parsing: .upToNextOption, help: "The 2-D families to train, in this order (2d_scale is ours: the reference code has no generator for the paper's scale column).")
        var problems: [SyntheticProblem] = SyntheticProblem.allCases.filter(\.isTwoDimensional)

        @Option(parsing: .upToNextOption, help: "Tasks per family, in the order of --problems (default: 10000, 2000 for 2d_rot8_flip).")
        var tasks: [Int] = []

        @Option(name: .customLong("data-seed"), parsing: .unconditional, help: "Seed of the generated families.")
        var dataSeed: UInt64 = 0

        @Option(help: "Write every run's figures to this JSON file.")
        var report: String?

        @Flag(name: .customLong("include-full"), help: "Also train msr-conv-full (one dense U over the filter bank, K = D·9/4; about as fast as MAML-Conv).")
        var includeFull = false

        @Option(name: .customLong("kronecker-terms"), parsing: .upToNextOption, help: "MSR-Conv columns, one per r: U = Σ of r Kronecker products (default 1, the paper's MSR-Conv; e.g. 1 2 4 8 for the r-sweep).")
        var kroneckerTerms: [Int] = [1]

        func validate() throws {
            if kroneckerTerms.isEmpty { throw ValidationError("--kronecker-terms needs at least one r.") }
            if let bad = kroneckerTerms.first(where: { !(1...SymmetricConv2d.maximumTerms).contains($0) }) {
                throw ValidationError("--kronecker-terms must be from 1 to \(SymmetricConv2d.maximumTerms), got \(bad).")
            }
            let other = problems.filter { !$0.isTwoDimensional }.map(\.rawValue)
            if !other.isEmpty {
                throw ValidationError("--problems takes the 2-D families (\(SyntheticProblem.allCases.filter(\.isTwoDimensional).map(\.rawValue).joined(separator: ", "))), not \(other.joined(separator: ", ")).")
            }
            if problems.isEmpty { throw ValidationError("--problems needs at least one 2-D family.") }
        }

        func run() throws {
            try runOnRanks(options.distributed) { try run(communicator: $0) }
        }

        func run(communicator: any GradientCommunicator) throws {
            let start = Date()
            let configuration = options.configuration
            print("Table 2: test MSE on \(configuration.testTasks) held-out tasks after \(configuration.steps) outer steps "
                  + "(meta-batch \(configuration.metaBatchSize), \(configuration.firstOrder ? "first" : "second") order), "
                  + "\(options.threads) threads; tasks generated on demand with data seed \(dataSeed)\n")
            // The cells of a row: MAML-Conv, MSR-Conv for each r, and the full U.
            let sweep = kroneckerTerms != [1]
            let cells: [(model: RegressionModel, terms: Int?)] = [(.conv, nil)] + kroneckerTerms.map { (.msrConv, $0) }
                + (includeFull ? [(.msrConvFull, nil)] : [])
            var table = TextTable(header: ["problem", "MAML-Conv"] + kroneckerTerms.map { sweep ? "MSR-Conv r = \($0)" : "MSR-Conv" }
                                  + (includeFull ? ["MSR-Conv (full U)"] : []) + ["ratio"])
            var entries: [TableEntry] = []
            for (i, problem) in problems.enumerated() {
                var row = [problem.rawValue]
                var means: [Double] = []
                for (model, terms) in cells {
                    var experiment = RegressionExperiment(problem: problem, model: model, taskCount: i < tasks.count ? tasks[i] : nil,
                                                          dataSeed: dataSeed, training: configuration)
                    experiment.kroneckerTerms = terms == 1 ? nil : terms
                    let trainer = try experiment.trainer(threads: options.threads, communicator: communicator)
                    var (result, entry) = try runTableCell(trainer, problem: problem, model: model,
                                                           label: sweep && terms != nil ? "\(model.rawValue) (r = \(terms!))" : model.rawValue,
                                                           reference: terms ?? 1 == 1 ? Table2Reference.figure(problem, model) : "—")
                    entry.kronecker_terms = terms
                    means.append(result.mean)
                    row.append(String(format: "%.4f ± %.4f", result.mean, result.halfWidth95) + "  [\(entry.reference)]")
                    entries.append(entry)
                }
                row.append(means.dropFirst().map { String(format: "%.0f×", means[0] / $0) }.joined(separator: " / "))
                table.add(row)
            }
            let wall = Date().timeIntervalSince(start)
            print("\n" + table.rendered)
            print("MAML-Conv MSE / MSR-Conv MSE\(includeFull ? " (/ full U)" : "") in the last column; [the reference code at 1000 steps on 1,500 tasks made with "
                  + "e2cnn, from the paper's README; 2d_scale is our family, with no reference run]. Whole table: \(String(format: "%.1f", wall)) s.")
            if let report, communicator.isLead {
                try TableReport(steps: configuration.steps, threads: options.threads, ranks: communicator.size, wall_seconds: wall,
                                runs: entries).write(to: report)
            }
        }
    }
}

/// The reference code's Table 2 figures (1000 steps, `../shared/paper/README.md`).
enum Table2Reference {
    static func figure(_ problem: SyntheticProblem, _ model: RegressionModel) -> String {
        switch (problem, model) {
        case (.rotation8, .conv): return "0.524 ± 0.023"
        case (.rotation8, .msrConv): return "0.0056 ± 0.0004"
        case (.rotation8Flip, .conv): return "0.491 ± 0.021"
        case (.rotation8Flip, .msrConv): return "0.0049 ± 0.0004"
        default: return "—"
        }
    }
}

/// One (problem, model) cell of a reproduced table.
struct TableEntry: Encodable {
    var problem: String, model: String
    /// MSR-Conv's r (Table 2's --kronecker-terms); nil for the other models.
    var kronecker_terms: Int? = nil
    var test_mse: Double, test_mse_ci95: Double
    var reference: String
    var steps_per_second: Double, wall_seconds: Double, training_tasks: Int
}

struct TableReport: JSONReport {
    var steps: Int, threads: Int, ranks: Int, wall_seconds: Double
    var runs: [TableEntry]
}

/// Meta-trains one cell of a table from scratch with a progress bar, prints its line, and returns the final
/// evaluation and the cell's record.
func runTableCell(_ trainer: MetaTrainer, problem: SyntheticProblem, model: RegressionModel, label: String? = nil,
                  reference: String) throws -> (MeanWithInterval, TableEntry) {
    let label = label ?? model.rawValue
    let progress = ProgressDisplay(total: trainer.configuration.steps, label: "\(problem) \(label) ")
    var state = trainer.initialState()
    let history = try trainer.train(&state, onStep: { s, metrics in progress.step(s.step, loss: metrics[0]) })
    progress.clear()
    let result = history.evaluations.last!.test
    print("\(problem) \(label): \(formatLoss(result))   reference \(reference)   "
          + "(\(String(format: "%.1f", history.stepsPerSecond)) steps/s, \(trainer.trainTasks.count) training tasks)")
    fflush(stdout)
    return (result, TableEntry(problem: problem.rawValue, model: model.rawValue, test_mse: result.mean, test_mse_ci95: result.halfWidth95,
                               reference: reference, steps_per_second: history.stepsPerSecond, wall_seconds: history.wallSeconds,
                               training_tasks: trainer.trainTasks.count))
}

/// The reference code's Table 1 figures (1000 steps, `../shared/paper/README.md`): test MSE ± 95% interval.
enum Table1Reference {
    static func figure(_ problem: SyntheticProblem, _ model: RegressionModel) -> String {
        let table: [SyntheticProblem: [RegressionModel: String]] = [
            .rank1: [.fc: "3.108 ± 0.291", .lc: "2.971 ± 0.277", .conv: "0.193 ± 0.045", .msrFC: "0.208 ± 0.047"],
            .rank2: [.fc: "1.953 ± 0.149", .lc: "1.867 ± 0.143", .conv: "0.535 ± 0.045", .msrFC: "0.531 ± 0.044"],
            .rank5: [.fc: "0.915 ± 0.054", .lc: "0.876 ± 0.052", .conv: "0.431 ± 0.022", .msrFC: "0.333 ± 0.017"],
        ]
        return table[problem]?[model] ?? "—"
    }
}

import Datasets
import Foundation
import MetaLearning
import Tensors

/// The JSON report of a run (`--report FILE.json`): final figures at the top level, then the configuration
/// and every evaluation. Written atomically.
struct TrainingReport: JSONReport {
    struct EvaluationEntry: Encodable {
        var step: Int
        var test_mse: Double
        var test_mse_ci95: Double
        var train_loss: Double
        var elapsed_seconds: Double
    }

    var test_mse: Double
    var test_mse_ci95: Double
    var test_tasks_used: Int
    var steps_per_second: Double
    var training_steps_per_second: Double
    var config: RegressionExperiment
    var symmetry: SymmetryInspection?
    var evaluations: [EvaluationEntry]

    init(experiment: RegressionExperiment, history: TrainingHistory, final: MeanWithInterval, symmetry: SymmetryInspection?) {
        test_mse = final.mean
        test_mse_ci95 = final.halfWidth95
        test_tasks_used = final.count
        steps_per_second = history.stepsPerSecond
        training_steps_per_second = history.trainingStepsPerSecond
        config = experiment
        self.symmetry = symmetry
        evaluations = history.evaluations.map {
            EvaluationEntry(step: $0.step, test_mse: $0.testLoss.mean, test_mse_ci95: $0.testLoss.halfWidth95,
                            train_loss: $0.trainLoss, elapsed_seconds: $0.elapsedSeconds)
        }
    }
}

/// A report written as pretty-printed JSON with sorted keys (non-finite numbers as "inf", "-inf", "nan"),
/// atomically: a temporary file renamed over the old one.
protocol JSONReport: Encodable {}

extension JSONReport {
    /// Writes the report, with `run`'s keys beside its own at the top level when given.
    func write(to path: String, run: RunFacts? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(try encoder.encode(TopLevel(report: self, run: run)), to: URL(fileURLWithPath: path))
    }
}

/// A report and its run facts encoded into one JSON object (two keyed containers on one encoder merge).
private struct TopLevel<Report: Encodable>: Encodable {
    let report: Report
    let run: RunFacts?

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        try run?.encode(to: encoder)
    }
}

/// What every training report says about the run itself, beside its figures: the same keys, at the top
/// level, for regression and few-shot runs.
struct RunFacts: Encodable {
    var wall_seconds: Double
    var steps_completed: Int
    var steps_run: Int
    var resumed_from_step: Int?
    var interrupted: Bool
    var threads: Int
    /// Processes the meta-batch was split over (`--distributed mpi`; 1 otherwise).
    var ranks: Int
    /// Peak resident memory of the process (getrusage), MiB.
    var peak_memory_mib: Double
    /// The matrix-multiply kernels that ran.
    var matmul: String

    init(_ history: some TrainingRecord, stepsCompleted: Int, resumedFrom: Int?, threads: Int, ranks: Int) {
        wall_seconds = history.wallSeconds
        steps_completed = stepsCompleted
        steps_run = history.stepsRun
        resumed_from_step = resumedFrom
        interrupted = history.interrupted
        self.threads = threads
        self.ranks = ranks
        peak_memory_mib = peakResidentMiB()
        matmul = matmulSummary()
    }
}

/// What a training loop's history records about the run, for `RunFacts`: regression and few-shot alike.
protocol TrainingRecord {
    var wallSeconds: Double { get }
    var stepsRun: Int { get }
    var interrupted: Bool { get }
}

extension TrainingHistory: TrainingRecord {}
extension FewShotTrainingHistory: TrainingRecord {}

/// `built-in <kernels>; BLAS <library or none>`: which matrix-multiply code a run or benchmark used.
func matmulSummary() -> String {
    "built-in \(MatmulConfiguration.builtInKernelNames); BLAS \(MatmulConfiguration.blasLibraryName ?? "none")"
}

func formatLoss(_ m: MeanWithInterval) -> String {
    String(format: "%.4f ± %.4f", m.mean, m.halfWidth95)
}

/// Peak resident set size of this process in MiB (getrusage's ru_maxrss, KiB on Linux).
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

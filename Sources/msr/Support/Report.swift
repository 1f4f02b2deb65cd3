import Datasets
import Foundation
import MetaLearning
import Tensors

/// The JSON report of any run (`--report FILE.json`), one schema for every kind: `kind` and `metric`, the
/// final held-out figure at the top level as `test_<metric>`, `test_<metric>_ci95` and `test_episodes`
/// (accuracies as fractions; a regression report also says `test_tasks_used`, its earlier name), the speeds,
/// the experiment (`config`), what the kind adds (`symmetry`; `one_shot_runs`), and every evaluation with
/// `train_loss` and `train_<metric>` for the problem's training metrics — the whole run's, a resumed one's
/// included. Written atomically.
struct TrainingReport<Config: Experiment>: JSONReport {
    var kind: ExperimentKind
    var metric: String
    var trainingMetrics: [String]
    var config: Config
    var outcome: TrainingOutcome

    init(experiment: Config, metric: String, trainingMetrics: [String], outcome: TrainingOutcome) {
        kind = Config.kind
        self.metric = metric
        self.trainingMetrics = trainingMetrics
        config = experiment
        self.outcome = outcome
    }

    struct Key: CodingKey {
        var stringValue: String
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        let history = outcome.history
        try c.encode(kind, forKey: Key("kind"))
        try c.encode(metric, forKey: Key("metric"))
        if let final = outcome.final {
            try c.encode(final.mean, forKey: Key("test_\(metric)"))
            try c.encode(final.halfWidth95, forKey: Key("test_\(metric)_ci95"))
            try c.encode(final.count, forKey: Key("test_episodes"))
            if kind == .regression { try c.encode(final.count, forKey: Key("test_tasks_used")) }
        }
        try c.encode(history.stepsPerSecond, forKey: Key("steps_per_second"))
        try c.encode(history.trainingStepsPerSecond, forKey: Key("training_steps_per_second"))
        try c.encode(history.tasksPerSecond, forKey: Key("tasks_per_second"))
        try c.encode(config, forKey: Key("config"))
        if let symmetry = outcome.figures.symmetry { try c.encode(symmetry, forKey: Key("symmetry")) }
        if let runs = outcome.figures.oneShotRuns {
            var r = c.nestedContainer(keyedBy: Key.self, forKey: Key("one_shot_runs"))
            try r.encode(runs.accuracy.mean, forKey: Key("accuracy"))
            try r.encode(runs.accuracy.halfWidth95, forKey: Key("accuracy_ci95"))
            try r.encode(runs.perRun, forKey: Key("per_run"))
            try r.encode(runs.humanAccuracy, forKey: Key("human_accuracy"))
        }
        var list = c.nestedUnkeyedContainer(forKey: Key("evaluations"))
        for e in outcome.evaluations {
            var entry = list.nestedContainer(keyedBy: Key.self)
            try entry.encode(e.step, forKey: Key("step"))
            try entry.encode(e.test.mean, forKey: Key("test_\(metric)"))
            try entry.encode(e.test.halfWidth95, forKey: Key("test_\(metric)_ci95"))
            try entry.encode(e.test.count, forKey: Key("episodes"))
            try entry.encode(e.trainLoss, forKey: Key("train_loss"))
            for (name, value) in zip(trainingMetrics, e.trainMetrics) { try entry.encode(value, forKey: Key("train_\(name)")) }
            try entry.encode(e.elapsedSeconds, forKey: Key("elapsed_seconds"))
            try entry.encodeIfPresent(e.peakMemoryMiB, forKey: Key("peak_memory_mib"))
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
    /// `running` (the report of a run still going), `finished`, `interrupted` or `diverged`.
    var status: String
    /// What stopped a `diverged` run.
    var error: String?
    var threads: Int
    /// Processes the meta-batch was split over (`--distributed mpi`; 1 otherwise).
    var ranks: Int
    /// Peak resident memory of the process (getrusage), MiB.
    var peak_memory_mib: Double
    /// The matrix-multiply kernels that ran.
    var matmul: String

    init(_ history: TrainingHistory, stepsCompleted: Int, resumedFrom: Int?, threads: Int, ranks: Int, status: String, error: String? = nil) {
        wall_seconds = history.wallSeconds
        steps_completed = stepsCompleted
        steps_run = history.stepsRun
        resumed_from_step = resumedFrom
        interrupted = history.interrupted
        self.status = status
        self.error = error
        self.threads = threads
        self.ranks = ranks
        peak_memory_mib = peakResidentMiB()
        matmul = matmulSummary()
    }
}

/// `built-in <kernels>; BLAS <library or none>`: which matrix-multiply code a run or benchmark used.
func matmulSummary() -> String {
    "built-in \(MatmulConfiguration.builtInKernelNames); BLAS \(MatmulConfiguration.blasLibraryName ?? "none")"
}

func formatLoss(_ m: MeanWithInterval) -> String {
    String(format: "%.4f ± %.4f", m.mean, m.halfWidth95)
}

/// Peak resident set size of this process in MiB.
func peakResidentMiB() -> Double { Evaluation.peakResidentMiB() }

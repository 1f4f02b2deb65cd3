import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import Tensors

extension FewShotMethod: ExpressibleByArgument {}
extension FewShotBudget: ExpressibleByArgument {}
extension FewShotExperiment.OmniglotSplit: ExpressibleByArgument {}

/// `--problem`: a regression family (1-D or 2-D) or a few-shot data set.
enum ProblemArgument: ExpressibleByArgument, CustomStringConvertible {
    case synthetic(SyntheticProblem)
    case fewShot(FewShotExperiment.Dataset)

    init?(argument: String) {
        if let p = SyntheticProblem(rawValue: argument) { self = .synthetic(p) }
        else if let d = FewShotExperiment.Dataset(rawValue: argument) { self = .fewShot(d) }
        else { return nil }
    }

    static var allValueStrings: [String] {
        SyntheticProblem.allCases.map(\.rawValue) + FewShotExperiment.Dataset.allCases.map(\.rawValue)
    }

    var description: String {
        switch self {
        case .synthetic(let p): return p.rawValue
        case .fewShot(let d): return d.rawValue
        }
    }
}

/// The few-shot flags of `msr train` (defaults: the few-shot protocol, `shared/paper/fewshot-protocol.md`).
struct FewShotOptions: ParsableArguments {
    @Option(help: "Few-shot method: maml, anil, protonets or msr (MAML with MSR-Conv blocks).")
    var method: FewShotMethod?

    @Option(help: "N: classes per episode.")
    var ways: Int?

    @Option(help: "K: support images per class.")
    var shots: Int?

    @Option(help: "Q: query images per class.")
    var queries: Int?

    @Flag(name: .customLong("augment-queries"), inversion: .prefixedNo,
          help: "Augment each query image (random resized crop, flips, rotation ±30°), never the support images (the paper's Algorithm 2).")
    var augmentQueries: Bool?

    @Option(help: "Channels of each Conv4 block (default 64 for Omniglot, 32 for mini-ImageNet; larger for \"MAML (Big)\").")
    var width: Int?

    @Option(help: "Budget: small (the protocol's 5,600 meta-training tasks) or paper (60,000 steps × meta-batch 32).")
    var budget: FewShotBudget?

    @Option(name: .customLong("omniglot"), help: "Omniglot zip archive or folder in Omniglot's layout (repeat for several, e.g. images_background.zip and images_evaluation.zip; default: the built-in subset).")
    var omniglot: [String] = []

    @Option(name: .customLong("omniglot-split"), help: "Meta-train / meta-test alphabets: protocol (the built-in subset's) or background-evaluation (the full data set's 30 / 20 alphabets).")
    var omniglotSplit: FewShotExperiment.OmniglotSplit?

    @Option(name: .customLong("mini-imagenet"), help: "mini-ImageNet root folder (images/ beside train.csv, val.csv, test.csv), for --problem mini-imagenet.")
    var miniImageNet: String?

    @Option(name: .customLong("test-inner-steps"), help: "Inner steps at meta-test (default 3).")
    var testInnerSteps: Int?

    @Option(name: .customLong("test-episodes"), help: "Meta-test episodes of the final evaluation (default 600).")
    var testEpisodes: Int?

    @Option(name: .customLong("validation-episodes"), help: "Meta-test episodes of each periodic evaluation (default 100).")
    var validationEpisodes: Int?

    /// Names of the few-shot flags that were given, for a clear error when the problem is a regression.
    var givenFlags: [String] {
        var given: [String] = []
        if method != nil { given.append("--method") }
        if ways != nil { given.append("--ways") }
        if shots != nil { given.append("--shots") }
        if queries != nil { given.append("--queries") }
        if augmentQueries != nil { given.append("--augment-queries") }
        if width != nil { given.append("--width") }
        if budget != nil { given.append("--budget") }
        if !omniglot.isEmpty { given.append("--omniglot") }
        if omniglotSplit != nil { given.append("--omniglot-split") }
        if miniImageNet != nil { given.append("--mini-imagenet") }
        if testInnerSteps != nil { given.append("--test-inner-steps") }
        if testEpisodes != nil { given.append("--test-episodes") }
        if validationEpisodes != nil { given.append("--validation-episodes") }
        return given
    }

    func validateUnused(problem: String) throws {
        let given = givenFlags
        if !given.isEmpty {
            throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "is" : "are") for the few-shot problems (omniglot, mini-imagenet), not for --problem \(problem).")
        }
    }

    func validate() throws {
        for (name, value) in [("--ways", ways), ("--shots", shots), ("--width", width), ("--test-episodes", testEpisodes),
                              ("--validation-episodes", validationEpisodes)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1, got \(value).") }
        }
        if let queries, queries < 1 { throw ValidationError("--queries must be at least 1, got \(queries).") }
        if let testInnerSteps, testInnerSteps < 0 { throw ValidationError("--test-inner-steps must be at least 0, got \(testInnerSteps).") }
    }

    /// The experiment these flags and the shared meta-learning flags describe.
    func experiment(dataset: FewShotExperiment.Dataset, options: MetaLearningOptions) throws -> FewShotExperiment {
        let method = method ?? .msr
        var c = FewShotConfiguration(method: method, ways: ways ?? 5, shots: shots ?? 1, queries: queries ?? 15)
        (budget ?? .small).apply(to: &c)
        if dataset == .miniImageNet {
            c.imageChannels = 3
            c.imageSize = 84
            c.width = 32
        }
        if let width { c.width = width }
        if let steps = options.steps { c.steps = steps }
        if let metaBatch = options.metaBatch { c.metaBatchSize = metaBatch }
        c.innerSteps = options.innerSteps
        if let testInnerSteps { c.testInnerSteps = testInnerSteps }
        if let rate = options.innerLearningRate { c.initialInnerLearningRate = rate }
        c.outerLearningRate = options.outerLearningRate
        c.firstOrder = options.firstOrder
        c.evaluationInterval = options.evaluationInterval ?? max(c.steps / 10, 1)
        if let validationEpisodes { c.validationEpisodes = validationEpisodes }
        if let testEpisodes { c.testEpisodes = testEpisodes }
        c.seed = options.seed
        var sources = omniglot
        switch dataset {
        case .omniglot:
            if miniImageNet != nil { throw ValidationError("--mini-imagenet needs --problem mini-imagenet.") }
        case .miniImageNet:
            guard let miniImageNet else {
                throw ValidationError("--problem mini-imagenet needs --mini-imagenet ROOT (a folder with images/ and train.csv, val.csv, test.csv; see README).")
            }
            if !omniglot.isEmpty || omniglotSplit != nil { throw ValidationError("--omniglot and --omniglot-split are for --problem omniglot.") }
            sources = [miniImageNet]
        }
        return FewShotExperiment(dataset: dataset, sources: sources, omniglotSplit: omniglotSplit ?? .protocol,
                                 queryAugmentation: (augmentQueries ?? true) ? .protocolDefault : .none, training: c)
    }
}

extension MSR.Train {
    /// `msr train --problem omniglot|mini-imagenet`: few-shot meta-training.
    func runFewShot(dataset: FewShotExperiment.Dataset, communicator: any GradientCommunicator = SingleProcess()) throws {
        var experiment = try fewShot.experiment(dataset: dataset, options: options)
        var state: MetaTrainingState?
        if resume, let checkpoint {
            let saved = try Checkpoint<FewShotExperiment>(contentsOf: URL(fileURLWithPath: checkpoint))
            experiment = saved.experiment
            if let steps = options.steps { experiment.training.steps = steps }
            state = saved.state
            if communicator.isLead { print("resuming \(experiment.title) from step \(saved.state.step) of \(checkpoint)") }
        }
        try runFewShotExperiment(experiment, state: state, threads: options.threads, report: report, checkpoint: checkpoint,
                                 communicator: communicator)
    }
}

/// True when `directory` holds a few-shot run's checkpoint (its `experiment.json` is a `FewShotExperiment`).
func isFewShotCheckpoint(_ directory: String) -> Bool {
    let url = URL(fileURLWithPath: directory).appendingPathComponent("experiment.json")
    guard let data = FileManager.default.contents(atPath: url.path) else { return false }
    return (try? JSONDecoder().decode(FewShotExperiment.self, from: data)) != nil
}

/// What a few-shot run measured.
struct FewShotOutcome {
    var testAccuracy: MeanWithInterval
    var oneShotRuns: OneShotRunsResult?
    var history: FewShotTrainingHistory
}

/// Trains (or continues) a few-shot experiment with progress output, periodic checkpoints, the final
/// meta-test evaluation (and, on Omniglot, Lake et al.'s 20 one-shot runs), and a report.
@discardableResult
func runFewShotExperiment(_ experiment: FewShotExperiment, state initial: MetaTrainingState?, threads: Int,
                          report: String?, checkpoint: String?, quiet: Bool = false,
                          communicator: any GradientCommunicator = SingleProcess()) throws -> FewShotOutcome {
    let trainer = try experiment.trainer(threads: threads, communicator: communicator)
    // With several ranks, rank 0 alone prints, checkpoints and reports.
    let (quiet, report, checkpoint) = communicator.isLead ? (quiet, report, checkpoint) : (true, nil, nil)
    if !quiet && communicator.size > 1 { print("data-parallel over \(communicator.summary): rank r computes episodes r, r + P, … of each meta-batch") }
    let c = experiment.training
    var state = initial ?? trainer.initialState()
    if let checkpointPath = checkpoint, initial == nil,
       FileManager.default.fileExists(atPath: Checkpoint<FewShotExperiment>.file(in: URL(fileURLWithPath: checkpointPath)).path) {
        throw ValidationError("\(checkpointPath) already holds a checkpoint; pass --resume to continue it or choose another directory.")
    }
    let resumedFrom = initial?.step
    if !quiet {
        print("\(experiment.title): \(trainer.trainEpisodes.classes.classCount) meta-train / \(trainer.testEpisodes.classes.classCount) meta-test classes, "
              + "\(c.steps) steps × \(c.metaBatchSize) episodes"
              + (c.method.hasInnerLoop ? ", \(c.innerSteps) inner step\(c.innerSteps == 1 ? "" : "s") (\(c.testInnerSteps) at test), \(c.firstOrder ? "first" : "second") order" : "")
              + ", width \(c.width), \(threads) thread\(threads == 1 ? "" : "s")")
    }
    let progress = ProgressDisplay(total: c.steps, startStep: state.step)
    Interruption.install()
    func save(_ s: MetaTrainingState) throws {
        if let checkpoint { try Checkpoint(experiment: experiment, state: s).write(to: URL(fileURLWithPath: checkpoint)) }
    }
    var saveError: Error?
    var history = try trainer.train(&state, onStep: { s, loss, _ in
        if !quiet { progress.step(s.step, loss: loss) }
    }, onEvaluation: { s, e in
        if !quiet {
            progress.message("step \(e.step): meta-test accuracy \(formatAccuracy(e.testAccuracy)) (\(e.testAccuracy.count) episodes; "
                             + "train loss \(String(format: "%.3f", e.trainLoss)), accuracy \(String(format: "%.1f%%", 100 * e.trainAccuracy)); "
                             + "\(String(format: "%.1f", Double(e.step - (resumedFrom ?? 0)) * Double(c.metaBatchSize) / max(e.elapsedSeconds, 1e-9))) tasks/s)")
        }
        do { try save(s) } catch { saveError = error }
    }, shouldStop: { Interruption.requested || saveError != nil })
    if let saveError { throw saveError }
    progress.clear()
    try save(state)
    if history.interrupted {
        if !quiet { print("interrupted at step \(state.step)" + (checkpoint.map { "; saved to \($0) (continue with --resume)" } ?? "")) }
        throw ExitCode(130)
    }
    let t0 = Date()
    let final = try trainer.evaluate(state.metaParameters)
    let oneShot = experiment.dataset == .omniglot && c.imageSize == 28
        ? trainer.evaluate(state.metaParameters, oneShotRuns: try OmniglotOneShotRuns.builtIn()) : nil
    history.evaluationSeconds += Date().timeIntervalSince(t0)
    history.wallSeconds += Date().timeIntervalSince(t0)
    if let report {
        try FewShotReport(experiment: experiment, history: history, final: final, oneShotRuns: oneShot).write(
            to: report, run: RunFacts(history, stepsCompleted: state.step, resumedFrom: resumedFrom, threads: threads, ranks: communicator.size))
    }
    if !quiet {
        print("meta-test accuracy \(formatAccuracy(final)) on \(final.count) episodes after \(state.step) steps; "
              + "\(String(format: "%.1f", history.tasksPerSecond)) meta-training tasks/s, \(String(format: "%.1f", history.wallSeconds)) s, "
              + "peak memory \(String(format: "%.0f", peakResidentMiB())) MiB")
        if let oneShot {
            print("Lake et al.'s 20 one-shot runs (20-way 1-shot): \(formatAccuracy(oneShot.accuracy)) (humans: \(String(format: "%.1f%%", 100 * oneShot.humanAccuracy)))")
        }
    }
    return FewShotOutcome(testAccuracy: final, oneShotRuns: oneShot, history: history)
}

/// `87.3 ± 0.5%` from a fraction.
func formatAccuracy(_ m: MeanWithInterval) -> String {
    String(format: "%.1f ± %.1f%%", 100 * m.mean, 100 * m.halfWidth95)
}

/// The JSON report of a few-shot run: final figures at the top level (accuracies as fractions), then the
/// experiment and every evaluation. Written atomically.
struct FewShotReport: JSONReport {
    struct EvaluationEntry: Encodable {
        var step: Int
        var test_accuracy: Double
        var test_accuracy_ci95: Double
        var episodes: Int
        var train_loss: Double
        var train_accuracy: Double
        var elapsed_seconds: Double
    }
    struct OneShotEntry: Encodable {
        var accuracy: Double
        var accuracy_ci95: Double
        var per_run: [Double]
        var human_accuracy: Double
    }

    var test_accuracy: Double
    var test_accuracy_ci95: Double
    var test_episodes: Int
    var one_shot_runs: OneShotEntry?
    var tasks_per_second: Double
    var steps_per_second: Double
    var config: FewShotExperiment
    var evaluations: [EvaluationEntry]

    init(experiment: FewShotExperiment, history: FewShotTrainingHistory, final: MeanWithInterval, oneShotRuns: OneShotRunsResult?) {
        test_accuracy = final.mean
        test_accuracy_ci95 = final.halfWidth95
        test_episodes = final.count
        one_shot_runs = oneShotRuns.map {
            OneShotEntry(accuracy: $0.accuracy.mean, accuracy_ci95: $0.accuracy.halfWidth95, per_run: $0.perRun, human_accuracy: $0.humanAccuracy)
        }
        tasks_per_second = history.tasksPerSecond
        steps_per_second = history.wallSeconds > 0 ? Double(history.stepsRun) / history.wallSeconds : 0
        config = experiment
        evaluations = history.evaluations.map {
            EvaluationEntry(step: $0.step, test_accuracy: $0.testAccuracy.mean, test_accuracy_ci95: $0.testAccuracy.halfWidth95,
                            episodes: $0.testAccuracy.count, train_loss: $0.trainLoss, train_accuracy: $0.trainAccuracy,
                            elapsed_seconds: $0.elapsedSeconds)
        }
    }
}

import ArgumentParser
import Datasets
import Distributed
import Foundation
import MetaLearning
import Tensors

extension RegressionModel: ExpressibleByArgument {}
extension SyntheticProblem: ExpressibleByArgument {}
extension DistributedBackend: ExpressibleByArgument {}

/// Flags shared by `train` and `reproduce`: the meta-learning hyper-parameters (defaults: the reference code).
struct MetaLearningOptions: ParsableArguments {
    @Option(help: "Outer steps (default 1000; few-shot: the --budget's; when resuming, the total to reach).")
    var steps: Int?

    @Option(name: .customLong("meta-batch"), help: "Tasks per outer step (default 32; few-shot: the --budget's, 8 or 1 for ProtoNets).")
    var metaBatch: Int?

    @Option(name: .customLong("k-spt"), help: "Support examples per task.")
    var kSupport = 1

    @Option(name: .customLong("k-qry"), help: "Query examples per task.")
    var kQuery = 19

    @Option(name: .customLong("inner-steps"), help: "Inner SGD steps.")
    var innerSteps = 1

    @Option(name: .customLong("inner-lr"), help: "Initial inner learning rate, one learned rate per parameter tensor (default 0.1; few-shot 0.4).")
    var innerLearningRate: Double?

    @Option(name: .customLong("outer-lr"), help: "Outer Adam learning rate.")
    var outerLearningRate = 1e-3

    @Flag(name: .customLong("first-order"), help: "First-order meta-gradients (treat the inner gradient as a constant).")
    var firstOrder = false

    @Option(name: .customLong("eval-interval"), help: "Evaluate on held-out tasks every N steps, and after the last (default 100; few-shot: a tenth of the steps).")
    var evaluationInterval: Int?

    @Option(name: .customLong("test-tasks"), help: "Held-out tasks per evaluation (all of them if the file holds fewer).")
    var testTasks = 300

    @Option(help: "Seed of the training run (initialisation, meta-batches, episodes).")
    var seed: UInt64 = 0

    @Option(help: "Threads for the tasks of a meta-batch (default: all cores). Results do not depend on it.")
    var threads: Int = availableProcessorCount

    @Option(help: "Spread each meta-batch's tasks over the ranks of an MPI job: mpi (start with mpirun -np P msr train …; needs Open MPI). The parameters equal one process's.")
    var distributed: DistributedBackend?

    func validate() throws {
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps).") }
        for (name, value) in [("--meta-batch", metaBatch ?? 1), ("--k-spt", kSupport), ("--k-qry", kQuery), ("--inner-steps", innerSteps),
                              ("--test-tasks", testTasks), ("--threads", threads)] where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value).")
        }
        if let evaluationInterval, evaluationInterval < 1 { throw ValidationError("--eval-interval must be at least 1, got \(evaluationInterval).") }
        guard innerLearningRate?.isFinite ?? true, outerLearningRate > 0, outerLearningRate.isFinite else {
            throw ValidationError("learning rates must be finite numbers and --outer-lr positive.")
        }
    }

    var configuration: MetaTrainingConfiguration {
        var c = MetaTrainingConfiguration()
        c.steps = steps ?? 1000
        c.metaBatchSize = metaBatch ?? 32
        c.supportCount = kSupport
        c.queryCount = kQuery
        c.innerSteps = innerSteps
        c.initialInnerLearningRate = innerLearningRate ?? 0.1
        c.outerLearningRate = outerLearningRate
        c.firstOrder = firstOrder
        c.evaluationInterval = evaluationInterval ?? 100
        c.testTasks = testTasks
        c.seed = seed
        return c
    }
}

extension MSR {
    /// `msr train`: meta-train one model on one task family.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Meta-train MSR or a baseline: 1-D and 2-D synthetic regression, or few-shot classification.",
            discussion: """
            Examples:
              msr train --problem rank1 --model msr-fc --steps 1000 --report run.json --checkpoint run/
              msr train --problem 2d_rot8 --model msr-conv
              msr train --problem omniglot --method msr --ways 5 --shots 1 --augment-queries
            Ctrl-C stops after the current step, saves the checkpoint and the report, and exits.
            """)

        @Option(help: "Task family: rank1 (convolutions), rank2/rank5 (partial translation symmetry), 2d_rot8/2d_rot8_flip (rotation / rotation and flip equivariance), or omniglot/mini-imagenet (few-shot classification). With --data, names the file's family (it sets the default --latent-size).")
        var problem: ProblemArgument = .synthetic(.rank1)

        @Option(help: "Model of the regression problems: fc, lc, conv (MAML baselines) or msr-fc (MSR) in 1-D (default msr-fc); conv, msr-conv (Kronecker-factored U) or msr-conv-full (one dense U) in 2-D.")
        var model: RegressionModel?

        @OptionGroup(title: "Few-shot classification (--problem omniglot or mini-imagenet)")
        var fewShot: FewShotOptions

        @Option(name: .customLong("latent-size"), help: "MSR's latent size K (default 3 / 6 / 30 for rank1 / 2 / 5).")
        var latentSize: Int?

        @Option(help: "Tasks to generate (80% train, 20% held out; default 10000, 2000 for 2d_rot8_flip).")
        var tasks: Int?

        @Option(name: .customLong("data-seed"), help: "Seed of the generated family.")
        var dataSeed: UInt64 = 0

        @Option(help: "Read the family from this .npz file (arrays x (tasks, 20, 1, 70) and y (tasks, 20, 1, 68)) instead of generating it.")
        var data: String?

        @Option(name: .customLong("init-symmetry"), help: "Start MSR's U from a constructed symmetry instead of random values (a prior the outer loop can still change): translation (msr-fc); c4, d4, flip, c8-ring, d8-ring (msr-conv-full).")
        var initSymmetry: String?

        @OptionGroup var options: MetaLearningOptions

        @Option(help: "Write a JSON report here (final and periodic figures).")
        var report: String?

        @Option(help: "Save the run here (after each evaluation and at the end).")
        var checkpoint: String?

        @Flag(help: "Continue the run saved in --checkpoint (its configuration is used; --steps may raise the budget).")
        var resume = false

        func validate() throws {
            if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint DIR.") }
            if let initSymmetry, !RegressionExperiment.initialSymmetries.contains(initSymmetry) {
                throw ValidationError("--init-symmetry must be one of \(RegressionExperiment.initialSymmetries.joined(separator: ", ")), got \(initSymmetry).")
            }
            if let latentSize, latentSize < 1 { throw ValidationError("--latent-size must be at least 1, got \(latentSize).") }
            if let tasks, tasks < 3 { throw ValidationError("--tasks must be at least 3, got \(tasks).") }
            switch problem {
            case .fewShot:
                if model != nil { throw ValidationError("--model is for the regression problems; few-shot problems take --method (maml, anil, protonets, msr).") }
                if initSymmetry != nil || data != nil || tasks != nil || latentSize != nil {
                    throw ValidationError("--init-symmetry, --data, --tasks and --latent-size are for the regression problems, not for --problem \(problem).")
                }
            case .synthetic(let problem):
                let model = model ?? .msrFC
                guard problem.models.contains(model) else {
                    throw ValidationError("--model \(model.rawValue) does not fit --problem \(problem); use one of \(problem.models.map(\.rawValue).joined(separator: ", ")).")
                }
                try fewShot.validateUnused(problem: problem.rawValue)
            }
        }

        func run() throws {
            try DistributedBackend.run(options.distributed) { try run(communicator: $0) }
        }

        func run(communicator: any GradientCommunicator) throws {
            if case .fewShot(let dataset) = problem { return try runFewShot(dataset: dataset, communicator: communicator) }
            if resume, let checkpoint, isFewShotCheckpoint(checkpoint) { return try runFewShot(dataset: .omniglot, communicator: communicator) }
            guard case .synthetic(let problem) = problem else { return }
            let model = model ?? .msrFC
            var experiment = RegressionExperiment(problem: problem, model: model, latentSize: latentSize, taskCount: tasks,
                                                  dataSeed: dataSeed, dataFile: data, training: options.configuration)
            experiment.initialSymmetry = initSymmetry
            var state: MetaTrainingState?
            if resume, let checkpoint {
                let saved = try Checkpoint<RegressionExperiment>(contentsOf: URL(fileURLWithPath: checkpoint))
                experiment = saved.experiment
                if let steps = options.steps { experiment.training.steps = steps }
                state = saved.state
                if communicator.isLead { print("resuming \(experiment.problem) \(experiment.model.rawValue) from step \(saved.state.step) of \(checkpoint)") }
            }
            try runExperiment(experiment, state: state, threads: options.threads, report: report, checkpoint: checkpoint,
                              communicator: communicator)
        }
    }
}

/// Trains (or continues) one experiment with progress output, periodic checkpoints and a final report.
@discardableResult
func runExperiment(_ experiment: RegressionExperiment, state initial: MetaTrainingState?, threads: Int,
                   report: String?, checkpoint: String?, quiet: Bool = false,
                   communicator: any GradientCommunicator = SingleProcess()) throws -> (MeanWithInterval, TrainingHistory) {
    let trainer = try experiment.trainer(threads: threads, communicator: communicator)
    // With several ranks, rank 0 alone prints, checkpoints and reports.
    let (quiet, report, checkpoint) = communicator.isLead ? (quiet, report, checkpoint) : (true, nil, nil)
    if !quiet && communicator.size > 1 { print("data-parallel over \(communicator.summary): rank r computes tasks r, r + P, … of each meta-batch") }
    let c = experiment.training
    var state = try initial ?? experiment.initialState(trainer)
    if let checkpointPath = checkpoint, initial == nil {
        // Never overwrite another run's checkpoint by accident.
        if FileManager.default.fileExists(atPath: Checkpoint<RegressionExperiment>.file(in: URL(fileURLWithPath: checkpointPath)).path) {
            throw ValidationError("\(checkpointPath) already holds a checkpoint; pass --resume to continue it or choose another directory.")
        }
    }
    let resumedFrom = initial?.step
    let testUsed = min(c.testTasks, trainer.testTasks.count)
    if !quiet {
        print("\(experiment.problem) \(experiment.model.rawValue)\(experiment.model == .msrFC ? " (K = \(experiment.latentSize))" : ""): "
              + "\(trainer.trainTasks.count) training / \(trainer.testTasks.count) held-out tasks, \(c.steps) steps, "
              + "\(c.firstOrder ? "first" : "second")-order, \(threads) thread\(threads == 1 ? "" : "s")"
              + (testUsed < c.testTasks ? "; evaluating on all \(testUsed) held-out tasks (fewer than --test-tasks \(c.testTasks))" : ""))
    }
    let progress = ProgressDisplay(total: c.steps, startStep: state.step)
    Interruption.install()
    func save(_ s: MetaTrainingState) throws {
        if let checkpoint { try Checkpoint(experiment: experiment, state: s).write(to: URL(fileURLWithPath: checkpoint)) }
    }
    var saveError: Error?
    var history = trainer.train(&state, onStep: { s, loss in
        if !quiet { progress.step(s.step, loss: loss) }
    }, onEvaluation: { s, e in
        if !quiet {
            progress.message("step \(e.step): test mse \(formatLoss(e.testLoss)) (train \(String(format: "%.4f", e.trainLoss)), "
                             + "\(String(format: "%.1f", Double(e.step - (resumedFrom ?? 0)) / max(e.elapsedSeconds, 1e-9))) steps/s)")
        }
        do { try save(s) } catch { saveError = error }
    }, shouldStop: { Interruption.requested || saveError != nil })
    if let saveError { throw saveError }
    progress.clear()
    let final: MeanWithInterval
    if let last = history.evaluations.last, last.step == state.step {
        final = last.testLoss
    } else {
        final = trainer.evaluate(state.metaParameters)
        history.evaluations.append(Evaluation(step: state.step, testLoss: final, trainLoss: .nan, elapsedSeconds: history.wallSeconds))
    }
    try save(state)
    if history.interrupted && !quiet {
        print("interrupted at step \(state.step)" + (checkpoint.map { "; saved to \($0) (continue with --resume)" } ?? ""))
    }
    let symmetry = SymmetryInspection.inspect(trainer, state.metaParameters, model: experiment.model.rawValue,
                                              problem: experiment.problem.rawValue)
    if let report {
        try TrainingReport(experiment: experiment, history: history, final: final, symmetry: symmetry).write(
            to: report, run: RunFacts(history, stepsCompleted: state.step, resumedFrom: resumedFrom, threads: threads, ranks: communicator.size))
    }
    if !quiet {
        print("test mse \(formatLoss(final)) on \(final.count) held-out tasks after \(state.step) steps; "
              + "\(String(format: "%.1f", history.stepsPerSecond)) steps/s (\(String(format: "%.1f", history.trainingStepsPerSecond)) without evaluations), "
              + "\(String(format: "%.1f", history.wallSeconds)) s, peak memory \(String(format: "%.0f", peakResidentMiB())) MiB")
        if let symmetry { print(describe(symmetry)) }
    }
    if history.interrupted { throw ExitCode(130) }
    return (final, history)
}

/// One line on the learned translation symmetry (distance from the nearest convolution).
func describe(_ s: SymmetryInspection) -> String {
    guard let t = s.measures["translation"] else { return "" }
    var parts: [String] = []
    if let r = t.randomV { parts.append("W = reshape(U·v), random v: \(String(format: "%.3f", r))") }
    parts.append("initial W: \(String(format: "%.3f", t.initial))")
    parts.append("adapted W (held-out tasks): \(String(format: "%.3f", t.adapted))")
    return "distance from the nearest Toeplitz (convolution) matrix — " + parts.joined(separator: "; ")
}

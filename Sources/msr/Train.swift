import ArgumentParser
import Datasets
import Distributed
import Foundation
import MetaLearning
import NeuralNets
import Tensors

extension RegressionModel: ExpressibleByArgument {}
extension SyntheticProblem: ExpressibleByArgument {}
extension DistributedBackend: ExpressibleByArgument {}

/// Flags shared by `train` and `reproduce`: the meta-learning hyper-parameters. Their defaults are the
/// configuration types' (`MetaTrainingConfiguration` for regression, `FewShotConfiguration` and `FewShotBudget`
/// for few-shot), read here, never retyped.
struct MetaLearningOptions: ParsableArguments {
    static let regression = MetaTrainingConfiguration()
    static let fewShot = FewShotConfiguration(method: .maml)

    @Option(parsing: .unconditional, help: "Outer steps (default \(regression.steps); few-shot: the --budget's; when resuming, the total to reach).")
    var steps: Int?

    @Option(name: .customLong("meta-batch"), parsing: .unconditional, help: "Tasks per outer step (default \(regression.metaBatchSize); few-shot: the --budget's, \(fewShot.metaBatchSize) or 1 for ProtoNets).")
    var metaBatch: Int?

    @Option(name: .customLong("k-spt"), parsing: .unconditional, help: "Support examples per task (default \(regression.supportCount); regression only: few-shot takes --shots).")
    var kSupport: Int?

    @Option(name: .customLong("k-qry"), parsing: .unconditional, help: "Query examples per task (default \(regression.queryCount); regression only: few-shot takes --queries).")
    var kQuery: Int?

    @Option(name: .customLong("inner-steps"), parsing: .unconditional, help: "Inner SGD steps in meta-training (default \(regression.innerSteps)).")
    var innerSteps: Int?

    @Option(name: .customLong("inner-lr"), parsing: .unconditional, help: "Initial inner learning rate, one learned rate per parameter tensor (default \(regression.initialInnerLearningRate); few-shot \(fewShot.initialInnerLearningRate)).")
    var innerLearningRate: Double?

    @Option(name: .customLong("outer-lr"), parsing: .unconditional, help: "Outer Adam learning rate (default \(regression.outerLearningRate)).")
    var outerLearningRate: Double?

    @Flag(name: .customLong("first-order"), help: "First-order meta-gradients (treat the inner gradient as a constant).")
    var firstOrder = false

    @Option(name: .customLong("eval-interval"), parsing: .unconditional, help: "Evaluate on held-out tasks every N steps, and after the last (default \(regression.evaluationInterval); few-shot: a tenth of the steps).")
    var evaluationInterval: Int?

    @Option(name: .customLong("test-tasks"), parsing: .unconditional, help: "Held-out tasks per evaluation (default \(regression.testTasks); all of them if the family holds fewer; regression only: few-shot takes --test-episodes).")
    var testTasks: Int?

    @Option(parsing: .unconditional, help: "Seed of the training run (initialisation, meta-batches, episodes).")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Threads for the tasks of a meta-batch (default: all cores). Results do not depend on it.")
    var threads: Int = availableProcessorCount

    @Option(help: "Spread each meta-batch's tasks over the ranks of an MPI job: mpi (start with mpirun -np P msr train …; needs Open MPI). The parameters equal one process's.")
    var distributed: DistributedBackend?

    /// The flags' values are checked by the configuration's own `validate()` (the check a checkpoint's
    /// configuration gets too); few-shot runs check theirs when the experiment is made.
    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        do { try configuration.validate() } catch let error as ConfigurationError { throw ValidationError(error.description) }
    }

    /// The regression-only flags that were given, for a clear error on the few-shot path (which would ignore them).
    var givenRegressionFlags: [String] {
        [("--k-spt", kSupport), ("--k-qry", kQuery), ("--test-tasks", testTasks)].compactMap { $0.1 == nil ? nil : $0.0 }
    }

    var configuration: MetaTrainingConfiguration {
        var c = MetaTrainingConfiguration()
        if let steps { c.steps = steps }
        if let metaBatch { c.metaBatchSize = metaBatch }
        if let kSupport { c.supportCount = kSupport }
        if let kQuery { c.queryCount = kQuery }
        if let innerSteps { c.innerSteps = innerSteps }
        if let innerLearningRate { c.initialInnerLearningRate = innerLearningRate }
        if let outerLearningRate { c.outerLearningRate = outerLearningRate }
        c.firstOrder = firstOrder
        if let evaluationInterval { c.evaluationInterval = evaluationInterval }
        if let testTasks { c.testTasks = testTasks }
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

        @Option(name: .customLong("problem"), help: "Task family: rank1 (convolutions), rank2/rank5 (partial translation symmetry), 2d_rot8/2d_rot8_flip (rotation / rotation and flip equivariance), 2d_scale (scale equivariance: one filter at scales 1, √2, 2 per field, 9×9 kernels), data (any family in a --data file: its shapes size the model), or omniglot/mini-imagenet (few-shot classification). Default rank1, or data with --data; rank1 … 2d_rot8_flip with --data read the reference code's files in their layout, 2d_scale with --data a file of msr generate.")
        var problemArgument: ProblemArgument?

        /// The family: as given, else `data` for a --data file, else rank1.
        var problem: ProblemArgument { problemArgument ?? (data != nil ? .synthetic(.data) : .synthetic(.rank1)) }

        @Option(help: "A network described in a JSON file (layers: linear, msr-linear, conv1d, conv2d, msr-conv2d, msr-conv2d-full, batch-norm, relu, max-pool, avg-pool, flatten; see README), for a regression family; sizes come from the data.")
        var network: String?

        @Option(name: .customLong("kernel-size"), parsing: .unconditional, help: "Kernel size of a --data family's convolutions (default: input length − target length + 1 + 2·padding).")
        var kernelSize: Int?

        @Option(parsing: .unconditional, help: "Zero padding of a --data family's convolutions (default 0).")
        var padding: Int?

        @Option(help: "Model of the regression problems: fc, lc, conv (MAML baselines) or msr-fc (MSR) in 1-D (default msr-fc); conv, msr-conv (Kronecker-factored U) or msr-conv-full (one dense U; K = D·9/4 by default, 54 on 2d_scale) in 2-D.")
        var model: RegressionModel?

        @OptionGroup(title: "Few-shot classification (--problem omniglot, mini-imagenet or images)")
        var fewShot: FewShotOptions

        @Option(name: .customLong("latent-size"), parsing: .unconditional, help: "MSR's latent size K (default 3 / 6 / 30 for rank1 / 2 / 5).")
        var latentSize: Int?

        @Option(name: .customLong("kronecker-terms"), parsing: .unconditional, help: "r, the Kronecker products summed in MSR-Conv's symmetry matrix U = Σ Aₜ ⊗ Bₜ ⊗ Cₜ (msr-conv, or few-shot --method msr; default 1, the paper's MSR-Conv; at most \(SymmetricConv2d.maximumTerms)). A group's equivariant banks need about |G| terms.")
        var kroneckerTerms: Int?

        @Option(parsing: .unconditional, help: "Tasks to generate (80% train, 20% held out; default 10000, 2000 for 2d_rot8_flip).")
        var tasks: Int?

        @Option(name: .customLong("data-seed"), parsing: .unconditional, help: "Seed of the generated family.")
        var dataSeed: UInt64 = 0

        @Option(help: "Read the family from this .npz file: arrays x (tasks, examples, …input shape) and y (tasks, examples, …target shape), float32 or float64 — flat vectors (tasks, n, d), 1-D signals (tasks, n, c, length) or images (tasks, n, c, h, w).")
        var data: String?

        @Option(name: .customLong("init-symmetry"), help: "Start MSR's U from a constructed symmetry instead of random values (a prior the outer loop can still change): translation (msr-fc); c4, d4, flip, c8-ring, d8-ring (msr-conv-full).")
        var initSymmetry: String?

        @Option(name: .customLong("init-from"), help: "Start from parameters in a safetensors file instead of fresh ones: a U or a whole model, named as `msr export --format torch-reference` writes them (0.warp, 0.A_warp, …) or by this package's keys (symmetryMatrix, …); any subset. Metadata <name>_lr sets inner rates.")
        var initFrom: String?

        @OptionGroup var options: MetaLearningOptions

        @Option(help: "Write a JSON report here (final and periodic figures).")
        var report: String?

        @Option(help: "Save the run here (after each evaluation and at the end).")
        var checkpoint: String?

        @Flag(help: "Continue the run saved in --checkpoint (its configuration is used; --steps may raise the budget).")
        var resume = false

        func validate() throws {
            if resume && checkpoint == nil { throw ValidationError("--resume needs --checkpoint DIR.") }
            if resume && initFrom != nil { throw ValidationError("--init-from starts a new run; --resume continues the checkpoint's parameters. Give one.") }
            if let initSymmetry, !RegressionExperiment.initialSymmetries.contains(initSymmetry) {
                throw ValidationError("--init-symmetry must be one of \(RegressionExperiment.initialSymmetries.joined(separator: ", ")), got \(initSymmetry).")
            }
            if let latentSize, latentSize < 1 { throw ValidationError("--latent-size must be at least 1, got \(latentSize).") }
            if let kroneckerTerms, !(1...SymmetricConv2d.maximumTerms).contains(kroneckerTerms) {
                throw ValidationError("--kronecker-terms must be from 1 to \(SymmetricConv2d.maximumTerms), got \(kroneckerTerms).")
            }
            if let tasks, tasks < RegressionExperiment.minimumTaskCount {
                throw ValidationError("--tasks must be at least \(RegressionExperiment.minimumTaskCount) (the 80/20 split must leave 2 held-out tasks), got \(tasks).")
            }
            switch problem {
            case .fewShot:
                if model != nil { throw ValidationError("--model is for the regression problems; few-shot problems take --method (maml, anil, protonets, msr).") }
                if initSymmetry != nil || data != nil || tasks != nil || latentSize != nil {
                    throw ValidationError("--init-symmetry, --data, --tasks and --latent-size are for the regression problems, not for --problem \(problem).")
                }
                if kroneckerTerms != nil && (fewShot.method ?? .msr) != .msr {
                    throw ValidationError("--kronecker-terms sizes MSR-Conv's U; few-shot --method \((fewShot.method ?? .msr).rawValue) has none (use --method msr).")
                }
                let ignored = options.givenRegressionFlags
                if !ignored.isEmpty {
                    throw ValidationError("\(ignored.joined(separator: ", ")) \(ignored.count == 1 ? "is" : "are") for the regression problems; "
                                          + "few-shot episodes take --shots, --queries and --test-episodes.")
                }
            case .synthetic(let problem):
                if network != nil, let model, model != .network {
                    throw ValidationError("--network describes the model; leave out --model \(model.rawValue) (or give --model network).")
                }
                if model == .network && network == nil { throw ValidationError("--model network needs --network FILE.json.") }
                if problem == .data && data == nil { throw ValidationError("--problem data needs --data FILE.npz.") }
                if (kernelSize != nil || padding != nil) && problem != .data {
                    throw ValidationError("--kernel-size and --padding size the models of a --data family (--problem data), not of --problem \(problem).")
                }
                if kroneckerTerms != nil && network == nil && model != .msrConv {
                    throw ValidationError("--kronecker-terms sizes msr-conv's U; --model \((model ?? .msrFC).rawValue) has none (describe msr-conv2d layers with \"terms\" in --network).")
                }
                if let kernelSize, kernelSize < 1 { throw ValidationError("--kernel-size must be at least 1, got \(kernelSize).") }
                if let padding, padding < 0 { throw ValidationError("--padding must be at least 0, got \(padding).") }
                let model = network != nil ? .network : (model ?? .msrFC)
                guard model == .network || problem.models.contains(model) else {
                    throw ValidationError("--model \(model.rawValue) does not fit --problem \(problem); use one of \(problem.models.map(\.rawValue).joined(separator: ", ")).")
                }
                try fewShot.validateUnused(problem: problem.rawValue)
            }
        }

        func run() throws {
            try DistributedBackend.run(options.distributed) { try run(communicator: $0) }
        }

        func run(communicator: any GradientCommunicator) throws {
            if resume, let checkpoint {
                // The checkpoint says which kind of run it holds; its experiment is used, --steps may raise the budget.
                switch try checkpointKind(in: URL(fileURLWithPath: checkpoint)) {
                case .regression: return try resumeRun(Checkpoint<RegressionExperiment>.self, from: checkpoint, communicator: communicator)
                case .fewShot: return try resumeRun(Checkpoint<FewShotExperiment>.self, from: checkpoint, communicator: communicator)
                }
            }
            switch problem {
            case .fewShot(let dataset):
                var experiment = try fewShot.experiment(dataset: dataset, options: options)
                experiment.training.kroneckerTerms = kroneckerTerms
                try runTraining(experiment, threads: options.threads,
                                report: report, checkpoint: checkpoint, communicator: communicator, initFrom: initFrom)
            case .synthetic(let problem):
                // Paths are stored absolute, so that eval and --resume work from another directory.
                var experiment = RegressionExperiment(problem: problem, model: network != nil ? .network : (model ?? .msrFC),
                                                      latentSize: latentSize, taskCount: tasks, dataSeed: dataSeed,
                                                      dataFile: data.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                                      training: options.configuration)
                experiment.network = try network.map { try NetworkDescription(contentsOf: URL(fileURLWithPath: $0)) }
                experiment.kernelSize = kernelSize
                experiment.padding = padding
                experiment.initialSymmetry = initSymmetry
                experiment.kroneckerTerms = kroneckerTerms
                try runTraining(experiment, threads: options.threads, report: report, checkpoint: checkpoint,
                                communicator: communicator, initFrom: initFrom)
            }
        }

        /// Continues the run saved in `directory`.
        func resumeRun<E: PresentedExperiment>(_: Checkpoint<E>.Type, from directory: String, communicator: any GradientCommunicator) throws {
            let saved = try Checkpoint<E>(contentsOf: URL(fileURLWithPath: directory))
            var experiment = saved.experiment
            if let steps = options.steps {
                guard steps > saved.state.step else {
                    throw ValidationError("\(directory) is at step \(saved.state.step) already; --steps is the total to reach when resuming, so give more than \(saved.state.step).")
                }
                experiment.steps = steps
            }
            if communicator.isLead { print("resuming \(experiment.title) from step \(saved.state.step) of \(directory)") }
            try runTraining(experiment, resuming: saved, threads: options.threads, report: report, checkpoint: directory,
                            communicator: communicator)
        }
    }
}

extension RegressionExperiment: PresentedExperiment {
    func header(_ trainer: MetaTrainer, threads: Int) -> String {
        let c = training
        let testUsed = min(c.testTasks, trainer.testTasks.count)
        return "\(title)\(model == .msrFC && latentSize > 0 ? " (K = \(latentSize))" : ""): "
            + "\(trainer.trainTasks.count) training / \(trainer.testTasks.count) held-out tasks, \(c.steps) steps, "
            + "\(c.firstOrder ? "first" : "second")-order, \(threads) thread\(threads == 1 ? "" : "s")"
            + (testUsed < c.testTasks ? "; evaluating on all \(testUsed) held-out tasks (fewer than --test-tasks \(c.testTasks))" : "")
    }

    func evaluationLine(_ e: Evaluation, stepsPerSecond: Double) -> String {
        "step \(e.step): test mse \(formatLoss(e.test)) (train \(String(format: "%.4f", e.trainLoss)), "
            + "\(String(format: "%.1f", stepsPerSecond)) steps/s)"
    }

    func finalFigures(_ trainer: MetaTrainer, _ metaParameters: Parameters) throws -> FinalFigures {
        FinalFigures(symmetry: SymmetryInspection.inspect(trainer, metaParameters, model: model.rawValue, problem: problem.rawValue))
    }

    func resultLine(_ result: MeanWithInterval) -> String {
        "test mse \(formatLoss(result)) on \(result.count) held-out tasks"
    }

    func speedLine(_ h: TrainingHistory) -> String {
        "\(String(format: "%.1f", h.stepsPerSecond)) steps/s (\(String(format: "%.1f", h.trainingStepsPerSecond)) without evaluations)"
    }

    func figureLines(_ figures: FinalFigures) -> [String] { figures.symmetry.map { [describe($0)] } ?? [] }
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

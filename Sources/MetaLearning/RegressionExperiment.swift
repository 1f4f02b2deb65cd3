import Datasets
import Foundation
import Symmetry
import NeuralNets
import Tensors

/// One run of the paper's 1-D synthetic experiment: which task family, which model, which budget.
/// Stored in checkpoints and reports, so a run can be resumed or evaluated from its checkpoint alone.
public struct RegressionExperiment: Experiment, Equatable {
    public typealias Problem = RegressionProblem
    public static var kind: ExperimentKind { .regression }

    public var problem: SyntheticProblem
    public var model: RegressionModel
    /// MSR's K (columns of the symmetry matrix); the reference uses 3 / 6 / 30 for rank1 / 2 / 5.
    public var latentSize: Int
    /// Tasks in the generated family (the first 80% train, the rest are held out).
    public var taskCount: Int
    /// Seed of the generated family (independent of the training seed).
    public var dataSeed: UInt64
    /// An `.npz` file to read the family from instead of generating it.
    public var dataFile: String?
    public var training: MetaTrainingConfiguration
    /// The network of `model == .network`, as the user described it (`--network FILE.json`).
    public var network: NetworkDescription? = nil
    /// Kernel size and padding of a file family's convolutions, where the shapes alone do not say.
    public var kernelSize: Int? = nil
    public var padding: Int? = nil
    /// A symmetry to start MSR's U from instead of random values (`translation` for MSR-FC): a prior the
    /// outer loop can still change. Nil: the reference initialisation.
    public var initialSymmetry: String? = nil
    /// r of msr-conv's U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ (`--kronecker-terms`); nil is 1, the paper's MSR-Conv (and what
    /// experiments saved before the flag existed hold).
    public var kroneckerTerms: Int? = nil

    public init(problem: SyntheticProblem, model: RegressionModel, latentSize: Int? = nil,
                taskCount: Int? = nil, dataSeed: UInt64 = 0, dataFile: String? = nil,
                training: MetaTrainingConfiguration = MetaTrainingConfiguration()) {
        self.problem = problem
        self.model = model
        self.latentSize = latentSize ?? problem.defaultLatentSize
        self.taskCount = taskCount ?? problem.defaultTaskCount
        self.dataSeed = dataSeed
        self.dataFile = dataFile
        self.training = training
    }

    /// `rank1 msr-fc`: the family (a file family by its file name) and the model.
    public var title: String {
        "\(problem == .data ? URL(fileURLWithPath: dataFile ?? "data").lastPathComponent : problem.rawValue) \(model.rawValue)"
    }


    /// The fewest tasks a generated family may have: the 80/20 split must leave at least 2 held-out tasks
    /// (an interval needs two) and 1 training task.
    public static let minimumTaskCount = 6

    /// The configuration's check, and the experiment's own: K ≥ 0 (0: the model's default from its sizes),
    /// enough tasks for the split.
    public func validate() throws {
        try training.validate()
        try ConfigurationError.require(latentSize, atLeast: 0, "--latent-size")
        if let kroneckerTerms { try ConfigurationError.require(kroneckerTerms, in: 1...SymmetricConv2d.maximumTerms, "--kronecker-terms") }
        if dataFile == nil { try ConfigurationError.require(taskCount, atLeast: Self.minimumTaskCount, "--tasks") }
    }

    /// The model's layer; throws when the model does not fit the problem.
    public func layer(outputChannels: Int? = nil) throws -> any Layer {
        try model.layer(for: problem, latentSize: latentSize, outputChannels: outputChannels, kroneckerTerms: kroneckerTerms ?? 1)
    }

    /// The model's layer for examples of `inputShape` → `targetShape`: a described network, a built-in model
    /// sized by a file family's shapes, or the paper's layer for its synthetic families. Throws, naming the
    /// model and both shapes, when it does not fit.
    public func layer(inputShape: [Int], targetShape: [Int]) throws -> any Layer {
        let description: NetworkDescription
        if model == .network {
            guard let network else { throw ExperimentError.modelDoesNotFitShapes(model: model.rawValue, input: inputShape, target: targetShape,
                                                                                 why: "no network description (--network FILE.json)") }
            description = network
        } else if problem == .data {
            description = try model.description(inputShape: inputShape, targetShape: targetShape, latentSize: latentSize,
                                                kernelSize: kernelSize, padding: padding ?? 0, kroneckerTerms: kroneckerTerms ?? 1)
        } else {
            return try layer(outputChannels: targetShape.first)
        }
        let output = try description.outputShape(inputShape: inputShape)
        guard output == targetShape else { throw ExperimentError.networkOutputShape(output: output, target: targetShape) }
        return try description.network(inputShape: inputShape).simplified
    }

    /// The family's meta-training and held-out tasks (80/20 split), read or generated.
    public func taskFamilies() throws -> (train: any TaskFamily, test: any TaskFamily) {
        func split(_ family: some TaskFamily) throws -> (train: any TaskFamily, test: any TaskFamily) {
            let (train, test) = family.trainTest(fraction: 0.8)
            guard train.count > 0, test.count > 1 else { throw ExperimentError.tooFewTasks(family.count) }
            return (train, test)
        }
        // Read in place (a reference 2-D file of 10,000 tasks holds 17 GB of outputs); compressed files cannot
        // be mapped and are read whole.
        func inPlace<M: TaskFamily, A: TaskFamily>(_ mapped: () throws -> M, orWhole whole: () throws -> A) throws
            -> (train: any TaskFamily, test: any TaskFamily) {
            do { return try split(mapped()) } catch DatasetError.compressedEntry { return try split(whole()) }
        }
        if let rotation = problem.rotation {
            if let dataFile {
                let url = URL(fileURLWithPath: dataFile)
                return try inPlace({ try MappedTaskFamily.syntheticRotation(contentsOf: url, problem: rotation) },
                                   orWhole: { try ArrayTaskFamily.syntheticRotation(contentsOf: url, problem: rotation) })
            }
            // 2-D tasks are made on demand from their index (10,000 tasks of outputs would take 17 GB).
            return try split(SyntheticRotationTasks(problem: rotation, count: taskCount, seed: dataSeed))
        }
        if problem == .scale {
            guard let dataFile else { return try split(SyntheticScaleTasks(count: taskCount, seed: dataSeed)) }
            // Our generator's files (`msr generate --problem 2d_scale`): x (tasks, 20, 1, 32, 32), y (tasks, 20, 9, 24, 24).
            let url = URL(fileURLWithPath: dataFile), shapes = SyntheticScaleTasks(count: 0), n = SyntheticScaleTasks.examplesPerTask
            return try inPlace({ try MappedTaskFamily(contentsOf: url, examplesPerTask: n, inputShape: shapes.inputShape, targetShape: shapes.targetShape) },
                               orWhole: { try ArrayTaskFamily(contentsOf: url, examplesPerTask: n, inputShape: shapes.inputShape, targetShape: shapes.targetShape) })
        }
        if problem == .data {
            guard let dataFile else { throw ExperimentError.unknownProblem("data (without a --data file)") }
            // Any shapes: (tasks, examples, …input) and (tasks, examples, …target).
            let url = URL(fileURLWithPath: dataFile)
            return try inPlace({ try MappedTaskFamily(contentsOf: url) }, orWhole: { try ArrayTaskFamily(contentsOf: url) })
        }
        if let dataFile {
            return try split(ArrayTaskFamily.syntheticTranslation(contentsOf: URL(fileURLWithPath: dataFile)))
        }
        guard let translation = problem.translation else { throw ExperimentError.unknownProblem(problem.rawValue) }
        return try split(SyntheticTranslationTasks(problem: translation, count: taskCount, seed: dataSeed).materialized())
    }

    public func trainer(threads: Int, communicator: any GradientCommunicator = SingleProcess()) throws -> MetaTrainer {
        let (train, test) = try taskFamilies()
        let examples = train.task(at: 0).exampleCount
        guard training.supportCount + training.queryCount <= examples else {
            throw ExperimentError.episodeTooLarge(support: training.supportCount, query: training.queryCount, examples: examples)
        }
        return MetaTrainer(model: try layer(inputShape: train.inputShape, targetShape: train.targetShape), configuration: training,
                           trainTasks: train, testTasks: test, threads: threads, communicator: communicator)
    }
}

extension RegressionExperiment {
    /// The symmetry priors `initialSymmetry` can name.
    public static let initialSymmetries = ["translation"] + FilterBankSymmetry.groupNames

    /// Fresh meta-parameters for `trainer`, with U replaced by the prior when `initialSymmetry` is set:
    /// for `translation`, the first three columns of MSR-FC's U become the one-hot patterns of a 3-tap
    /// convolution (the rest keep their random values); for a filter-bank group (`c4`, `c8-ring`, `flip`,
    /// `d4`, `d8-ring`), the first columns of msr-conv-full's U become the group's orthonormal orbit
    /// indicators (`FilterBankSymmetry.symmetryMatrix`, so U·Uᵀ starts as the group-average projector) and
    /// any further columns start at zero.
    public func initialState(_ trainer: MetaTrainer) throws -> MetaTrainingState {
        var state = trainer.initialState()
        guard let prior = initialSymmetry else { return state }
        if let layer = trainer.model as? DenseSymmetricConv2d, FilterBankSymmetry.groupNames.contains(prior),
           let fieldSize = problem.rotation?.groupOrder {
            let u = state.metaParameters[DenseSymmetricConv2d.symmetryMatrixKey]
            let pattern = try FilterBankSymmetry.symmetryMatrix(named: prior, channels: layer.outputChannels, fieldSize: fieldSize,
                                                                dtype: u.dtype)
            let columns = pattern.shape[1]
            guard columns <= layer.latentSize else {
                throw ExperimentError.priorNeedsLatentSize(prior: prior, columns: columns, latentSize: layer.latentSize)
            }
            let rest = layer.latentSize - columns
            state.metaParameters[DenseSymmetricConv2d.symmetryMatrixKey] = rest == 0 ? pattern
                : Tensor.concatenate([pattern, Tensor.zeros([u.shape[0], rest], dtype: u.dtype)], axis: 1)
            return state
        }
        guard prior == "translation", let layer = trainer.model as? SymmetricLinear else {
            throw ExperimentError.unsupportedPrior(prior: prior, model: model.rawValue)
        }
        let u = state.metaParameters["symmetryMatrix"]
        let taps = min(3, layer.latentSize)
        let pattern = try SymmetryMatrix.convolution1D(inputs: layer.inputFeatures, outputs: layer.outputFeatures,
                                                       kernel: layer.inputFeatures - layer.outputFeatures + 1, dtype: u.dtype)
        let columns = [pattern.sliced(axis: 1, 0..<taps)] + (taps < layer.latentSize ? [u.sliced(axis: 1, taps..<layer.latentSize)] : [])
        state.metaParameters["symmetryMatrix"] = Tensor.concatenate(columns, axis: 1)
        return state
    }
}

/// Errors in setting up an experiment.
public enum ExperimentError: Error, CustomStringConvertible, Equatable {
    case unknownProblem(String)
    case tooFewTasks(Int)
    case episodeTooLarge(support: Int, query: Int, examples: Int)
    case modelDoesNotFit(model: String, problem: String, models: [String])
    case unsupportedPrior(prior: String, model: String)
    case priorNeedsLatentSize(prior: String, columns: Int, latentSize: Int)
    case modelDoesNotFitShapes(model: String, input: [Int], target: [Int], why: String)
    case networkOutputShape(output: [Int], target: [Int])
    case latentSizeTooLarge(latentSize: Int, maximum: Int, model: String)

    public var description: String {
        switch self {
        case .unknownProblem(let p): return "unknown problem ‘\(p)’; expected one of \(SyntheticProblem.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .unsupportedPrior(prior, model):
            return "--init-symmetry \(prior) is not available for \(model); available: translation (msr-fc), "
                + "\(FilterBankSymmetry.groupNames.joined(separator: ", ")) (msr-conv-full; flip, d4, d8-ring on 2d_rot8_flip)"
        case let .priorNeedsLatentSize(prior, columns, latentSize):
            return "--init-symmetry \(prior) needs \(columns) columns of U (the dimension of its equivariant filter banks); "
                + "--latent-size is \(latentSize): give at least \(columns)"
        case let .modelDoesNotFit(model, problem, models):
            return "model \(model) does not fit \(problem); use one of \(models.joined(separator: ", "))"
        case let .modelDoesNotFitShapes(model, input, target, why):
            return "model \(model) does not fit examples of shape \(shapeText(input)) → \(shapeText(target)): \(why)"
        case let .networkOutputShape(output, target):
            return "the described network maps each example to \(shapeText(output)), but the targets are \(shapeText(target))"
        case let .latentSizeTooLarge(latentSize, maximum, model):
            return "--latent-size \(latentSize) exceeds the \(maximum) entries of \(model)'s weight W = reshape(U·v); give at most \(maximum)"
        case .tooFewTasks(let n): return "the family has \(n) tasks; the 80/20 split needs at least 1 training and 2 held-out tasks (\(RegressionExperiment.minimumTaskCount) tasks)"
        case let .episodeTooLarge(support, query, examples):
            return "\(support) support + \(query) query examples per episode exceed the \(examples) examples of each task"
        }
    }
}

/// `(20, 1, 70)`.
func shapeText(_ shape: [Int]) -> String { "(" + shape.map(String.init).joined(separator: ", ") + ")" }

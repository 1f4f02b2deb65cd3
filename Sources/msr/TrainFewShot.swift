import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import NeuralNets
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

    @Option(parsing: .unconditional, help: "N: classes per episode.")
    var ways: Int?

    @Option(parsing: .unconditional, help: "K: support images per class.")
    var shots: Int?

    @Option(parsing: .unconditional, help: "Q: query images per class.")
    var queries: Int?

    @Flag(name: .customLong("augment-queries"), inversion: .prefixedNo,
          help: "Augment each query image (random resized crop, flips, rotation ±30°), never the support images (the paper's Algorithm 2).")
    var augmentQueries: Bool?

    @Option(parsing: .unconditional, help: "Channels of each Conv4 block (default \(MetaLearningOptions.fewShot.width) for Omniglot, 32 for mini-ImageNet; larger for \"MAML (Big)\").")
    var width: Int?

    @Option(help: "Budget: small (the protocol's 5,600 meta-training tasks) or paper (60,000 steps × meta-batch 32).")
    var budget: FewShotBudget?

    @Option(name: .customLong("omniglot"), help: "Omniglot zip archive or folder in Omniglot's layout (repeat for several, e.g. images_background.zip and images_evaluation.zip; default: the built-in subset).")
    var omniglot: [String] = []

    @Option(name: .customLong("omniglot-split"), help: "Meta-train / meta-test alphabets: protocol (the built-in subset's) or background-evaluation (the full data set's 30 / 20 alphabets).")
    var omniglotSplit: FewShotExperiment.OmniglotSplit?

    @Option(name: .customLong("mini-imagenet"), help: "mini-ImageNet root folder (images/ beside train.csv, val.csv, test.csv), for --problem mini-imagenet.")
    var miniImageNet: String?

    @Option(name: .customLong("images"), help: "Folder of image classes, one sub-folder of PNG or JPEG images per class (any size, grey or colour), for --problem images.")
    var images: String?

    @Option(name: .customLong("image-size"), parsing: .unconditional, help: "Side S the images are resized to, S×S (at least 16; default 28, 84 for mini-ImageNet).")
    var imageSize: Int?

    @Option(name: .customLong("image-channels"), parsing: .unconditional, help: "Channels the images are read as, 1 (grey) or 3 (colour), for --problem images (default: inferred from the first image).")
    var imageChannels: Int?

    @Option(name: .customLong("class-split"), help: "Fractions of the classes that meta-train, meta-validate and meta-test, for --problem images (default \(ImageClassSplit.defaultFractions.map { "\($0)" }.joined(separator: ",")); a validation fraction of 0 evaluates periodically on the meta-test classes).")
    var classSplit: String?

    @Option(name: .customLong("split-seed"), parsing: .unconditional, help: "Seed of the shuffle that splits the classes by --class-split (default \(ImageClassSplit.defaultSeed)).")
    var splitSeed: UInt64?

    @Option(name: .customLong("train-classes"), help: "File naming the meta-train class folders, one per line (with --test-classes, instead of --class-split).")
    var trainClasses: String?

    @Option(name: .customLong("validation-classes"), help: "File naming the meta-validation class folders, one per line (optional with --train-classes).")
    var validationClasses: String?

    @Option(name: .customLong("test-classes"), help: "File naming the meta-test class folders, one per line (with --train-classes).")
    var testClasses: String?

    @Option(name: .customLong("test-inner-steps"), parsing: .unconditional, help: "Inner steps at meta-test (default \(MetaLearningOptions.fewShot.testInnerSteps)).")
    var testInnerSteps: Int?

    @Option(name: .customLong("test-episodes"), parsing: .unconditional, help: "Meta-test episodes of the final evaluation (default \(MetaLearningOptions.fewShot.testEpisodes)).")
    var testEpisodes: Int?

    @Option(name: .customLong("validation-episodes"), parsing: .unconditional, help: "Meta-test episodes of each periodic evaluation (default \(MetaLearningOptions.fewShot.validationEpisodes)).")
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
        if images != nil { given.append("--images") }
        if imageSize != nil { given.append("--image-size") }
        given += imageFolderFlags.filter { $0 != "--images" }
        if testInnerSteps != nil { given.append("--test-inner-steps") }
        if testEpisodes != nil { given.append("--test-episodes") }
        if validationEpisodes != nil { given.append("--validation-episodes") }
        return given
    }

    /// Names of the given flags that are for `--problem images` only.
    var imageFolderFlags: [String] {
        [("--images", images != nil), ("--image-channels", imageChannels != nil), ("--class-split", classSplit != nil),
         ("--split-seed", splitSeed != nil), ("--train-classes", trainClasses != nil),
         ("--validation-classes", validationClasses != nil), ("--test-classes", testClasses != nil)]
            .filter(\.1).map(\.0)
    }

    func validateUnused(problem: String) throws {
        let given = givenFlags
        if !given.isEmpty {
            throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "is" : "are") for the few-shot problems (\(FewShotExperiment.Dataset.allCases.map(\.rawValue).joined(separator: ", "))), not for --problem \(problem).")
        }
    }

    /// `--class-split a,b,c` as three numbers (`ImageClassSplit.assign` checks their ranges and sum).
    func classSplitFractions() throws -> [Double]? {
        guard let classSplit else { return nil }
        let parts = classSplit.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let fractions = parts as? [Double] else {
            throw ValidationError("--class-split expects three fractions in [0, 1] adding up to 1 (meta-train,meta-validation,meta-test), e.g. 0.64,0.16,0.20; got '\(classSplit)'.")
        }
        return fractions
    }

    /// The counts (--ways, --shots, …) are checked by `FewShotConfiguration.validate()` when the experiment is
    /// made (`experiment(dataset:options:)`), the check a checkpoint's configuration gets too.
    func validate() throws {
        if let imageChannels, imageChannels != 1 && imageChannels != 3 {
            throw ValidationError("--image-channels must be 1 (grey) or 3 (colour), got \(imageChannels).")
        }
        _ = try classSplitFractions()
        let lists = trainClasses != nil || validationClasses != nil || testClasses != nil
        if lists && (trainClasses == nil || testClasses == nil) {
            throw ValidationError("--train-classes and --test-classes go together (--validation-classes is optional).")
        }
        if lists && (classSplit != nil || splitSeed != nil) {
            throw ValidationError("give either --class-split (and --split-seed) or the class list files, not both.")
        }
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
        if let imageSize { c.imageSize = imageSize }
        if let steps = options.steps { c.steps = steps }
        if let metaBatch = options.metaBatch { c.metaBatchSize = metaBatch }
        if let innerSteps = options.innerSteps { c.innerSteps = innerSteps }
        if let testInnerSteps { c.testInnerSteps = testInnerSteps }
        if let rate = options.innerLearningRate { c.initialInnerLearningRate = rate }
        if let rate = options.outerLearningRate { c.outerLearningRate = rate }
        c.firstOrder = options.firstOrder
        c.evaluationInterval = options.evaluationInterval ?? max(c.steps / 10, 1)
        if let validationEpisodes { c.validationEpisodes = validationEpisodes }
        if let testEpisodes { c.testEpisodes = testEpisodes }
        c.seed = options.seed
        do { try c.validate() } catch let error as ConfigurationError { throw ValidationError(error.description) }
        var sources = omniglot
        var split = ImageClassSplit.default
        if dataset != .images, let flag = imageFolderFlags.first { throw ValidationError("\(flag) needs --problem images.") }
        if dataset != .omniglot && (!omniglot.isEmpty || omniglotSplit != nil) {
            throw ValidationError("--omniglot and --omniglot-split are for --problem omniglot.")
        }
        if dataset != .miniImageNet && miniImageNet != nil { throw ValidationError("--mini-imagenet needs --problem mini-imagenet.") }
        switch dataset {
        case .omniglot:
            break
        case .miniImageNet:
            guard let miniImageNet else {
                throw ValidationError("--problem mini-imagenet needs --mini-imagenet ROOT (a folder with images/ and train.csv, val.csv, test.csv; see README).")
            }
            sources = [miniImageNet]
        case .images:
            guard let images else {
                throw ValidationError("--problem images needs --images DIR (a folder with one sub-folder of PNG or JPEG images per class; see README).")
            }
            // Stored absolute, so that `msr eval` and `--resume` work from another directory.
            let root = URL(fileURLWithPath: images).standardizedFileURL
            let folder = try ImageFolder(root: root)
            sources = [root.path]
            c.imageChannels = try imageChannels ?? folder.inferredChannels()
            if let trainClasses, let testClasses {
                split = try ImageClassSplit(listFiles: URL(fileURLWithPath: trainClasses),
                                            metaValidation: validationClasses.map { URL(fileURLWithPath: $0) },
                                            metaTest: URL(fileURLWithPath: testClasses), of: folder)
            } else {
                split = ImageClassSplit(fractions: try classSplitFractions() ?? ImageClassSplit.defaultFractions,
                                        seed: splitSeed ?? ImageClassSplit.defaultSeed)
            }
            _ = try split.assign(folder.classNames)
        }
        return FewShotExperiment(dataset: dataset, sources: sources, omniglotSplit: omniglotSplit ?? .protocol,
                                 queryAugmentation: (augmentQueries ?? true) ? .protocolDefault : .none, classSplit: split,
                                 training: c)
    }
}

extension FewShotExperiment: PresentedExperiment {
    func header(_ trainer: FewShotTrainer, threads: Int) -> String {
        let c = training
        return "\(title): \(trainer.trainEpisodes.classes.classCount) meta-train / "
            + (trainer.validationEpisodes.map { "\($0.classes.classCount) meta-validation / " } ?? "")
            + "\(trainer.testEpisodes.classes.classCount) meta-test classes, "
            + "\(c.steps) steps × \(c.metaBatchSize) episodes"
            + (c.method.hasInnerLoop ? ", \(c.innerSteps) inner step\(c.innerSteps == 1 ? "" : "s") (\(c.testInnerSteps) at test), \(c.firstOrder ? "first" : "second") order" : "")
            + ", width \(c.width), \(threads) thread\(threads == 1 ? "" : "s")"
    }

    func evaluationLine(_ e: Evaluation, stepsPerSecond: Double) -> String {
        "step \(e.step): \(hasValidationClasses ? "meta-validation" : "meta-test") accuracy \(formatAccuracy(e.test)) (\(e.test.count) episodes; "
            + "train loss \(String(format: "%.3f", e.trainLoss)), accuracy \(String(format: "%.1f%%", 100 * (e.trainMetrics.first ?? .nan))); "
            + "\(String(format: "%.1f", stepsPerSecond * Double(training.metaBatchSize))) tasks/s)"
    }

    /// On Omniglot at 28×28, Lake et al.'s 20 one-shot runs.
    func finalFigures(_ trainer: FewShotTrainer, _ metaParameters: Parameters) throws -> FinalFigures {
        guard dataset == .omniglot && training.imageSize == 28 else { return FinalFigures() }
        return FinalFigures(oneShotRuns: trainer.evaluate(metaParameters, oneShotRuns: try OmniglotOneShotRuns.builtIn()))
    }

    func resultLine(_ result: MeanWithInterval) -> String {
        "meta-test accuracy \(formatAccuracy(result)) on \(result.count) episodes"
    }

    func speedLine(_ h: TrainingHistory) -> String { "\(String(format: "%.1f", h.tasksPerSecond)) meta-training tasks/s" }

    func figureLines(_ figures: FinalFigures) -> [String] {
        guard let oneShot = figures.oneShotRuns else { return [] }
        return ["Lake et al.'s 20 one-shot runs (20-way 1-shot): \(formatAccuracy(oneShot.accuracy)) (humans: \(String(format: "%.1f%%", 100 * oneShot.humanAccuracy)))"]
    }
}

/// `87.3 ± 0.5%` from a fraction.
func formatAccuracy(_ m: MeanWithInterval) -> String {
    String(format: "%.1f ± %.1f%%", 100 * m.mean, 100 * m.halfWidth95)
}


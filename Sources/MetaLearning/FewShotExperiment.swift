import Datasets
import Foundation

/// One few-shot run: which images, which classes meta-train, meta-validate and meta-test, which augmentation,
/// and the method with its hyper-parameters (`FewShotConfiguration`). Stored in checkpoints and reports, so a run can
/// be resumed or evaluated from its checkpoint alone.
public struct FewShotExperiment: Experiment, Equatable {
    public typealias Problem = FewShotProblem
    public static var kind: ExperimentKind { .fewShot }

    /// Where the images come from.
    public enum Dataset: String, Codable, Sendable, CaseIterable {
        /// Omniglot: the built-in subset, or the user's zips / folders in Omniglot's layout.
        case omniglot
        /// mini-ImageNet in the usual `images/` + `train.csv`/`val.csv`/`test.csv` layout.
        case miniImageNet = "mini-imagenet"
        /// Any folder of image classes, one sub-folder of PNG or JPEG images per class (`ImageFolder`), its
        /// classes split by `classSplit`.
        case images
    }

    /// How Omniglot's characters are split between meta-training and meta-test (both by alphabet).
    public enum OmniglotSplit: String, Codable, Sendable, CaseIterable {
        /// The few-shot protocol's alphabets of the shipped subset (`Omniglot.protocolMetaTrainAlphabets`,
        /// `protocolMetaTestAlphabets`): 796 and 172 classes with the four quarter turns.
        case `protocol`
        /// Lake et al.'s split of the full data set: the 30 background alphabets meta-train, the 20
        /// evaluation alphabets meta-test (needs `images_background` and `images_evaluation`).
        case backgroundEvaluation = "background-evaluation"
    }

    public var dataset: Dataset
    /// Omniglot: zip archives or folders in Omniglot's layout (empty: the built-in subset); mini-ImageNet and
    /// image folders: the root folder (one entry).
    public var sources: [String]
    public var omniglotSplit: OmniglotSplit
    /// Quarter turns of each Omniglot character that are classes of their own (the protocol: 0, 1, 2, 3).
    public var rotations: [Int]
    /// Applied to each query image, never to a support image, in meta-training and meta-test alike (the
    /// paper's Algorithm 2); `.none` for the runs without augmentation.
    public var queryAugmentation: ImageAugmentation
    /// Image folders: which classes meta-train, meta-validate and meta-test (absent from checkpoints written
    /// before image folders existed: `ImageClassSplit.default`).
    public var classSplit: ImageClassSplit
    public var training: FewShotConfiguration

    public init(dataset: Dataset = .omniglot, sources: [String] = [], omniglotSplit: OmniglotSplit = .protocol,
                rotations: [Int] = [0, 1, 2, 3], queryAugmentation: ImageAugmentation = .protocolDefault,
                classSplit: ImageClassSplit = .default, training: FewShotConfiguration) {
        self.dataset = dataset
        self.sources = sources
        self.omniglotSplit = omniglotSplit
        self.rotations = rotations
        self.queryAugmentation = queryAugmentation
        self.classSplit = classSplit
        self.training = training
    }

    /// Decodes an experiment, including those of checkpoints written before `classSplit` existed.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        dataset = try container.decode(Dataset.self, forKey: .dataset)
        sources = try container.decode([String].self, forKey: .sources)
        omniglotSplit = try container.decode(OmniglotSplit.self, forKey: .omniglotSplit)
        rotations = try container.decode([Int].self, forKey: .rotations)
        queryAugmentation = try container.decode(ImageAugmentation.self, forKey: .queryAugmentation)
        classSplit = try container.decodeIfPresent(ImageClassSplit.self, forKey: .classSplit) ?? .default
        training = try container.decode(FewShotConfiguration.self, forKey: .training)
    }

    /// A one-line description, e.g. `Aug-Omniglot 5-way 1-shot msr`.
    public var title: String {
        let data: String
        switch dataset {
        case .omniglot: data = "Omniglot"
        case .miniImageNet: data = "MiniImagenet"
        case .images: data = "Images(\(sources.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? ""))"
        }
        let prefix = queryAugmentation.isNone ? "" : "Aug-"
        return "\(prefix)\(data) \(training.ways)-way \(training.shots)-shot \(training.method.rawValue)"
            + (training.firstOrder && training.method.hasInnerLoop ? " (first order)" : "")
    }


    /// The class sources of meta-training, meta-validation (nil: none; periodic evaluations then use the
    /// meta-test classes) and meta-test.
    public func classSources() throws
        -> (metaTrain: any FewShotClassSource, metaValidation: (any FewShotClassSource)?, metaTest: any FewShotClassSource) {
        switch dataset {
        case .omniglot:
            let urls = sources.isEmpty ? try Omniglot.defaultSources() : sources.map { URL(fileURLWithPath: $0) }
            let omniglot = try Omniglot.cached(sources: urls, imageSize: training.imageSize)
            switch omniglotSplit {
            case .protocol:
                let split = try omniglot.protocolSplit(rotations: rotations)
                return (split.metaTrain, nil, split.metaTest)
            case .backgroundEvaluation:
                let test = Omniglot.evaluationAlphabets
                let train = omniglot.alphabets.filter { !test.contains($0) }
                return (try omniglot.classes(alphabets: train, rotations: rotations), nil,
                        try omniglot.classes(alphabets: test, rotations: rotations))
            }
        case .miniImageNet:
            guard sources.count == 1 else { throw FewShotExperimentError.miniImageNetRoot(sources) }
            let root = URL(fileURLWithPath: sources[0])
            return (try MiniImageNet(root: root, split: .train, imageSize: training.imageSize),
                    try MiniImageNet(root: root, split: .val, imageSize: training.imageSize),
                    try MiniImageNet(root: root, split: .test, imageSize: training.imageSize))
        case .images:
            guard sources.count == 1 else { throw FewShotExperimentError.imageFolderRoot(sources) }
            let folder = try ImageFolder(root: URL(fileURLWithPath: sources[0]))
            let parts = try classSplit.assign(folder.classNames)
            let c = training
            func classes(_ names: [String], _ part: String) throws -> ImageClasses {
                let classes = try folder.classes(named: names, channels: c.imageChannels, imageSize: c.imageSize)
                try classes.requireEpisodes(ways: c.ways, imagesPerClass: c.shots + c.queries, source: "\(folder.root.path) (\(part) classes)")
                return classes
            }
            return (try classes(parts.metaTrain, "meta-train"),
                    parts.metaValidation.isEmpty ? nil : try classes(parts.metaValidation, "meta-validation"),
                    try classes(parts.metaTest, "meta-test"))
        }
    }

    /// Whether the periodic evaluations use meta-validation classes: mini-ImageNet's `val.csv`, an image
    /// folder whose split has a meta-validation part (listing the folder, decoding nothing); never Omniglot.
    public var hasValidationClasses: Bool {
        switch dataset {
        case .omniglot: return false
        case .miniImageNet: return true
        case .images:
            guard sources.count == 1, let folder = try? ImageFolder(root: URL(fileURLWithPath: sources[0])) else { return false }
            return (try? classSplit.assign(folder.classNames))?.metaValidation.isEmpty == false
        }
    }

    /// The trainer: episodes of `training.ways`-way `training.shots`-shot with `training.queries` queries per
    /// class from the class sources, queries augmented by `queryAugmentation`.
    public func trainer(threads: Int, communicator: any GradientCommunicator = SingleProcess()) throws -> FewShotTrainer {
        let (metaTrain, metaValidation, metaTest) = try classSources()
        let c = training
        func sampler(_ classes: any FewShotClassSource) throws -> FewShotEpisodeSampler {
            try FewShotEpisodeSampler(classes: classes, ways: c.ways, shots: c.shots, queries: c.queries,
                                      queryAugmentation: queryAugmentation)
        }
        return FewShotTrainer(configuration: c, trainEpisodes: try sampler(metaTrain),
                              validationEpisodes: try metaValidation.map(sampler), testEpisodes: try sampler(metaTest),
                              threads: threads, communicator: communicator)
    }
}

extension Omniglot {
    /// The 20 alphabets of Omniglot's evaluation set (`images_evaluation`), Lake et al.'s meta-test alphabets.
    public static let evaluationAlphabets = [
        "Angelic", "Atemayar_Qelisayer", "Atlantean", "Aurek-Besh", "Avesta", "Ge_ez", "Glagolitic", "Gurmukhi",
        "Kannada", "Keble", "Malayalam", "Manipuri", "Mongolian", "Old_Church_Slavonic_(Cyrillic)", "Oriya",
        "Sylheti", "Syriac_(Serto)", "Tengwar", "Tibetan", "ULOG",
    ]
}

/// The few-shot budgets of `msr reproduce table3` and `msr train --budget`.
public enum FewShotBudget: String, Codable, Sendable, CaseIterable {
    /// The few-shot protocol's budget: 5,600 meta-training tasks (700 outer steps × 8, ProtoNets 5,600 × 1).
    case small
    /// The paper's: 60,000 outer steps × meta-batch 32 for the methods with an inner loop, as MAML's Omniglot
    /// setup; 60,000 episodes for ProtoNets.
    case paper

    /// Sets the steps and meta-batch of `configuration` for this budget.
    public func apply(to configuration: inout FewShotConfiguration) {
        let inner = configuration.method.hasInnerLoop
        switch self {
        case .small:
            configuration.metaBatchSize = inner ? 8 : 1
            configuration.steps = inner ? 700 : 5600
        case .paper:
            configuration.metaBatchSize = inner ? 32 : 1
            configuration.steps = 60_000
        }
    }
}

public enum FewShotExperimentError: Error, CustomStringConvertible, Equatable {
    case miniImageNetRoot([String])
    case imageFolderRoot([String])

    public var description: String {
        switch self {
        case .miniImageNetRoot(let given):
            return "mini-ImageNet needs exactly one root folder (images/ beside train.csv, val.csv, test.csv), got \(given.isEmpty ? "none" : given.joined(separator: ", "))"
        case .imageFolderRoot(let given):
            return "an image class set needs exactly one folder (one sub-folder of PNG or JPEG images per class), got \(given.isEmpty ? "none" : given.joined(separator: ", "))"
        }
    }
}

import Datasets
import Foundation

/// One few-shot run: which images, which classes meta-train and meta-test, which augmentation, and the
/// method with its hyper-parameters (`FewShotConfiguration`). Stored in checkpoints and reports, so a run can
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
    /// Omniglot: zip archives or folders in Omniglot's layout (empty: the built-in subset); mini-ImageNet: the
    /// root folder (one entry).
    public var sources: [String]
    public var omniglotSplit: OmniglotSplit
    /// Quarter turns of each Omniglot character that are classes of their own (the protocol: 0, 1, 2, 3).
    public var rotations: [Int]
    /// Applied to each query image, never to a support image, in meta-training and meta-test alike (the
    /// paper's Algorithm 2); `.none` for the runs without augmentation.
    public var queryAugmentation: ImageAugmentation
    public var training: FewShotConfiguration

    public init(dataset: Dataset = .omniglot, sources: [String] = [], omniglotSplit: OmniglotSplit = .protocol,
                rotations: [Int] = [0, 1, 2, 3], queryAugmentation: ImageAugmentation = .protocolDefault,
                training: FewShotConfiguration) {
        self.dataset = dataset
        self.sources = sources
        self.omniglotSplit = omniglotSplit
        self.rotations = rotations
        self.queryAugmentation = queryAugmentation
        self.training = training
    }

    /// A one-line description, e.g. `Aug-Omniglot 5-way 1-shot msr`.
    public var title: String {
        let data = dataset == .omniglot ? "Omniglot" : "MiniImagenet"
        let prefix = queryAugmentation.isNone ? "" : "Aug-"
        return "\(prefix)\(data) \(training.ways)-way \(training.shots)-shot \(training.method.rawValue)"
            + (training.firstOrder && training.method.hasInnerLoop ? " (first order)" : "")
    }

    public var steps: Int {
        get { training.steps }
        set { training.steps = newValue }
    }

    public var testEpisodes: Int {
        get { training.testEpisodes }
        set { training.testEpisodes = newValue }
    }

    /// The meta-training and meta-test class sources.
    public func classSources() throws -> (metaTrain: any FewShotClassSource, metaTest: any FewShotClassSource) {
        switch dataset {
        case .omniglot:
            let urls = sources.isEmpty ? try Omniglot.defaultSources() : sources.map { URL(fileURLWithPath: $0) }
            let omniglot = try Omniglot.cached(sources: urls, imageSize: training.imageSize)
            switch omniglotSplit {
            case .protocol:
                let split = try omniglot.protocolSplit(rotations: rotations)
                return (split.metaTrain, split.metaTest)
            case .backgroundEvaluation:
                let test = Omniglot.evaluationAlphabets
                let train = omniglot.alphabets.filter { !test.contains($0) }
                return (try omniglot.classes(alphabets: train, rotations: rotations),
                        try omniglot.classes(alphabets: test, rotations: rotations))
            }
        case .miniImageNet:
            guard sources.count == 1 else { throw FewShotExperimentError.miniImageNetRoot(sources) }
            let root = URL(fileURLWithPath: sources[0])
            return (try MiniImageNet(root: root, split: .train, imageSize: training.imageSize),
                    try MiniImageNet(root: root, split: .test, imageSize: training.imageSize))
        }
    }

    /// The trainer: episodes of `training.ways`-way `training.shots`-shot with `training.queries` queries per
    /// class from the two class sources, queries augmented by `queryAugmentation`.
    public func trainer(threads: Int, communicator: any GradientCommunicator = SingleProcess()) throws -> FewShotTrainer {
        let (metaTrain, metaTest) = try classSources()
        let c = training
        return FewShotTrainer(
            configuration: c,
            trainEpisodes: try FewShotEpisodeSampler(classes: metaTrain, ways: c.ways, shots: c.shots, queries: c.queries,
                                                     queryAugmentation: queryAugmentation),
            testEpisodes: try FewShotEpisodeSampler(classes: metaTest, ways: c.ways, shots: c.shots, queries: c.queries,
                                                    queryAugmentation: queryAugmentation),
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

    public var description: String {
        switch self {
        case .miniImageNetRoot(let given):
            return "mini-ImageNet needs exactly one root folder (images/ beside train.csv, val.csv, test.csv), got \(given.isEmpty ? "none" : given.joined(separator: ", "))"
        }
    }
}

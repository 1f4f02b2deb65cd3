import Datasets
import NeuralNets
import Tensors

/// Few-shot classification: episodes of N classes from the meta-train, meta-validation (optional) and
/// meta-test samplers, the method's query cross-entropy after adaptation as the objective (`FewShotLearner`:
/// MAML, ANIL, MSR, or ProtoNets without an inner loop), query accuracy as the training metric and the
/// held-out metric. Periodic evaluations draw from the meta-validation classes where there are any (image
/// folders, mini-ImageNet's `val.csv`), otherwise from the meta-test classes (Omniglot); the final evaluation
/// always from the meta-test classes. Query augmentation is whatever the samplers apply (the protocol: each
/// query image, never a support image, in meta-training and meta-test alike).
public struct FewShotProblem: MetaLearningProblem {
    public var learner: FewShotLearner
    public var trainEpisodes: FewShotEpisodeSampler
    /// The periodic evaluations' episodes; nil: they come from `testEpisodes`.
    public var validationEpisodes: FewShotEpisodeSampler?
    public var testEpisodes: FewShotEpisodeSampler

    public init(learner: FewShotLearner, trainEpisodes: FewShotEpisodeSampler, validationEpisodes: FewShotEpisodeSampler? = nil,
                testEpisodes: FewShotEpisodeSampler) {
        self.learner = learner
        self.trainEpisodes = trainEpisodes
        self.validationEpisodes = validationEpisodes
        self.testEpisodes = testEpisodes
    }

    public var trainingMetricNames: [String] { ["accuracy"] }
    public var evaluationMetricName: String { "accuracy" }

    public func initialMetaParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        learner.initialMetaParameters(dtype: dtype, using: &generator)
    }

    /// One seed per episode, in order; the episode's classes, images and augmentation come from it.
    public func trainingDraws(count: Int, using generator: inout SplitMix64) -> [EpisodeDraw] {
        (0..<count).map { _ in generator.next() }.enumerated().map { EpisodeDraw(task: $0, generator: SplitMix64(seed: $1)) }
    }

    /// Meta-test episode i comes from the evaluation's generator for i.
    public func evaluationDraws(count: Int, generator: (Int) -> SplitMix64) -> [EpisodeDraw] {
        (0..<count).map { EpisodeDraw(task: $0, generator: generator($0)) }
    }

    public func trainingEpisode(_ draw: EpisodeDraw) throws -> FewShotEpisode {
        var g = draw.generator
        return try trainEpisodes.episode(using: &g)
    }

    /// A meta-test episode.
    public func evaluationEpisode(_ draw: EpisodeDraw) throws -> FewShotEpisode {
        try evaluationEpisode(draw, stage: .final)
    }

    /// A meta-validation episode for `.periodic` when there are validation classes, otherwise a meta-test one
    /// (from the same generator: the draw decides the episode, the stage only the classes).
    public func evaluationEpisode(_ draw: EpisodeDraw, stage: EvaluationStage) throws -> FewShotEpisode {
        var g = draw.generator
        let sampler = stage == .periodic ? validationEpisodes ?? testEpisodes : testEpisodes
        return try sampler.episode(using: &g)
    }

    public var hasValidationTasks: Bool { validationEpisodes != nil }

    public func queryObjectives(_ metaParameters: Parameters, _ episodes: [FewShotEpisode]) -> [QueryObjective] {
        episodes.map {
            let (loss, accuracy) = learner.queryLoss(metaParameters, $0)
            return QueryObjective(loss: loss, metrics: [accuracy])
        }
    }

    public func evaluationMetrics(_ metaParameters: Parameters, _ episodes: [FewShotEpisode]) -> [Double] {
        episodes.map { learner.testAccuracy(metaParameters, $0) }
    }
}

/// Accuracy on Lake et al.'s 20 one-shot runs (20-way 1-shot), beside the human figure (95.5%).
public struct OneShotRunsResult: Codable, Sendable, Equatable {
    /// Mean accuracy over the runs, as a fraction, with its 95% interval over runs.
    public var accuracy: MeanWithInterval
    /// Each run's accuracy, in the runs' order.
    public var perRun: [Double]
    public var humanAccuracy: Double

    public init(accuracy: MeanWithInterval, perRun: [Double], humanAccuracy: Double = OmniglotOneShotRuns.humanAccuracy) {
        self.accuracy = accuracy
        self.perRun = perRun
        self.humanAccuracy = humanAccuracy
    }
}

/// The trainer of few-shot classification.
public typealias FewShotTrainer = Trainer<FewShotProblem>

extension Trainer where Problem == FewShotProblem {
    public init(configuration: FewShotConfiguration, trainEpisodes: FewShotEpisodeSampler,
                validationEpisodes: FewShotEpisodeSampler? = nil, testEpisodes: FewShotEpisodeSampler,
                threads: Int = availableProcessorCount, communicator: any GradientCommunicator = SingleProcess()) {
        self.init(problem: FewShotProblem(learner: FewShotLearner(configuration: configuration), trainEpisodes: trainEpisodes,
                                          validationEpisodes: validationEpisodes, testEpisodes: testEpisodes),
                  schedule: configuration.schedule, threads: threads, communicator: communicator)
    }

    public var learner: FewShotLearner { problem.learner }
    public var configuration: FewShotConfiguration { problem.learner.configuration }
    public var trainEpisodes: FewShotEpisodeSampler { problem.trainEpisodes }
    public var validationEpisodes: FewShotEpisodeSampler? { problem.validationEpisodes }
    public var testEpisodes: FewShotEpisodeSampler { problem.testEpisodes }

    /// Accuracy on the given episodes, e.g. the 20 official one-shot runs (`OmniglotOneShotRuns.runs`).
    /// A model trained for another N is evaluated with a zero-initialised N-way head (see
    /// `FewShotLearner.metaParameters(_:forWays:)`).
    public func evaluate(_ metaParameters: Parameters, on episodes: [FewShotEpisode]) -> [Double] {
        let frozen = metaParameters.detached()
        return communicator.distributedMap(episodes.count, threads: threads) { problem.learner.testAccuracy(frozen, episodes[$0]) }
    }

    /// Accuracy on Lake et al.'s 20 one-shot runs (20-way 1-shot) beside the human 95.5%.
    public func evaluate(_ metaParameters: Parameters, oneShotRuns: OmniglotOneShotRuns) -> OneShotRunsResult {
        let perRun = evaluate(metaParameters, on: oneShotRuns.runs)
        return OneShotRunsResult(accuracy: MeanWithInterval(perRun), perRun: perRun)
    }
}

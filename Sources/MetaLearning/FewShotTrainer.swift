import Datasets
import Foundation
import NeuralNets
import Tensors

/// One held-out evaluation during few-shot meta-training.
public struct FewShotEvaluation: Codable, Sendable, Equatable {
    /// Outer steps completed when it was taken.
    public var step: Int
    /// Mean query accuracy over the meta-test episodes, as a fraction, with its 95% interval.
    public var testAccuracy: MeanWithInterval
    /// Mean query loss and accuracy of the meta-training episodes since the previous evaluation.
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// Seconds since the run (or the resumed part of it) started.
    public var elapsedSeconds: Double

    public init(step: Int, testAccuracy: MeanWithInterval, trainLoss: Double, trainAccuracy: Double, elapsedSeconds: Double) {
        self.step = step
        self.testAccuracy = testAccuracy
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.elapsedSeconds = elapsedSeconds
    }
}

/// What a few-shot meta-training loop did.
public struct FewShotTrainingHistory: Sendable {
    public var evaluations: [FewShotEvaluation] = []
    /// Outer steps and meta-training tasks run by this call (not counting those before a resume).
    public var stepsRun = 0
    public var tasksRun = 0
    /// Wall time of this call, and the part spent in evaluations.
    public var wallSeconds = 0.0
    public var evaluationSeconds = 0.0
    /// True when `shouldStop` ended the loop early.
    public var interrupted = false

    /// Meta-training tasks per second of the training steps alone (sampling, augmentation, forward, backward
    /// and Adam; evaluations left out), as the protocol's PyTorch figures count them.
    public var tasksPerSecond: Double {
        wallSeconds - evaluationSeconds > 0 ? Double(tasksRun) / (wallSeconds - evaluationSeconds) : 0
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

/// Meta-trains and evaluates a few-shot method on episodes from two samplers (meta-train and meta-test
/// classes). Query augmentation is whatever the samplers apply (the protocol: each query image, never a
/// support image, in meta-training and meta-test alike).
///
/// The tasks of a meta-batch run in parallel (`parallelMap`), and their gradients are summed in task order.
/// Randomness is a function of (seed, step) only (the episodes of step t come from a generator seeded by
/// (seed, t); the meta-test episodes from (seed, index)), so results do not depend on the thread count and
/// a resumed run continues exactly.
public struct FewShotTrainer: Sendable {
    public var learner: FewShotLearner
    public var trainEpisodes: FewShotEpisodeSampler
    public var testEpisodes: FewShotEpisodeSampler
    public var threads: Int
    /// The ranks that share each meta-batch and each evaluation (data-parallel; see `GradientCommunicator`).
    public var communicator: any GradientCommunicator

    public init(configuration: FewShotConfiguration, trainEpisodes: FewShotEpisodeSampler,
                testEpisodes: FewShotEpisodeSampler, threads: Int = availableProcessorCount,
                communicator: any GradientCommunicator = SingleProcess()) {
        self.learner = FewShotLearner(configuration: configuration)
        self.trainEpisodes = trainEpisodes
        self.testEpisodes = testEpisodes
        self.threads = threads
        self.communicator = communicator
    }

    public var configuration: FewShotConfiguration { learner.configuration }

    public var optimizer: Adam { Adam(learningRate: configuration.outerLearningRate) }

    /// Fresh meta-parameters drawn from the seed.
    public func initialState(dtype: DType = .float32) -> MetaTrainingState {
        var g = SplitMix64(seed: configuration.seed ^ 0x1111_2222_3333_4444)
        return MetaTrainingState(metaParameters: learner.initialMetaParameters(dtype: dtype, using: &g))
    }

    /// A generator for one purpose at one index, independent of every other (seed, purpose, index).
    func generator(_ purpose: UInt64, _ index: Int) -> SplitMix64 {
        var g = SplitMix64(seed: configuration.seed &* 0x9E37_79B9_7F4A_7C15 ^ purpose)
        for _ in 0..<2 { _ = g.next() }
        return SplitMix64(seed: g.next() ^ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
    }

    /// The `configuration.metaBatchSize` meta-training episodes of outer step `step`.
    public func trainingEpisodes(step: Int) throws -> [FewShotEpisode] {
        var g = generator(1, step)
        let seeds = (0..<configuration.metaBatchSize).map { _ in g.next() }
        return try seeds.map { var eg = SplitMix64(seed: $0); return try trainEpisodes.episode(using: &eg) }
    }

    /// The meta-gradient of the summed query losses of one meta-batch, with the batch's mean query loss and
    /// accuracy. Episodes are drawn and augmented inside the parallel part.
    public func metaGradient(_ metaParameters: Parameters, step: Int) throws
        -> (gradient: Parameters, meanQueryLoss: Double, meanQueryAccuracy: Double) {
        let r = try metaGradient(metaParameters, step: step, stopRequested: false)
        return (r.gradient, r.meanQueryLoss, r.meanQueryAccuracy)
    }

    /// The meta-gradient of one meta-batch. With several ranks, this rank computes the episodes it owns and
    /// one all-reduce (`MetaBatchExchange`) gives every rank the whole batch's sum in task order; `stop` is
    /// true when any rank passed `stopRequested`.
    func metaGradient(_ metaParameters: Parameters, step: Int, stopRequested: Bool) throws
        -> (gradient: Parameters, meanQueryLoss: Double, meanQueryAccuracy: Double, stop: Bool) {
        var g = generator(1, step)
        let seeds = (0..<configuration.metaBatchSize).map { _ in g.next() }
        let keys = metaParameters.keys
        let owned = communicator.ownedTasks(of: seeds.count)
        let perTask = parallelMap(owned.count, threads: threads) { o -> Result<([Tensor], Double, Double), Error> in
            Result {
                var eg = SplitMix64(seed: seeds[owned[o]])
                let episode = try trainEpisodes.episode(using: &eg)
                let leaves = metaParameters.requiringGradient()
                let (loss, accuracy) = learner.queryLoss(leaves, episode)
                return (gradients(of: loss, wrt: keys.map { leaves[$0] }), loss.item, accuracy)
            }
        }
        // A rank whose episode failed (e.g. an unreadable image) ends the job: the others wait in the all-reduce.
        let results = try perTask.map { try $0.get() }
        let total: [Tensor], metrics: [[Double]], stop: Bool
        if communicator.size == 1 {
            // Sum in task order (independent of the thread count).
            total = keys.indices.map { j in MetaTrainer.sumInOrder(results.map { $0.0[j] }) }
            (metrics, stop) = (results.map { [$0.1, $0.2] }, stopRequested)
        } else {
            let exchange = MetaBatchExchange(template: keys.map { metaParameters[$0] }, taskCount: seeds.count, metricCount: 2,
                                             limitBytes: communicator.exactExchangeLimitBytes)
            let r = exchange.combine(zip(owned, results).map { (task: $0, gradients: $1.0, metrics: [$1.1, $1.2]) },
                                     stopRequested: stopRequested, communicator: communicator)
            (total, metrics, stop) = (r.gradient, r.metrics, r.stop)
        }
        let count = Double(metrics.count)
        return (Parameters(Dictionary(uniqueKeysWithValues: zip(keys, total))),
                metrics.map { $0[0] }.reduce(0, +) / count, metrics.map { $0[1] }.reduce(0, +) / count, stop)
    }

    /// One outer step: meta-gradient, then Adam. Returns the meta-batch's mean query loss and accuracy.
    @discardableResult
    public func step(_ state: inout MetaTrainingState) throws -> (loss: Double, accuracy: Double) {
        let r = try step(&state, stopRequested: false)
        return (r.loss, r.accuracy)
    }

    /// One outer step that also tells whether any rank asked to stop (carried by the step's all-reduce).
    func step(_ state: inout MetaTrainingState, stopRequested: Bool) throws -> (loss: Double, accuracy: Double, stop: Bool) {
        let (gradient, loss, accuracy, stop) = try metaGradient(state.metaParameters, step: state.step, stopRequested: stopRequested)
        optimizer.update(&state.metaParameters, gradients: gradient, state: &state.optimizer)
        state.step += 1
        return (loss, accuracy, stop)
    }

    /// Mean query accuracy over `episodeCount` meta-test episodes (default `configuration.testEpisodes`),
    /// each adapted with `configuration.testInnerSteps` inner steps, with its 95% interval. The same
    /// episodes every time (they depend on the seed only); the meta-parameters are not changed.
    public func evaluate(_ metaParameters: Parameters, episodeCount: Int? = nil) throws -> MeanWithInterval {
        let count = episodeCount ?? configuration.testEpisodes
        let frozen = metaParameters.detached()
        var failure: Error?
        let lock = NSLock()
        // Each rank adapts to the episodes it owns; one all-reduce gathers the accuracies (exactly).
        let accuracies = communicator.distributedMap(count, threads: threads) { i -> Double in
            do {
                var g = generator(2, i)
                return learner.testAccuracy(frozen, try testEpisodes.episode(using: &g))
            } catch {
                lock.withLock { if failure == nil { failure = error } }
                return .nan
            }
        }
        if let failure { throw failure }
        return MeanWithInterval(accuracies)
    }

    /// Accuracy on the given episodes, e.g. the 20 official one-shot runs (`OmniglotOneShotRuns.runs`).
    /// A model trained for another N is evaluated with a zero-initialised N-way head (see
    /// `FewShotLearner.metaParameters(_:forWays:)`).
    public func evaluate(_ metaParameters: Parameters, on episodes: [FewShotEpisode]) -> [Double] {
        let frozen = metaParameters.detached()
        return communicator.distributedMap(episodes.count, threads: threads) { learner.testAccuracy(frozen, episodes[$0]) }
    }

    /// Accuracy on Lake et al.'s 20 one-shot runs (20-way 1-shot) beside the human 95.5%.
    public func evaluate(_ metaParameters: Parameters, oneShotRuns: OmniglotOneShotRuns) -> OneShotRunsResult {
        let perRun = evaluate(metaParameters, on: oneShotRuns.runs)
        return OneShotRunsResult(accuracy: MeanWithInterval(perRun), perRun: perRun)
    }

    /// Whether the loop evaluates after `completed` steps: every `evaluationInterval` steps when it is
    /// positive, and after the last step.
    public func evaluatesAfter(_ completed: Int) -> Bool {
        completed == configuration.steps
            || (configuration.evaluationInterval > 0 && completed % configuration.evaluationInterval == 0)
    }

    /// Meta-trains from `state` until `configuration.steps` outer steps are done. Evaluations on the
    /// schedule of `evaluatesAfter` use `configuration.validationEpisodes` meta-test episodes (run the
    /// final `evaluate(_:)` over `testEpisodes` separately).
    ///
    /// - Parameters:
    ///   - onStep: called after every step with the state and the meta-batch's mean query loss and accuracy.
    ///   - onEvaluation: called after every evaluation (write reports and checkpoints here).
    ///   - shouldStop: polled before every step; returning true ends the loop (e.g. on SIGINT).
    public func train(_ state: inout MetaTrainingState,
                      onStep: (MetaTrainingState, Double, Double) -> Void = { _, _, _ in },
                      onEvaluation: (MetaTrainingState, FewShotEvaluation) -> Void = { _, _ in },
                      shouldStop: () -> Bool = { false }) throws -> FewShotTrainingHistory {
        var history = FewShotTrainingHistory()
        let start = Date()
        var lossSum = 0.0, accuracySum = 0.0, count = 0
        let distributed = communicator.size > 1
        while state.step < configuration.steps {
            // One process stops before the step; several agree through the step's own all-reduce and stop
            // after it, all at the same step.
            let stopHere = shouldStop()
            if stopHere && !distributed { history.interrupted = true; break }
            let (loss, accuracy, stopAll) = try step(&state, stopRequested: stopHere)
            DeadRankTestHook.afterStep(state.step, rank: communicator.rank)
            history.stepsRun += 1
            history.tasksRun += configuration.metaBatchSize
            lossSum += loss; accuracySum += accuracy; count += 1
            onStep(state, loss, accuracy)
            if evaluatesAfter(state.step) {
                let t0 = Date()
                let result = try evaluate(state.metaParameters, episodeCount: configuration.validationEpisodes)
                history.evaluationSeconds += Date().timeIntervalSince(t0)
                let e = FewShotEvaluation(step: state.step, testAccuracy: result,
                                          trainLoss: lossSum / Double(max(count, 1)),
                                          trainAccuracy: accuracySum / Double(max(count, 1)),
                                          elapsedSeconds: Date().timeIntervalSince(start))
                lossSum = 0; accuracySum = 0; count = 0
                history.evaluations.append(e)
                onEvaluation(state, e)
            }
            if stopAll { history.interrupted = true; break }
        }
        history.wallSeconds = Date().timeIntervalSince(start)
        return history
    }
}

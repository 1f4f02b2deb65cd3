import Foundation
import NeuralNets
import Tensors

/// Meta-trains any `MetaLearningProblem`: MAML with learned inner rates, MSR when the model has symmetry
/// matrices (which the inner loop leaves alone), few-shot MAML, ANIL, ProtoNets and MSR — one trainer for all.
///
/// The tasks of a meta-batch run in parallel (`parallelMap`) in fixed groups of `problem.episodesPerComputation`
/// (a task-batched problem runs a group's tasks as one computation, and a thread's share of the groups together —
/// each group on leaves of its own; others one task at a time),
/// the groups' gradients are summed in order, and one Adam step follows. Randomness is a function of (seed, purpose, step) only, so a run
/// resumed from a checkpoint continues exactly as the uninterrupted run, and results do not depend on the
/// thread count or, while the exchange is exact, on the number of MPI ranks.
public struct Trainer<Problem: MetaLearningProblem>: Sendable {
    public var problem: Problem
    public var schedule: TrainingSchedule
    public var threads: Int
    /// The ranks that share each meta-batch and each evaluation (data-parallel; see `GradientCommunicator`).
    /// Results equal the single-process run's bitwise while the per-step buffer fits `exactExchangeLimitBytes`.
    public var communicator: any GradientCommunicator

    public init(problem: Problem, schedule: TrainingSchedule, threads: Int = availableProcessorCount,
                communicator: any GradientCommunicator = SingleProcess()) {
        self.problem = problem
        self.schedule = schedule
        self.threads = threads
        self.communicator = communicator
    }

    public var optimizer: Adam { Adam(learningRate: schedule.outerLearningRate) }

    /// Fresh meta-parameters drawn from the seed.
    public func initialState(dtype: DType = .float32) -> MetaTrainingState {
        var g = SplitMix64(seed: schedule.seed ^ 0x1111_2222_3333_4444)
        return MetaTrainingState(metaParameters: problem.initialMetaParameters(dtype: dtype, using: &g))
    }

    /// A generator for one purpose at one index, independent of every other (seed, purpose, index).
    /// Purpose 1: the meta-batch of step `index`; purpose 2: held-out episodes.
    func generator(_ purpose: UInt64, _ index: Int) -> SplitMix64 {
        var g = SplitMix64(seed: schedule.seed &* 0x9E37_79B9_7F4A_7C15 ^ purpose)
        for _ in 0..<2 { _ = g.next() }
        return SplitMix64(seed: g.next() ^ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
    }

    /// The draws of outer step `step`'s meta-batch.
    public func trainingDraws(step: Int) -> [EpisodeDraw] {
        var g = generator(1, step)
        return problem.trainingDraws(count: schedule.metaBatchSize, using: &g)
    }

    /// The meta-training episodes of outer step `step`.
    public func trainingEpisodes(step: Int) throws -> [Problem.Episode] {
        try trainingDraws(step: step).map { try problem.trainingEpisode($0) }
    }

    /// The meta-gradient of the summed query losses of one meta-batch, and the batch's mean loss and metrics
    /// (`[loss] + problem.trainingMetricNames`).
    public func metaGradient(_ metaParameters: Parameters, step: Int) throws -> (gradient: Parameters, metrics: [Double]) {
        let r = try metaGradient(metaParameters, step: step, stopRequested: false)
        return (r.gradient, r.metrics)
    }

    /// `count` episodes cut into consecutive groups of `problem.episodesPerComputation` (the last may be shorter):
    /// the same cut on any thread or rank count, for meta-batches and evaluations alike.
    func episodeGroups(_ count: Int) -> [Range<Int>] {
        let size = max(1, problem.episodesPerComputation)
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// The computations that differentiate `count` groups, as runs of consecutive groups: where the problem computes
    /// groups together, one run per thread (all of them on one thread), at most `groupsPerComputation` long so that a
    /// large meta-batch on few threads does not hold many groups' graphs at once; otherwise one group each. Every group
    /// is differentiated on leaves of its own, so its gradient is the same whichever run it is in.
    public func computations(ofGroups count: Int) -> [Range<Int>] {
        guard problem.computesGroupsTogether, count > 1 else { return (0..<count).map { $0..<($0 + 1) } }
        let parts = max(1, min(threads, count), (count + Self.groupsPerComputation - 1) / Self.groupsPerComputation)
        return (0..<parts).map { (count * $0 / parts)..<(count * ($0 + 1) / parts) }
    }

    /// The most groups one computation runs: a meta-batch of 32 in groups of 16 is one computation on one thread, and a
    /// computation's graph holds no more than two threads' single groups would.
    public static var groupsPerComputation: Int { 2 }

    /// The meta-gradient of one meta-batch. The batch is cut into groups of `problem.episodesPerComputation`
    /// consecutive episodes (the same cut on any thread or rank count); each computation (`computations(ofGroups:)`)
    /// is differentiated once, giving each of its groups' gradients of their summed query losses apart, and the
    /// groups' gradients are summed in group order. With several ranks, this rank
    /// computes the groups it owns and one all-reduce (`MetaBatchExchange`, a slot per group) gives every rank
    /// the whole batch's sum in group order; `stop` is true when any rank passed `stopRequested`.
    func metaGradient(_ metaParameters: Parameters, step: Int, stopRequested: Bool) throws
        -> (gradient: Parameters, metrics: [Double], stop: Bool) {
        let draws = trainingDraws(step: step)
        let keys = metaParameters.keys
        let groups = episodeGroups(draws.count)
        let owned = communicator.ownedTasks(of: groups.count)
        let computations = computations(ofGroups: owned.count)
        let perComputation = parallelMap(computations.count, threads: threads) { c -> Result<[([Tensor], [Double])], Error> in
            Result {
                // Each group on leaves of its own, so one backward pass gives every group's gradient apart.
                let members = computations[c]
                let episodes = try members.map { o in try groups[owned[o]].map { try problem.trainingEpisode(draws[$0]) } }
                let leaves = members.map { _ in metaParameters.requiringGradient() }
                let objective = problem.groupsObjective(leaves, episodes)
                let all = gradients(of: objective.loss, wrt: leaves.flatMap { l in keys.map { l[$0] } })
                return (0..<members.count).map { i in (Array(all[(i * keys.count)..<((i + 1) * keys.count)]), objective.metricSums[i]) }
            }
        }
        // A rank whose episode failed (e.g. an unreadable image) ends the job: the others wait in the all-reduce.
        let results = try perComputation.flatMap { try $0.get() }
        let total: [Tensor], sums: [[Double]], stop: Bool
        if communicator.size == 1 {
            // Sum in group order (independent of the thread count), as the reference sums per-task backward passes.
            total = keys.indices.map { j in Tensor.sumInOrder(results.map { $0.0[j] }) }
            (sums, stop) = (results.map(\.1), stopRequested)
        } else {
            let exchange = MetaBatchExchange(template: keys.map { metaParameters[$0] }, taskCount: groups.count,
                                             metricCount: 1 + problem.trainingMetricNames.count,
                                             limitBytes: communicator.exactExchangeLimitBytes)
            let r = exchange.combine(zip(owned, results).map { (task: $0, gradients: $1.0, metrics: $1.1) },
                                     stopRequested: stopRequested, communicator: communicator)
            (total, sums, stop) = (r.gradient, r.metrics, r.stop)
        }
        let means = sums[0].indices.map { m in sums.map { $0[m] }.reduce(0, +) / Double(draws.count) }
        return (Parameters(Dictionary(uniqueKeysWithValues: zip(keys, total))), means, stop)
    }

    /// One outer step: meta-gradient, then Adam. Returns the meta-batch's mean loss and metrics.
    @discardableResult
    public func step(_ state: inout MetaTrainingState) throws -> [Double] {
        try step(&state, stopRequested: false).metrics
    }

    /// One outer step that also tells whether any rank asked to stop (carried by the step's all-reduce).
    ///
    /// The divergence guard: a non-finite query loss, meta-gradient or updated parameter throws
    /// `TrainingError.diverged` and leaves `state` as it was, so no non-finite value reaches a checkpoint. Every
    /// rank sees the same summed gradient, so all of them stop at the same step.
    func step(_ state: inout MetaTrainingState, stopRequested: Bool) throws -> (metrics: [Double], stop: Bool) {
        let (gradient, metrics, stop) = try metaGradient(state.metaParameters, step: state.step, stopRequested: stopRequested)
        let step = state.step + 1
        guard metrics[0].isFinite else { throw TrainingError.diverged(step: step, what: "the meta-batch's query loss is \(metrics[0])") }
        // Adam finds non-finite gradients and updated values in its own pass over them; `next` is discarded then.
        var next = state
        let nonFinite = optimizer.update(&next.metaParameters, gradients: gradient, state: &next.optimizer)
        if let key = nonFinite.gradients.first {
            throw TrainingError.diverged(step: step, what: "the meta-gradient of \(key) holds non-finite values")
        }
        if let key = nonFinite.parameters.first {
            throw TrainingError.diverged(step: step, what: "Adam's update made \(key) non-finite")
        }
        next.step = step
        state = next
        return (metrics, stop)
    }

    /// The held-out metric over `episodeCount` episodes of `stage` (default: `schedule.evaluationEpisodes`
    /// for `.periodic`, `schedule.finalEvaluationEpisodes` for `.final`), each adapted on its support set with
    /// the meta-parameters frozen, with its 95% interval. The same episodes every time; periodic ones from the
    /// problem's validation tasks where it has them, final ones from its meta-test tasks. With several ranks,
    /// each adapts to the episodes it owns and one all-reduce gathers the metrics (exactly).
    ///
    /// `shouldStop`, polled before each episode in a single process, ends the evaluation early with
    /// `TrainingError.evaluationInterrupted` (Ctrl-C during a long final evaluation). With several ranks it is not
    /// polled: a rank leaving alone would leave the others waiting in the all-reduce.
    public func evaluate(_ metaParameters: Parameters, stage: EvaluationStage = .periodic,
                         episodeCount: Int? = nil, shouldStop: () -> Bool = { false }) throws -> MeanWithInterval {
        let count = episodeCount ?? (stage == .periodic ? schedule.evaluationEpisodes : schedule.finalEvaluationEpisodes)
        let draws = problem.evaluationDraws(count: count) { generator(2, $0) }
        let frozen = metaParameters.detached()
        var failure: Error?
        let lock = NSLock()
        let pollsStop = communicator.size == 1
        // Episodes in the problem's groups, as in meta-training.
        let groups = episodeGroups(draws.count)
        let values = communicator.distributedMap(groups: groups, threads: threads) { range -> [Double] in
            let none = [Double](repeating: .nan, count: range.count)
            do {
                if pollsStop && lock.withLock({ failure != nil || shouldStop() }) {
                    lock.withLock { if failure == nil { failure = TrainingError.evaluationInterrupted } }
                    return none
                }
                return problem.evaluationMetrics(frozen, try range.map { try problem.evaluationEpisode(draws[$0], stage: stage) })
            } catch {
                lock.withLock { if failure == nil { failure = error } }
                return none
            }
        }
        if let failure { throw failure }
        return MeanWithInterval(values)
    }
}

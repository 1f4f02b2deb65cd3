import Datasets
import NeuralNets
import Tensors

/// What differs between meta-learning problems, and nothing else: how a meta-batch's episodes are drawn, and how
/// their query losses and metrics are formed after adaptation. Regression (`RegressionProblem`: MSE after an
/// inner loop), few-shot classification (`FewShotProblem`: cross-entropy and accuracy, MAML, ANIL, MSR, or
/// ProtoNets' prototypes without an inner loop) and any problem a user adds are conformances; the one
/// `Trainer` runs all of them (parallel meta-batches, task-order sums, MPI, evaluation, resume, Ctrl-C).
///
/// Episodes are drawn in two stages, so that results depend on the seed only and not on the thread count:
/// the cheap `EpisodeDraw`s of a batch come from one generator in order (the trainer's (seed, step)); each
/// episode is then made from its draw on whichever thread computes it.
public protocol MetaLearningProblem: Sendable {
    associatedtype Episode: Sendable

    /// Names of the metrics `queryObjectives` reports beside the loss (few-shot: `["accuracy"]`).
    var trainingMetricNames: [String] { get }
    /// Name of the held-out metric `evaluationMetrics` reports: `mse` or `accuracy`.
    var evaluationMetricName: String { get }

    /// Fresh meta-parameters: the model's parameters and the learned inner rates, drawn with `generator`.
    func initialMetaParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters

    /// The `count` episode draws of one meta-training batch, from `generator` in order.
    func trainingDraws(count: Int, using generator: inout SplitMix64) -> [EpisodeDraw]
    /// The `count` held-out episode draws of an evaluation (the same every time). `generator(i)` is the
    /// evaluation's generator for index `i`, independent of every other.
    func evaluationDraws(count: Int, generator: (Int) -> SplitMix64) -> [EpisodeDraw]
    /// The meta-training episode of `draw`.
    func trainingEpisode(_ draw: EpisodeDraw) throws -> Episode
    /// The held-out (meta-test) episode of `draw`.
    func evaluationEpisode(_ draw: EpisodeDraw) throws -> Episode
    /// The held-out episode of `draw` for an evaluation of `stage`: from validation tasks for `.periodic`
    /// where the problem has them (`hasValidationTasks`), otherwise `evaluationEpisode(_:)`'s. Default: the
    /// latter for both stages.
    func evaluationEpisode(_ draw: EpisodeDraw, stage: EvaluationStage) throws -> Episode
    /// Whether periodic evaluations draw from validation tasks, other than the final evaluation's meta-test
    /// tasks (then a periodic evaluation never stands in for the final one). Default: false.
    var hasValidationTasks: Bool { get }

    /// The meta-training objective of a batch of episodes: for each, the query loss after adaptation (a scalar
    /// on the graph of `metaParameters`, second order unless the problem is first-order) and the values of
    /// `trainingMetricNames`. A problem may run the batch as one computation; the trainer calls it with the
    /// episodes one thread computes.
    func queryObjectives(_ metaParameters: Parameters, _ episodes: [Episode]) -> [QueryObjective]
    /// How many consecutive episodes `groupObjective` and `evaluationMetrics` run as one computation (default 1).
    /// The trainer cuts every meta-batch and every evaluation into groups of this size — the same cut on any
    /// number of threads or ranks — gets each group's gradient of its summed loss (several groups may share one
    /// computation, `groupsObjective`, each on its own leaves), and sums the groups' gradients in order.
    var episodesPerComputation: Int { get }
    /// The meta-training objective of a group of episodes: Σ of their query losses (one scalar on the graph of
    /// `metaParameters`) and, per metric (`[loss] + trainingMetricNames`), the sum of the episodes' values.
    /// Default: `queryObjectives`' losses added in episode order.
    func groupObjective(_ metaParameters: Parameters, _ episodes: [Episode]) -> GroupObjective
    /// Whether `groupsObjective` gains from running several groups as one computation (MSR-FC's task-batched
    /// path: one product with U for all their tasks, fewer operations); the trainer then gives each thread its
    /// share of a meta-batch's groups at once. Default: false.
    var computesGroupsTogether: Bool { get }
    /// The objective of consecutive groups as one computation: group g's episodes on its own leaves
    /// `metaParameters[g]` (copies of the same meta-parameters), so that one backward pass of the summed loss gives
    /// every group's gradient apart, each equal to its `groupObjective`'s alone — the results do not depend on
    /// how the trainer puts groups together. Returns Σ of the groups' losses and each group's metric sums.
    /// Default: each group's `groupObjective`, losses added.
    func groupsObjective(_ metaParameters: [Parameters], _ groups: [[Episode]]) -> (loss: Tensor, metricSums: [[Double]])
    /// The held-out metric of each episode after adapting on its support set, the meta-parameters frozen
    /// (`metaParameters` are detached; no meta-gradient graph is kept).
    func evaluationMetrics(_ metaParameters: Parameters, _ episodes: [Episode]) -> [Double]
}

extension MetaLearningProblem {
    public func evaluationEpisode(_ draw: EpisodeDraw, stage: EvaluationStage) throws -> Episode {
        try evaluationEpisode(draw)
    }

    public var hasValidationTasks: Bool { false }

    public var episodesPerComputation: Int { 1 }

    public var computesGroupsTogether: Bool { false }

    public func groupsObjective(_ metaParameters: [Parameters], _ groups: [[Episode]]) -> (loss: Tensor, metricSums: [[Double]]) {
        separateGroupsObjective(metaParameters, groups, each: groupObjective)
    }

    /// Each group's objective by `each` (the default of `groupsObjective`: `groupObjective`) on its own leaves, the
    /// losses added in group order.
    public func separateGroupsObjective(_ metaParameters: [Parameters], _ groups: [[Episode]],
                                        each: (Parameters, [Episode]) -> GroupObjective) -> (loss: Tensor, metricSums: [[Double]]) {
        precondition(!groups.isEmpty && metaParameters.count == groups.count,
                     "groupsObjective: \(metaParameters.count) parameter copies for \(groups.count) groups")
        let objectives = zip(metaParameters, groups).map { each($0, $1) }
        var loss = objectives[0].loss
        for o in objectives.dropFirst() { loss = loss + o.loss }
        return (loss, objectives.map(\.metricSums))
    }

    public func groupObjective(_ metaParameters: Parameters, _ episodes: [Episode]) -> GroupObjective {
        summedQueryObjectives(metaParameters, episodes)
    }

    /// `queryObjectives` of the episodes one by one, their losses added in episode order (the default group).
    public func summedQueryObjectives(_ metaParameters: Parameters, _ episodes: [Episode]) -> GroupObjective {
        let objectives = queryObjectives(metaParameters, episodes)
        var loss = objectives[0].loss
        for o in objectives.dropFirst() { loss = loss + o.loss }
        let values = objectives.map { [$0.loss.item] + $0.metrics }
        return GroupObjective(loss: loss, metricSums: values[0].indices.map { m in values.reduce(0) { $0 + $1[m] } })
    }
}

/// What identifies one episode of a meta-batch before it is made: the task it comes from (where the problem has
/// indexed tasks) and the generator that draws its examples.
public struct EpisodeDraw: Sendable {
    public var task: Int
    public var generator: SplitMix64

    public init(task: Int, generator: SplitMix64) {
        self.task = task
        self.generator = generator
    }
}

/// One episode's meta-training objective: its query loss after adaptation and further metrics (e.g. accuracy).
public struct QueryObjective {
    public var loss: Tensor
    public var metrics: [Double]

    public init(loss: Tensor, metrics: [Double] = []) {
        self.loss = loss
        self.metrics = metrics
    }
}

/// A group of episodes' meta-training objective (`MetaLearningProblem.groupObjective`): their summed query loss
/// and, per metric (`[loss] + trainingMetricNames`), the sum of the episodes' values.
public struct GroupObjective {
    public var loss: Tensor
    public var metricSums: [Double]

    public init(loss: Tensor, metricSums: [Double]) {
        self.loss = loss
        self.metricSums = metricSums
    }
}

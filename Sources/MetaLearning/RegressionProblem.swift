import Datasets
import NeuralNets
import Tensors

/// Regression over a family of tasks (the paper's 1-D and 2-D synthetic problems, or a user's `.npz` family):
/// each episode is a task's support and query examples, the inner loop adapts the model's inner parameters on
/// the support set (`InnerLoop`), and the objective and held-out metric are the query MSE.
public struct RegressionProblem: MetaLearningProblem {
    public var model: any Layer
    public var configuration: MetaTrainingConfiguration
    public var trainTasks: any TaskFamily
    public var testTasks: any TaskFamily

    public init(model: any Layer, configuration: MetaTrainingConfiguration, trainTasks: any TaskFamily, testTasks: any TaskFamily) {
        self.model = model
        self.configuration = configuration
        self.trainTasks = trainTasks
        self.testTasks = testTasks
    }

    public var innerLoop: InnerLoop {
        InnerLoop(steps: configuration.innerSteps, firstOrder: configuration.firstOrder, loss: configuration.loss)
    }

    public var trainingMetricNames: [String] { [] }
    public var evaluationMetricName: String { "mse" }

    public func initialMetaParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        InnerLoop.metaParameters(for: model, initial: model.initialParameters(dtype: dtype, using: &generator),
                                 initialLearningRate: configuration.initialInnerLearningRate)
    }

    /// `count` distinct tasks (partial Fisher–Yates over `tasks`), then one episode seed for each.
    func draws(_ count: Int, of tasks: Int, using g: inout SplitMix64) -> [EpisodeDraw] {
        let chosen = Self.sample(count, of: tasks, using: &g)
        let seeds = chosen.map { _ in g.next() }
        return zip(chosen, seeds).map { EpisodeDraw(task: $0, generator: SplitMix64(seed: $1)) }
    }

    public func trainingDraws(count: Int, using generator: inout SplitMix64) -> [EpisodeDraw] {
        draws(count, of: trainTasks.count, using: &generator)
    }

    /// The first `count` tasks of one fixed random order of the held-out tasks (all of them when there are fewer).
    public func evaluationDraws(count: Int, generator: (Int) -> SplitMix64) -> [EpisodeDraw] {
        var g = generator(0)
        return draws(count, of: testTasks.count, using: &g)
    }

    func episode(_ family: any TaskFamily, _ draw: EpisodeDraw) -> Episode {
        var g = draw.generator
        return family.episode(at: draw.task, supportCount: configuration.supportCount, queryCount: configuration.queryCount, using: &g)
    }

    public func trainingEpisode(_ draw: EpisodeDraw) -> Episode { episode(trainTasks, draw) }
    public func evaluationEpisode(_ draw: EpisodeDraw) -> Episode { episode(testTasks, draw) }

    public func queryObjectives(_ metaParameters: Parameters, _ episodes: [Episode]) -> [QueryObjective] {
        let inner = innerLoop
        return episodes.map { QueryObjective(loss: inner.queryLoss(model, metaParameters, episode: $0, createGraph: !configuration.firstOrder)) }
    }

    /// Episodes run as one computation when the model can take a task axis (`TaskBatchedLayer`: MSR-FC and FC),
    /// one at a time otherwise.
    public var episodesPerComputation: Int { model is any TaskBatchedLayer ? Self.tasksPerComputation : 1 }

    /// The group size of the task-batched path: large enough to amortise the per-op cost, small enough that a
    /// meta-batch of 32 still gives two threads a group each (one thread runs both as one computation:
    /// `computesGroupsTogether`).
    public static let tasksPerComputation = 16

    /// A group's objective: with a `TaskBatchedLayer`, the episodes' support and query sets stacked along a task
    /// axis and adapted as one computation (`InnerLoop.adaptTasks`); otherwise one episode at a time.
    public func groupObjective(_ metaParameters: Parameters, _ episodes: [Episode]) -> GroupObjective {
        let r = groupsObjective([metaParameters], [episodes])
        return GroupObjective(loss: r.loss, metricSums: r.metricSums[0])
    }

    /// A task-batched model runs several groups as one computation (`TaskSegments`).
    public var computesGroupsTogether: Bool { model is any TaskBatchedLayer }

    /// Groups of more than one episode with a `TaskBatchedLayer`: all their episodes as one task-batched computation,
    /// each group a segment with its own copy of the meta-parameters; groups of one episode (and every group of a
    /// model without a task axis) one episode at a time — each group the way `groupObjective` runs it alone.
    public func groupsObjective(_ metaParameters: [Parameters], _ groups: [[Episode]]) -> (loss: Tensor, metricSums: [[Double]]) {
        precondition(!groups.isEmpty && metaParameters.count == groups.count,
                     "groupsObjective: \(metaParameters.count) parameter copies for \(groups.count) groups")
        guard let batched = model as? any TaskBatchedLayer else {
            return separateGroupsObjective(metaParameters, groups, each: summedQueryObjectives)
        }
        let together = groups.indices.filter { groups[$0].count > 1 }
        var loss: Tensor?
        var sums = [[Double]](repeating: [], count: groups.count)
        func add(_ l: Tensor) { loss = loss.map { $0 + l } ?? l }
        if !together.isEmpty {
            let segments = TaskSegments(parameters: together.map { metaParameters[$0] }, taskCounts: together.map { groups[$0].count })
            let losses = taskBatchedQueryLosses(batched, segments, together.flatMap { groups[$0] })
            let values = losses.scalars
            var start = 0
            for g in together {
                sums[g] = [values[start..<(start + groups[g].count)].reduce(0, +)]
                start += groups[g].count
            }
            add(losses.sum())
        }
        for g in groups.indices where groups[g].count <= 1 {
            let o = summedQueryObjectives(metaParameters[g], groups[g])
            sums[g] = o.metricSums
            add(o.loss)
        }
        return (loss!, sums)
    }

    /// Each episode's query loss after adapting on its support set, (B), for all of them at once: on the graph of
    /// the segments' meta-parameters for meta-training (second order unless first-order), or, `frozen`, with the
    /// meta-parameters held fixed and no graph kept beyond the inner gradients (held-out evaluation, one segment).
    func taskBatchedQueryLosses(_ model: some TaskBatchedLayer, _ segments: TaskSegments, _ episodes: [Episode],
                                frozen: Bool = false) -> Tensor {
        let inner = innerLoop
        // A closure rather than a key path: reading through a key path copied each whole episode (four tensors).
        func stacked(_ part: (Episode) -> Tensor) -> Tensor { Tensor.stack(episodes.map(part)) }
        // Frozen: leaves for the inner gradients only; the query runs without recording.
        let segments = frozen ? TaskSegments(parameters: segments.parameters.map { $0.requiringGradient() }, taskCounts: segments.taskCounts)
                              : segments
        var fast = inner.adaptTasks(model, segments, inputs: stacked { $0.support.inputs }, targets: stacked { $0.support.targets },
                                    createGraph: !frozen && !configuration.firstOrder)
        if frozen { fast = fast.detached() }
        func query() -> Tensor {
            inner.loss.perTask(model.applyToTasks(fast, stacked { $0.query.inputs }, segments: segments), stacked { $0.query.targets })
        }
        return frozen ? withoutGradients(query) : query()
    }

    public func evaluationMetrics(_ metaParameters: Parameters, _ episodes: [Episode]) -> [Double] {
        let inner = innerLoop
        if episodes.count > 1, let batched = model as? any TaskBatchedLayer {
            return taskBatchedQueryLosses(batched, TaskSegments(metaParameters, taskCount: episodes.count), episodes, frozen: true).scalars
        }
        return episodes.map { episode in
            // The inner loop needs gradients of the support loss; the outer graph is not kept.
            let fast = inner.adapt(model, metaParameters.requiringGradient(), on: episode.support, createGraph: false).detached()
            return withoutGradients { inner.loss(model.apply(fast, episode.query.inputs), episode.query.targets).item }
        }
    }

    /// `count` distinct indices from 0..<n, drawn with `g` (partial Fisher–Yates; all of them when n ≤ count).
    static func sample(_ count: Int, of n: Int, using g: inout SplitMix64) -> [Int] {
        var order = Array(0..<n)
        let k = Swift.min(count, n)
        for i in 0..<k { order.swapAt(i, i + Int(g.next() % UInt64(n - i))) }
        return Array(order[..<k])
    }
}

/// The trainer of the regression problems.
public typealias MetaTrainer = Trainer<RegressionProblem>

extension Trainer where Problem == RegressionProblem {
    public init(model: any Layer, configuration: MetaTrainingConfiguration, trainTasks: any TaskFamily,
                testTasks: any TaskFamily, threads: Int = availableProcessorCount,
                communicator: any GradientCommunicator = SingleProcess()) {
        self.init(problem: RegressionProblem(model: model, configuration: configuration, trainTasks: trainTasks, testTasks: testTasks),
                  schedule: configuration.schedule, threads: threads, communicator: communicator)
    }

    public var model: any Layer { problem.model }
    public var configuration: MetaTrainingConfiguration { problem.configuration }
    public var trainTasks: any TaskFamily { problem.trainTasks }
    public var testTasks: any TaskFamily { problem.testTasks }
    public var innerLoop: InnerLoop { problem.innerLoop }
}

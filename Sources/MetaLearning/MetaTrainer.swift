import Datasets
import Foundation
import NeuralNets
import Tensors

/// Hyper-parameters of meta-training and evaluation (defaults: the reference code's synthetic setup).
public struct MetaTrainingConfiguration: Codable, Sendable, Equatable {
    /// Tasks per outer step.
    public var metaBatchSize = 32
    /// Support and query examples per episode (drawn without repetition from a task's examples).
    public var supportCount = 1
    public var queryCount = 19
    public var innerSteps = 1
    public var firstOrder = false
    public var initialInnerLearningRate = 0.1
    public var outerLearningRate = 1e-3
    /// Outer steps in all.
    public var steps = 1000
    /// Evaluate every this many steps (and after the first and the last).
    public var evaluationInterval = 100
    /// Held-out tasks per evaluation.
    public var testTasks = 300
    public var seed: UInt64 = 0
    public var loss: TaskLoss = .meanSquaredError

    public init() {}
}

/// Everything that changes during meta-training: enough to resume exactly.
public struct MetaTrainingState: Sendable {
    /// Model parameters and learned inner learning rates.
    public var metaParameters: Parameters
    public var optimizer: Adam.State
    /// Outer steps completed.
    public var step: Int

    public init(metaParameters: Parameters, optimizer: Adam.State = .init(), step: Int = 0) {
        self.metaParameters = metaParameters
        self.optimizer = optimizer
        self.step = step
    }
}

/// Meta-trains a model over a family of tasks: MAML with learned inner rates, and MSR when the model has
/// symmetry matrices (which the inner loop leaves alone).
///
/// Randomness is a function of (seed, step) only, so a run resumed from a checkpoint continues exactly
/// as the uninterrupted run, and results do not depend on the thread count.
public struct MetaTrainer: Sendable {
    public var model: any Layer
    public var configuration: MetaTrainingConfiguration
    public var trainTasks: any TaskFamily
    public var testTasks: any TaskFamily
    public var threads: Int
    /// The ranks that share each meta-batch (data-parallel; see `GradientCommunicator`). Results equal the
    /// single-process run's bitwise while the per-step buffer fits `exactExchangeLimitBytes`.
    public var communicator: any GradientCommunicator

    public init(model: any Layer, configuration: MetaTrainingConfiguration, trainTasks: any TaskFamily,
                testTasks: any TaskFamily, threads: Int = availableProcessorCount,
                communicator: any GradientCommunicator = SingleProcess()) {
        self.model = model
        self.configuration = configuration
        self.trainTasks = trainTasks
        self.testTasks = testTasks
        self.threads = threads
        self.communicator = communicator
    }

    public var innerLoop: InnerLoop {
        InnerLoop(steps: configuration.innerSteps, firstOrder: configuration.firstOrder, loss: configuration.loss)
    }

    public var optimizer: Adam { Adam(learningRate: configuration.outerLearningRate) }

    /// Fresh meta-parameters drawn from the seed.
    public func initialState(dtype: DType = .float32) -> MetaTrainingState {
        var g = SplitMix64(seed: configuration.seed ^ 0x1111_2222_3333_4444)
        let p = model.initialParameters(dtype: dtype, using: &g)
        return MetaTrainingState(metaParameters: InnerLoop.metaParameters(
            for: model, initial: p, initialLearningRate: configuration.initialInnerLearningRate))
    }

    /// A generator for one purpose at one step, independent of every other (seed, purpose, step).
    func generator(_ purpose: UInt64, _ step: Int) -> SplitMix64 {
        var g = SplitMix64(seed: configuration.seed &* 0x9E37_79B9_7F4A_7C15 ^ purpose)
        for _ in 0..<2 { _ = g.next() }
        return SplitMix64(seed: g.next() ^ UInt64(step) &* 0xD1B5_4A32_D192_ED03)
    }

    /// `count` distinct indices from 0..<n, drawn with `g` (partial Fisher–Yates; all of them when n ≤ count).
    static func sample(_ count: Int, of n: Int, using g: inout SplitMix64) -> [Int] {
        var order = Array(0..<n)
        let k = Swift.min(count, n)
        for i in 0..<k { order.swapAt(i, i + Int(g.next() % UInt64(n - i))) }
        return Array(order[..<k])
    }

    /// The meta-gradient of the summed query losses of one meta-batch, and their mean.
    public func metaGradient(_ metaParameters: Parameters, step: Int) -> (gradient: Parameters, meanQueryLoss: Double) {
        let r = metaGradient(metaParameters, step: step, stopRequested: false)
        return (r.gradient, r.meanQueryLoss)
    }

    /// The meta-gradient of one meta-batch. With several ranks, this rank computes the tasks it owns and one
    /// all-reduce (`MetaBatchExchange`) gives every rank the whole batch's sum; `stop` is true when any rank
    /// passed `stopRequested`.
    func metaGradient(_ metaParameters: Parameters, step: Int, stopRequested: Bool)
        -> (gradient: Parameters, meanQueryLoss: Double, stop: Bool) {
        var g = generator(1, step)
        let tasks = Self.sample(configuration.metaBatchSize, of: trainTasks.count, using: &g)
        let episodeSeeds = tasks.map { _ in g.next() }
        let keys = metaParameters.keys
        let inner = innerLoop
        let owned = communicator.ownedTasks(of: tasks.count)
        let perTask = parallelMap(owned.count, threads: threads) { o -> ([Tensor], Double) in
            let i = owned[o]
            var eg = SplitMix64(seed: episodeSeeds[i])
            let episode = trainTasks.episode(at: tasks[i], supportCount: configuration.supportCount,
                                             queryCount: configuration.queryCount, using: &eg)
            let leaves = metaParameters.requiringGradient()
            let loss = inner.queryLoss(model, leaves, episode: episode, createGraph: !configuration.firstOrder)
            return (gradients(of: loss, wrt: keys.map { leaves[$0] }), loss.item)
        }
        let total: [Tensor], losses: [Double], stop: Bool
        if communicator.size == 1 {
            // Sum in task order (independent of the thread count), as the reference sums per-task backward passes.
            total = keys.indices.map { j in Self.sumInOrder(perTask.map { $0.0[j] }) }
            (losses, stop) = (perTask.map(\.1), stopRequested)
        } else {
            let exchange = MetaBatchExchange(template: keys.map { metaParameters[$0] }, taskCount: tasks.count, metricCount: 1,
                                             limitBytes: communicator.exactExchangeLimitBytes)
            let r = exchange.combine(zip(owned, perTask).map { (task: $0, gradients: $1.0, metrics: [$1.1]) },
                                     stopRequested: stopRequested, communicator: communicator)
            (total, losses, stop) = (r.gradient, r.metrics.map { $0[0] }, r.stop)
        }
        let meanLoss = losses.reduce(0, +) / Double(losses.count)
        return (Parameters(Dictionary(uniqueKeysWithValues: zip(keys, total))), meanLoss, stop)
    }

    /// Σ of equally shaped tensors in the given order, into one buffer (no intermediate tensors).
    static func sumInOrder(_ tensors: [Tensor]) -> Tensor {
        let first = tensors[0]
        switch first.storage {
        case .float32(var acc):
            for t in tensors.dropFirst() { let x = t.floats; for i in acc.indices { acc[i] += x[i] } }
            return Tensor(shape: first.shape, scalars: acc)
        case .float64(var acc):
            for t in tensors.dropFirst() { let x = t.scalars; for i in acc.indices { acc[i] += x[i] } }
            return Tensor(shape: first.shape, scalars: acc)
        }
    }

    /// One outer step: meta-gradient, then Adam. Returns the meta-batch's mean query loss.
    @discardableResult
    public func step(_ state: inout MetaTrainingState) -> Double {
        step(&state, stopRequested: false).loss
    }

    /// One outer step that also tells whether any rank asked to stop (carried by the step's all-reduce).
    func step(_ state: inout MetaTrainingState, stopRequested: Bool) -> (loss: Double, stop: Bool) {
        let (gradient, loss, stop) = metaGradient(state.metaParameters, step: state.step, stopRequested: stopRequested)
        optimizer.update(&state.metaParameters, gradients: gradient, state: &state.optimizer)
        state.step += 1
        return (loss, stop)
    }

    /// Mean query loss on held-out tasks after adapting on each one's support set (symmetry matrices and
    /// the initial parameters frozen), with its 95% interval. The same tasks and episodes every time. With
    /// several ranks, each adapts to the tasks it owns and one all-reduce gathers the losses (exactly).
    public func evaluate(_ metaParameters: Parameters, taskCount: Int? = nil) -> MeanWithInterval {
        var g = generator(2, 0)
        let tasks = Self.sample(taskCount ?? configuration.testTasks, of: testTasks.count, using: &g)
        let episodeSeeds = tasks.map { _ in g.next() }
        let inner = innerLoop
        let frozen = metaParameters.detached()
        let losses = communicator.distributedMap(tasks.count, threads: threads) { i -> Double in
            var eg = SplitMix64(seed: episodeSeeds[i])
            let episode = testTasks.episode(at: tasks[i], supportCount: configuration.supportCount,
                                            queryCount: configuration.queryCount, using: &eg)
            // The inner loop needs gradients of the support loss; the outer graph is not kept.
            let fast = inner.adapt(model, frozen.requiringGradient(), on: episode.support, createGraph: false).detached()
            return withoutGradients { inner.loss(model.apply(fast, episode.query.inputs), episode.query.targets).item }
        }
        return MeanWithInterval(losses)
    }
}

import Datasets
import NeuralNets
import Tensors

/// The task loss a regression model is adapted and evaluated with (stored in checkpoints as `"mse"`).
/// Classification forms its losses in `FewShotProblem`, on labels rather than target tensors.
public enum TaskLoss: String, Sendable, Codable, CaseIterable {
    case meanSquaredError = "mse"

    public func callAsFunction(_ prediction: Tensor, _ targets: Tensor) -> Tensor {
        switch self {
        case .meanSquaredError: return Tensor.meanSquaredError(prediction, targets)
        }
    }

    /// Each task's loss, (B): prediction and targets (B, n, …), the loss of task b over its own slice.
    public func perTask(_ prediction: Tensor, _ targets: Tensor) -> Tensor {
        switch self {
        case .meanSquaredError: return Tensor.meanSquaredErrorPerSlice(prediction, targets)
        }
    }
}

/// MAML's inner loop with learned per-layer learning rates (Finn et al. 2017; Li et al. 2017, Meta-SGD
/// per parameter tensor), as MSR uses it: plain SGD on the inner parameters,
///
///     θᵢ ← θᵢ − αᵢ · ∂L_support/∂θᵢ      for every inner parameter θᵢ, `steps` times,
///
/// where αᵢ (`innerLearningRate.<key>`) is itself meta-learned. Symmetry matrices are not adapted.
/// With `firstOrder`, the gradient ∂L_support/∂θᵢ is treated as a constant (first-order MAML); otherwise
/// its graph is kept so that the meta-gradient differentiates through it (second order).
public struct InnerLoop: Sendable {
    public var steps: Int
    public var firstOrder: Bool
    public var loss: TaskLoss

    public init(steps: Int = 1, firstOrder: Bool = false, loss: TaskLoss = .meanSquaredError) {
        self.steps = steps
        self.firstOrder = firstOrder
        self.loss = loss
    }

    /// Key of the learned inner learning rate of parameter `key`.
    public static func learningRateKey(_ key: String) -> String { "innerLearningRate." + key }

    /// The adapted ("fast") parameters after `steps` SGD steps on `support`.
    ///
    /// - Parameters:
    ///   - metaParameters: model parameters plus one `innerLearningRate.<key>` scalar per inner key.
    ///   - createGraph: keep the graph of the inner gradients (second-order meta-gradients). Evaluation
    ///     passes false; meta-training passes `!firstOrder`.
    public func adapt(_ model: some Layer, _ metaParameters: Parameters, on support: TaskExamples,
                      createGraph: Bool) -> Parameters {
        Self.adapt(metaParameters, keys: model.innerParameterKeys.sorted(), steps: steps, createGraph: createGraph) {
            loss(model.apply($0, support.inputs), support.targets)
        }
    }

    /// `steps` SGD steps on `supportLoss` for the tensors `keys` of `parameters`, each with its learned rate
    /// `innerLearningRate.<key>`: the one inner loop of every method (regression, MAML, ANIL, MSR). With
    /// `createGraph`, the inner gradients stay on the graph (second-order meta-gradients).
    public static func adapt(_ parameters: Parameters, keys: [String], steps: Int, createGraph: Bool,
                             supportLoss: (Parameters) -> Tensor) -> Parameters {
        var fast = parameters
        for _ in 0..<steps {
            let g = gradients(of: supportLoss(fast), wrt: keys.map { fast[$0] }, createGraph: createGraph)
            for (key, gi) in zip(keys, g) { fast[key] = fast[key] - fast[learningRateKey(key)] * gi }
        }
        return fast
    }

    /// `adapt` for B tasks at once (`TaskBatchedLayer`): every inner parameter starts as its meta-parameter
    /// repeated along a new task axis, (B, …), and takes `steps` SGD steps on Σ_b L_b(support_b), whose
    /// gradient with respect to the (B, …) parameters is each task's own (tasks never mix).
    ///
    /// The tasks come in `segments`, each with its own copy of the meta-parameters (`TaskSegments`): the starting
    /// parameters and learned rates of a segment's tasks are its own copy's, repeated, and the layer applies each
    /// segment's copy of the shared ones (U), so every segment's meta-gradient comes out apart and equal to the
    /// segment's alone. The rate αᵢ enters as one value per task, (B, 1, …).
    ///
    /// Shapes: support inputs (B, n, …) and targets (B, n, …); the result holds the (B, …) fast parameters and,
    /// for the shared keys, the first segment's (the layer reads every segment's from `segments`).
    public func adaptTasks(_ model: some TaskBatchedLayer, _ segments: TaskSegments, inputs: Tensor, targets: Tensor,
                           createGraph: Bool) -> Parameters {
        let tasks = segments.taskCount
        precondition(inputs.shape[0] == tasks, "adaptTasks: inputs \(inputs.shape) for \(tasks) tasks")
        let keys = model.innerParameterKeys.sorted()
        var start = segments.parameters[0]
        for key in keys {
            start[key] = segments.repeatedPerTask(key)
            let rate = Self.learningRateKey(key)
            start[rate] = segments.repeatedPerTask(rate).reshaped([tasks] + Array(repeating: 1, count: start[key].rank - 1))
        }
        return Self.adapt(start, keys: keys, steps: steps, createGraph: createGraph) {
            loss.perTask(model.applyToTasks($0, inputs, segments: segments), targets).sum()
        }
    }

    /// Query loss after adapting on the episode's support set: the meta-training objective of one task.
    public func queryLoss(_ model: some Layer, _ metaParameters: Parameters, episode: Episode, createGraph: Bool) -> Tensor {
        let fast = adapt(model, metaParameters, on: episode.support, createGraph: createGraph)
        return loss(model.apply(fast, episode.query.inputs), episode.query.targets)
    }

    /// The meta-parameters of `model`: its initial parameters plus a learned inner learning rate per inner
    /// parameter tensor, each starting at `initialLearningRate`.
    public static func metaParameters(for model: some Layer, initial: Parameters, initialLearningRate: Double) -> Parameters {
        var p = initial
        let dtype = initial.tensors.values.first?.dtype ?? .float32
        for key in model.innerParameterKeys { p[learningRateKey(key)] = Tensor(initialLearningRate, dtype: dtype) }
        return p
    }
}

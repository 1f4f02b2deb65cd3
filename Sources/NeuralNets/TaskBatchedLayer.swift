import Tensors

/// A layer that runs the tasks of a meta-batch as one computation: its inner parameters (`innerParameterKeys`)
/// carry a leading task axis B — one value per task — while the outer-only parameters (MSR's U) are shared by
/// all tasks, so that e.g. every task's W_b = reshape(U·v_b) is one (B × K)·(K × O·I) product and its gradient
/// with respect to U one product too.
///
/// Shapes: input (B, n, …) — task b's n examples — → output (B, n, …), each task's slice equal to
/// `apply` with that task's parameters (to rounding). Tasks never mix, so the gradient of Σ_b L_b with respect
/// to the (B, …) inner parameters is every task's own gradient.
public protocol TaskBatchedLayer: Layer {
    func applyToTasks(_ parameters: Parameters, _ input: Tensor) -> Tensor
}

extension Tensor {
    /// (B, n, …, I) viewed as (B, n·…, I), the rows of each task's product.
    func taskRows() -> Tensor { reshaped([shape[0], shape.dropFirst().dropLast().reduce(1, *), shape[shape.count - 1]]) }
}

extension Linear: TaskBatchedLayer {
    /// y_b = x_b · W_bᵀ + b_b for each task: x (B, n, …, I), W (B, O, I), b (B, O) → (B, n, …, O).
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let y = Tensor.matmul(input.taskRows(), parameters["weight"], transposeB: true)
            .reshaped(Array(input.shape.dropLast()) + [outputFeatures])
        return hasBias ? y + taskBias(parameters["bias"], like: y) : y
    }
}

extension SymmetricLinear: TaskBatchedLayer {
    /// W_b = reshape(U · v_b) for all tasks as one product, V (B, K) · Uᵀ → (B, O·I) → (B, O, I); then
    /// y_b = x_b · W_bᵀ + b_b: x (B, n, …, I) → (B, n, …, O).
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let v = parameters[Self.filterParametersKey]
        let w = Tensor.matmul(v, parameters[Self.symmetryMatrixKey], transposeB: true)
            .reshaped([v.shape[0], outputFeatures, inputFeatures])
        let y = Tensor.matmul(input.taskRows(), w, transposeB: true).reshaped(Array(input.shape.dropLast()) + [outputFeatures])
        return hasBias ? y + taskBias(parameters["bias"], like: y) : y
    }
}

/// A per-task bias (B, O) shaped to broadcast over y (B, n, …, O).
func taskBias(_ bias: Tensor, like y: Tensor) -> Tensor {
    bias.reshaped([bias.shape[0]] + Array(repeating: 1, count: y.rank - 2) + [bias.shape[1]])
}

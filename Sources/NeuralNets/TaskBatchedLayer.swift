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

extension Linear: TaskBatchedLayer {
    /// y_b = x_b · W_bᵀ + b_b for each task: x (B, n, …, I), W (B, O, I), b (B, O) → (B, n, …, O).
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        taskProduct(input, parameters["weight"], bias: hasBias ? parameters["bias"] : nil)
    }
}

extension SymmetricLinear: TaskBatchedLayer {
    /// W_b = reshape(U · v_b) for all tasks as one product, V (B, K) · Uᵀ → (B, O·I) → (B, O, I); then
    /// y_b = x_b · W_bᵀ + b_b: x (B, n, …, I) → (B, n, …, O).
    public func applyToTasks(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let v = parameters[Self.filterParametersKey]
        let w = Tensor.matmul(v, parameters[Self.symmetryMatrixKey], transposeB: true)
            .reshaped([v.shape[0], outputFeatures, inputFeatures])
        return taskProduct(input, w, bias: hasBias ? parameters["bias"] : nil)
    }
}

/// y_b = x_b · W_bᵀ (+ b_b) for every task as one batched product: x (B, n, …, I) viewed as (B, n·…, I), W (B, O, I),
/// b (B, O) broadcast over the examples → (B, n, …, O).
func taskProduct(_ input: Tensor, _ w: Tensor, bias: Tensor?) -> Tensor {
    let rows = input.reshaped([input.shape[0], input.shape.dropFirst().dropLast().reduce(1, *), input.shape[input.rank - 1]])
    let y = Tensor.matmul(rows, w, transposeB: true).reshaped(Array(input.shape.dropLast()) + [w.shape[1]])
    guard let bias else { return y }
    return y + bias.reshaped([bias.shape[0]] + Array(repeating: 1, count: y.rank - 2) + [bias.shape[1]])
}

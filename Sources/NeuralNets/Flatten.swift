import Tensors

/// Flattens every axis but the batch axis into one, row-major (as PyTorch's `nn.Flatten`). No parameters.
///
/// Shapes: x (N, d₁, …, dₖ) → y (N, d₁·…·dₖ).
public struct Flatten: ParameterFreeLayer {
    public init() {}

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor { input.flattened(from: 1) }
}

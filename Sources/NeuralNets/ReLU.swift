import Tensors

/// The rectifier, elementwise: y = max(x, 0). No parameters.
///
/// Shapes: x (N, …) → y (N, …), the same shape.
public struct ReLU: ParameterFreeLayer {
    public init() {}

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor { input.relu() }
}

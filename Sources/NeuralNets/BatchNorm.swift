import Tensors

/// Batch normalisation with the statistics of the batch it is given (at test time too, as MAML's reference
/// code and `Conv4` do): per channel c,
///
///     y = γ_c · (x − μ_c)/√(σ²_c + ε) + β_c
///
/// with μ_c and σ²_c the mean and biased variance of channel c over the batch and every trailing axis.
///
/// Shapes: x (N, C, …) → y (N, C, …). Parameters: `scale` γ (C, ones), `shift` β (C, zeros), both adapted
/// by the inner loop.
public struct BatchNorm: Layer {
    public var channels: Int
    /// ε, added to the variance (PyTorch's default 1e-5).
    public var epsilon: Double

    public static let scaleKey = "scale"
    public static let shiftKey = "shift"

    public init(_ channels: Int, epsilon: Double = 1e-5) {
        self.channels = channels
        self.epsilon = epsilon
    }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        Parameters([Self.scaleKey: Tensor.ones([channels], dtype: dtype), Self.shiftKey: Tensor.zeros([channels], dtype: dtype)])
    }

    public var innerParameterKeys: Set<String> { [Self.scaleKey, Self.shiftKey] }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        Tensor.batchNorm(input, scale: parameters[Self.scaleKey], shift: parameters[Self.shiftKey], epsilon: epsilon)
    }

    /// `apply` then max-pooling over `kernel` windows (stride = kernel), as one op that never stores the full-size
    /// normalised tensor (`Tensor.batchNormMaxPool2d`): input (N, C, H, W) → (N, C, H/kh, W/kw).
    public func applyMaxPooled(_ parameters: Parameters, _ input: Tensor, kernel: (Int, Int)) -> Tensor {
        Tensor.batchNormMaxPool2d(input, scale: parameters[Self.scaleKey], shift: parameters[Self.shiftKey], epsilon: epsilon,
                                  kernel: kernel)
    }
}

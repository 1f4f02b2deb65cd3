import Tensors

/// 1-D convolution (cross-correlation, as PyTorch's `nn.Conv1d`).
///
/// Shapes: x (N, C, L) → y (N, D, (L + 2p − k)/s + 1), stride s defaulting to 1; `weight` (D, C, k), `bias` (D).
public struct Conv1d: Layer {
    public var inputChannels, outputChannels, kernelSize, stride, padding: Int
    public var hasBias: Bool

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.hasBias = bias
    }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        let fanIn = inputChannels * kernelSize
        var p = Parameters()
        p["weight"] = defaultUniformInit([outputChannels, inputChannels, kernelSize], fanIn: fanIn, dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputChannels], fanIn: fanIn, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["weight", "bias"] : ["weight"] }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        Tensor.conv1d(input, weight: parameters["weight"], bias: hasBias ? parameters["bias"] : nil, stride: stride, padding: padding)
    }
}

/// 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`).
///
/// Shapes: x (N, C, H, W) → y (N, D, oh, ow); `weight` (D, C, kh, kw), `bias` (D).
public struct Conv2d: Layer {
    public var inputChannels, outputChannels: Int
    public var kernelSize: (Int, Int)
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var hasBias: Bool

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = true) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.hasBias = bias
    }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        let fanIn = inputChannels * kernelSize.0 * kernelSize.1
        var p = Parameters()
        p["weight"] = defaultUniformInit([outputChannels, inputChannels, kernelSize.0, kernelSize.1], fanIn: fanIn,
                                         dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputChannels], fanIn: fanIn, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["weight", "bias"] : ["weight"] }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        Tensor.conv2d(input, weight: parameters["weight"], bias: hasBias ? parameters["bias"] : nil,
                      stride: stride, padding: padding)
    }
}

extension Conv1d: WeightLayer {
    /// W is the `weight` parameter, (D, C, k).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor { parameters["weight"] }
    public var filterParameterKeys: [String] { ["weight"] }
    /// P = I: the inner loop adapts W itself.
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor { gradient }
}

extension Conv2d: WeightLayer {
    /// W is the `weight` parameter, (D, C, kh, kw).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor { parameters["weight"] }
    public var filterParameterKeys: [String] { ["weight"] }
    /// P = I: the inner loop adapts W itself.
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor { gradient }
}

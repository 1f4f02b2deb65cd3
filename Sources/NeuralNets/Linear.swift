import Tensors

/// Fully connected layer: `y = x · Wᵀ + b`.
///
/// Shapes: x (…, I) → y (…, O); `weight` W (O, I), `bias` b (O). Initialised as PyTorch's `nn.Linear`.
public struct Linear: Layer {
    public var inputFeatures: Int
    public var outputFeatures: Int
    public var hasBias: Bool

    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        self.hasBias = bias
    }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        p["weight"] = defaultUniformInit([outputFeatures, inputFeatures], fanIn: inputFeatures, dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputFeatures], fanIn: inputFeatures, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["weight", "bias"] : ["weight"] }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let y = Tensor.matmul(input, parameters["weight"], transposeB: true)
        return hasBias ? y + parameters["bias"] : y
    }
}

extension Linear: WeightLayer {
    /// W is the `weight` parameter, (O, I).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor { parameters["weight"] }
    public var filterParameterKeys: [String] { ["weight"] }
    /// P = I: the inner loop adapts W itself.
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor { gradient }
}

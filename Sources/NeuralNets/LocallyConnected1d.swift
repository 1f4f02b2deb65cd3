import Tensors

/// Locally connected 1-D layer: a convolution whose filter differs at every output position.
///
///     y[n, d, p] = b[d, p] + Σ_{c, j} W[d, c, p, j] · x[n, c, p·s + j]
///
/// Shapes: x (N, C, L) → y (N, D, P) with P = (L − k)/s + 1; `weight` W (D, C, P, k), `bias` (D, P).
/// Initialised as the reference code's `LocallyConnected1d` (U(±1/√(C·k))).
public struct LocallyConnected1d: Layer {
    public var inputChannels, outputChannels, outputSize, kernelSize, stride: Int
    public var hasBias: Bool

    public init(_ inputChannels: Int, _ outputChannels: Int, outputSize: Int, kernelSize: Int, stride: Int = 1, bias: Bool = true) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.outputSize = outputSize
        self.kernelSize = kernelSize
        self.stride = stride
        self.hasBias = bias
    }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        let fanIn = inputChannels * kernelSize
        var p = Parameters()
        p["weight"] = defaultUniformInit([outputChannels, inputChannels, outputSize, kernelSize], fanIn: fanIn,
                                         dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputChannels, outputSize], fanIn: fanIn, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["weight", "bias"] : ["weight"] }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let (n, c, l) = (input.shape[0], input.shape[1], input.shape[2])
        let (d, k, p) = (outputChannels, kernelSize, outputSize)
        precondition(c == inputChannels && (l - k) / stride + 1 == p,
                     "LocallyConnected1d: input \(input.shape) does not give \(p) positions of a \(k)-tap kernel over \(inputChannels) channels")
        let w = parameters["weight"]                                                        // (D, C, P, k)
        var y: Tensor
        if d == 1 && c == 1 {
            // (N, k, P) windows times the (k, P) filters, summed over taps.
            let cols = input.unsqueezed(2).unfolded(kernel: (1, k), stride: (1, stride))   // (N, k, P)
            y = (cols * w.reshaped([p, k]).transposed()).sum(axis: 1).unsqueezed(1)        // (N, 1, P)
        } else {
            let cols = input.unsqueezed(2).unfolded(kernel: (1, k), stride: (1, stride))   // (N, C·k, P)
                .reshaped([n, 1, c, k, p])
            let filters = w.permuted([0, 1, 3, 2]).unsqueezed(0)                            // (1, D, C, k, P)
            y = (cols * filters).sum(axes: [2, 3])                                          // (N, D, P)
        }
        return hasBias ? y + parameters["bias"] : y
    }
}

extension LocallyConnected1d: WeightLayer {
    /// W is the `weight` parameter, (D, C, P, k).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor { parameters["weight"] }
    public var filterParameterKeys: [String] { ["weight"] }
    /// P = I: the inner loop adapts W itself.
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor { gradient }
}

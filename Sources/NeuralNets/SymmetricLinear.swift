import Tensors

/// MSR's reparameterised fully connected layer (Zhou, Knowles & Finn, ICLR 2021, §4):
///
///     W = reshape(U · v),   y = x · Wᵀ + b
///
/// The *symmetry matrix* U (O·I × K) is the sharing pattern, learned by the outer loop only; the *filter
/// parameters* v (K) and the bias b (O) are what the inner loop adapts to each task. With U fixed to the
/// stacked shift matrices, W is a convolution; MSR learns U from a family of tasks.
///
/// Shapes: x (…, I) → y (…, O); `symmetryMatrix` U (O·I, K), `filterParameters` v (K), `bias` b (O).
/// W (O, I) is row-major: W[o, i] = (U·v)[o·I + i]. Initialised as the reference code's `ShareLinearFull`:
/// U ~ N(0, 0.01²), v ~ N(0, (1/O)²), b ~ U(±1/√I).
public struct SymmetricLinear: Layer {
    public var inputFeatures, outputFeatures, latentSize: Int
    public var hasBias: Bool

    public static let symmetryMatrixKey = "symmetryMatrix"
    public static let filterParametersKey = "filterParameters"

    public init(_ inputFeatures: Int, _ outputFeatures: Int, latentSize: Int, bias: Bool = true) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        self.latentSize = latentSize
        self.hasBias = bias
    }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        p["symmetryMatrix"] = Tensor.randomNormal([outputFeatures * inputFeatures, latentSize], standardDeviation: 0.01,
                                                  dtype: dtype, using: &generator)
        p["filterParameters"] = Tensor.randomNormal([latentSize], standardDeviation: 1 / Double(outputFeatures),
                                                    dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputFeatures], fanIn: inputFeatures, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["filterParameters", "bias"] : ["filterParameters"] }

    /// W = reshape(U · v), (O, I).
    public func weight(_ parameters: Parameters) -> Tensor {
        Tensor.matmul(parameters["symmetryMatrix"], parameters["filterParameters"].reshaped([latentSize, 1]))
            .reshaped([outputFeatures, inputFeatures])
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let y = Tensor.matmul(input, weight(parameters), transposeB: true)
        return hasBias ? y + parameters["bias"] : y
    }
}

extension SymmetricLinear: ReparameterisedLayer {
    /// W = reshape(U · v), (O, I).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor { weight(parameters) }
    public var filterParameterKeys: [String] { [Self.filterParametersKey] }
    public var symmetryMatrixKeys: [String] { [Self.symmetryMatrixKey] }
    /// P = U·Uᵀ over W's O·I entries (row-major): g (O, I) → reshape(U·Uᵀ·vec g), (O, I).
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor {
        symmetryMatrixGram(parameters[Self.symmetryMatrixKey], applied: gradient)
    }
}

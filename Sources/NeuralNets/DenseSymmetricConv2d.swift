import Tensors

/// MSR's general reparameterisation applied to a convolution's filter bank (Zhou, Knowles & Finn, ICLR 2021,
/// §4): the whole bank is W = reshape(U · v) with one dense symmetry matrix U, as MSR-FC does for a fully
/// connected weight,
///
///     W = reshape(U · v, (D, C, kh, kw)),    y = conv2d(x, W)
///
/// Translation stays built in (it is a convolution); U is a full (D·C·kh·kw × K) matrix, so it can express
/// any sharing of the bank across output channels, input channels and taps, in particular the G-equivariant
/// banks of a finite group acting on (channel, tap) pairs (`FilterBankSymmetry.symmetryMatrix`), which the
/// Kronecker-factored `SymmetricConv2d` (U = A ⊗ B ⊗ C) cannot represent: the C4 group average over taps
/// and channels is a sum of four Kronecker products, not one. The inner loop adapts the filter parameters
/// v (K) only; U is learned by the outer loop. One inner SGD step moves W by −α·U·Uᵀ·∇_W L.
///
/// Shapes: x (N, C, H, W) → y (N, D, (H + 2·ph − kh)/sh + 1, (W + 2·pw − kw)/sw + 1), stride (sh, sw) and
/// padding (ph, pw) defaulting to (1, 1) and (0, 0). Parameters: `symmetryMatrix` U (D·C·kh·kw, K), rows in
/// the bank's row-major order ((d·C + c)·kh + i)·kw + j; `filterParameters` v (K); with `bias`, a `bias` (D)
/// added after the convolution, drawn last as PyTorch's U(±1/√(C·kh·kw)) and adapted with v.
///
/// Initialisation: U ~ N(0, 1/R) with R = D·C·kh·kw rows, so its columns are nearly orthonormal and
/// U·Uᵀ starts close to the projector onto a random K-dimensional subspace of filter banks (the first inner
/// step is MAML-Conv's step restricted to that subspace); v ~ N(0, R/(3·K·C·kh·kw)), which gives W the
/// expected squared norm of PyTorch's default convolution initialisation U(±1/√(C·kh·kw)). (The reference
/// code's `ShareLinearFull` draws U ~ N(0, 0.01²): at that scale U·Uᵀ ≈ 0 and the inner step starts inert.)
public struct DenseSymmetricConv2d: Layer {
    public var inputChannels, outputChannels, latentSize: Int
    public var kernelSize: (Int, Int)
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var hasBias: Bool

    public static let symmetryMatrixKey = "symmetryMatrix"
    public static let filterParametersKey = "filterParameters"

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int) = (3, 3), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), latentSize: Int, bias: Bool = false) {
        precondition(latentSize >= 1, "DenseSymmetricConv2d: latent size K must be ≥ 1, got \(latentSize)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.latentSize = latentSize
        self.hasBias = bias
    }

    public var taps: Int { kernelSize.0 * kernelSize.1 }
    /// R = D·C·kh·kw: the entries of the filter bank, the rows of U.
    public var bankSize: Int { outputChannels * inputChannels * taps }
    /// The filter bank's shape (D, C, kh, kw).
    public var bankShape: [Int] { [outputChannels, inputChannels, kernelSize.0, kernelSize.1] }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        let r = Double(bankSize)
        p[Self.symmetryMatrixKey] = Tensor.randomNormal([bankSize, latentSize], standardDeviation: 1 / r.squareRoot(),
                                                        dtype: dtype, using: &generator)
        let vScale = (r / (3 * Double(latentSize) * Double(inputChannels * taps))).squareRoot()
        p[Self.filterParametersKey] = Tensor.randomNormal([latentSize], standardDeviation: vScale, dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputChannels], fanIn: inputChannels * taps, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? [Self.filterParametersKey, "bias"] : [Self.filterParametersKey] }

    /// W = reshape(U · v), (D, C, kh, kw).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor {
        Tensor.matmul(parameters[Self.symmetryMatrixKey], parameters[Self.filterParametersKey].reshaped([latentSize, 1]))
            .reshaped(bankShape)
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        Tensor.conv2d(input, weight: effectiveWeight(parameters), bias: hasBias ? parameters["bias"] : nil,
                      stride: stride, padding: padding)
    }
}

extension DenseSymmetricConv2d: ReparameterisedLayer {
    public var filterParameterKeys: [String] { [Self.filterParametersKey] }
    public var symmetryMatrixKeys: [String] { [Self.symmetryMatrixKey] }
    /// P = U·Uᵀ over the bank's D·C·kh·kw entries: g (D, C, kh, kw) → reshape(U·Uᵀ·vec g), (D, C, kh, kw).
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor {
        symmetryMatrixGram(parameters[Self.symmetryMatrixKey], applied: gradient)
    }
}

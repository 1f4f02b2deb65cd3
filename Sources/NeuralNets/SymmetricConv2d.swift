import Tensors

/// MSR's reparameterised convolution with a Kronecker-factored symmetry matrix (Zhou, Knowles & Finn,
/// ICLR 2021, §4.2): the filter bank w (D, C, kh·kw) is transformed by three learned matrices before the
/// convolution,
///
///     w̃[i, k, l] = Σ_{j, m, n} A[i, j] · B[k, m] · C[l, n] · w[j, m, n]      (U = A ⊗ B ⊗ C)
///     y = conv2d(x, reshape(w̃, (D, C, kh, kw)))
///
/// A (D × D) mixes output channels, B (C × C) input channels, C (kh·kw × kh·kw) kernel taps. Translation
/// stays built in (it is still a convolution); the factors can learn rotations and reflections (a rotation
/// of the taps that moves with a cyclic shift of the channels). A, B, C start at the identity and are
/// learned by the outer loop only; the inner loop adapts the filter bank w. Because the factors are full
/// square matrices, one inner SGD step on w moves w̃ by (A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ) applied to the gradient: the
/// symmetry is learned as a preconditioning of the inner step.
///
/// Shapes: x (N, C, H, W) → y (N, D, (H + 2·ph − kh)/sh + 1, (W + 2·pw − kw)/sw + 1), stride (sh, sw) and
/// padding (ph, pw) defaulting to (1, 1) and (0, 0). Parameters: `weight` (D, C, kh, kw),
/// `symmetryMatrix.outputChannels` A (D, D), `symmetryMatrix.inputChannels` B (C, C),
/// `symmetryMatrix.kernelTaps` C (kh·kw, kh·kw), and with `bias` a `bias` (D) added after the convolution
/// (drawn last, U(±1/√(C·kh·kw)), as `Conv4`'s MSR blocks draw it). The reference code calls them `weight`,
/// `A_warp`, `B_warp`, `C_warp` (`ShareConv2d`), and the fixture `msr_conv2d` pins the computation.
public struct SymmetricConv2d: Layer {
    public var inputChannels, outputChannels: Int
    public var kernelSize: (Int, Int)
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var hasBias: Bool

    public static let outputChannelsKey = "symmetryMatrix.outputChannels"
    public static let inputChannelsKey = "symmetryMatrix.inputChannels"
    public static let kernelTapsKey = "symmetryMatrix.kernelTaps"

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int) = (3, 3), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = false) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.hasBias = bias
    }

    public var taps: Int { kernelSize.0 * kernelSize.1 }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        p["weight"] = defaultUniformInit([outputChannels, inputChannels, kernelSize.0, kernelSize.1],
                                         fanIn: inputChannels * taps, dtype: dtype, using: &generator)
        p[Self.outputChannelsKey] = Tensor.eye(outputChannels, dtype: dtype)
        p[Self.inputChannelsKey] = Tensor.eye(inputChannels, dtype: dtype)
        p[Self.kernelTapsKey] = Tensor.eye(taps, dtype: dtype)
        if hasBias { p["bias"] = defaultUniformInit([outputChannels], fanIn: inputChannels * taps, dtype: dtype, using: &generator) }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["weight", "bias"] : ["weight"] }

    /// The effective filter bank w̃ = (A ⊗ B ⊗ C)·w, shaped (D, C, kh, kw).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor {
        let w = parameters["weight"]
        return w.reshaped([outputChannels, inputChannels, taps])
            .contracted(axis: 0, with: parameters[Self.outputChannelsKey])
            .contracted(axis: 1, with: parameters[Self.inputChannelsKey])
            .contracted(axis: 2, with: parameters[Self.kernelTapsKey])
            .reshaped(w.shape)
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        Tensor.conv2d(input, weight: effectiveWeight(parameters), bias: hasBias ? parameters["bias"] : nil,
                      stride: stride, padding: padding)
    }
}

extension SymmetricConv2d: ReparameterisedLayer {
    public var filterParameterKeys: [String] { ["weight"] }
    public var symmetryMatrixKeys: [String] { [Self.inputChannelsKey, Self.kernelTapsKey, Self.outputChannelsKey] }
    /// P = A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ: g (D, C, kh, kw) → K·Kᵀ·g with K = A ⊗ B ⊗ C, applied factor by factor (Kᵀ
    /// along output channels, input channels and taps, then K), (D, C, kh, kw).
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor {
        let a = parameters[Self.outputChannelsKey], b = parameters[Self.inputChannelsKey], c = parameters[Self.kernelTapsKey]
        return gradient.reshaped([outputChannels, inputChannels, taps])
            .contracted(axis: 0, with: a.transposed()).contracted(axis: 1, with: b.transposed()).contracted(axis: 2, with: c.transposed())
            .contracted(axis: 0, with: a).contracted(axis: 1, with: b).contracted(axis: 2, with: c)
            .reshaped(gradient.shape)
    }
}

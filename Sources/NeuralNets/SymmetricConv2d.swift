import Foundation
import Tensors

/// MSR's reparameterised convolution with a Kronecker-factored symmetry matrix (Zhou, Knowles & Finn,
/// ICLR 2021, §4.2): the filter bank w (D, C, kh·kw) is transformed by learned matrices before the
/// convolution, a sum of r Kronecker products (r = `terms`; r = 1 is the paper's MSR-Conv),
///
///     w̃[i, k, l] = Σ_{t<r} Σ_{j, m, n} Aₜ[i, j] · Bₜ[k, m] · Cₜ[l, n] · w[j, m, n]      (U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ)
///     y = conv2d(x, reshape(w̃, (D, C, kh, kw)))
///
/// A (D × D) mixes output channels, B (C × C) input channels, C (kh·kw × kh·kw) kernel taps. Translation
/// stays built in (it is still a convolution); the factors can learn rotations and reflections (a rotation
/// of the taps that moves with a cyclic shift of the channels). A, B, C start at the identity and are
/// learned by the outer loop only; the inner loop adapts the filter bank w. Because the factors are full
/// square matrices, one inner SGD step on w moves w̃ by (A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ) applied to the gradient: the
/// symmetry is learned as a preconditioning of the inner step.
///
/// Why a sum. One Kronecker product cannot hold a group's equivariant banks: the projector onto the banks
/// that commute with C4 (taps turned by 90° with the channels shifted cyclically) is the group average
/// (1/|G|)·Σ_g ρ_channels(g) ⊗ I ⊗ ρ_taps(g), a sum of |G| Kronecker products, so r ≥ |G| terms can
/// represent it exactly and r = 1 only its g = e term. A dense U (`DenseSymmetricConv2d`) can too, but has
/// (D·C·kh·kw)² entries (36,864² for Conv4's 64→64 3×3 layers); r terms have r·(D² + C² + (kh·kw)²).
///
/// Initialisation: r = 1 starts at A = B = C = I (U = I, the plain convolution). For r > 1 the sum still
/// starts at U = I exactly, with the terms made different so that the outer loop can pull them apart:
/// Bₜ = Cₜ = r^(−1/3)·I and Aₜ = r^(−1/3)·(I + σ·Nₜ), with Nₜ ~ N(0, 1/D) entrywise, centred over the
/// terms (Σₜ Nₜ = 0), σ = `termNoise`; then Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ = r⁻¹·Σₜ (I + σ·Nₜ) ⊗ I ⊗ I = I. Equal
/// terms would stay equal forever (each term's gradient is the same function of the others); the factors'
/// r^(−1/3) scale keeps the three factors of a term equally large, so none of them starts with a tiny gradient.
///
/// Shapes: x (N, C, H, W) → y (N, D, (H + 2·ph − kh)/sh + 1, (W + 2·pw − kw)/sw + 1), stride (sh, sw) and
/// padding (ph, pw) defaulting to (1, 1) and (0, 0). Parameters: `weight` (D, C, kh, kw),
/// `symmetryMatrix.outputChannels` A (D, D), `symmetryMatrix.inputChannels` B (C, C),
/// `symmetryMatrix.kernelTaps` C (kh·kw, kh·kw) for the first term, the same keys with `.t` appended for
/// term t ≥ 1 (`factorKey(_:term:)`), and with `bias` a `bias` (D) added after the convolution (drawn
/// after the bank, U(±1/√(C·kh·kw)), as `Conv4`'s MSR blocks draw it; the terms' noise is drawn last). The
/// reference code calls the r = 1 parameters `weight`, `A_warp`, `B_warp`, `C_warp` (`ShareConv2d`), and
/// the fixture `msr_conv2d` pins the computation.
public struct SymmetricConv2d: Layer {
    public var inputChannels, outputChannels: Int
    public var kernelSize: (Int, Int)
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var hasBias: Bool
    /// r, the number of Kronecker products summed in U (1: the paper's MSR-Conv).
    public var terms: Int

    /// σ, the size of the centred noise that makes the terms of r > 1 differ at initialisation.
    public static let termNoise = 0.5
    /// The most terms a layer may have (a file's or a flag's r is checked against it before anything is
    /// allocated): more than the 16 of D8, the largest group the tool builds, with room to spare.
    public static let maximumTerms = 64

    public static let outputChannelsKey = "symmetryMatrix.outputChannels"
    public static let inputChannelsKey = "symmetryMatrix.inputChannels"
    public static let kernelTapsKey = "symmetryMatrix.kernelTaps"

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: (Int, Int) = (3, 3), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), bias: Bool = false, terms: Int = 1) {
        precondition(terms >= 1, "SymmetricConv2d: the number of Kronecker terms r must be ≥ 1, got \(terms)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.hasBias = bias
        self.terms = terms
    }

    /// The key of one factor (`outputChannelsKey`, `inputChannelsKey` or `kernelTapsKey`) of term t:
    /// the key itself for t = 0, `key.t` after.
    public static func factorKey(_ key: String, term: Int) -> String { term == 0 ? key : "\(key).\(term)" }

    /// The factors (A, B, C) of every term, in term order.
    func factors(_ parameters: Parameters) -> [(a: Tensor, b: Tensor, c: Tensor)] {
        (0..<terms).map { t in
            (parameters[Self.factorKey(Self.outputChannelsKey, term: t)], parameters[Self.factorKey(Self.inputChannelsKey, term: t)],
             parameters[Self.factorKey(Self.kernelTapsKey, term: t)])
        }
    }

    public var taps: Int { kernelSize.0 * kernelSize.1 }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        p["weight"] = defaultUniformInit([outputChannels, inputChannels, kernelSize.0, kernelSize.1],
                                         fanIn: inputChannels * taps, dtype: dtype, using: &generator)
        if hasBias { p["bias"] = defaultUniformInit([outputChannels], fanIn: inputChannels * taps, dtype: dtype, using: &generator) }
        guard terms > 1 else {
            p[Self.outputChannelsKey] = Tensor.eye(outputChannels, dtype: dtype)
            p[Self.inputChannelsKey] = Tensor.eye(inputChannels, dtype: dtype)
            p[Self.kernelTapsKey] = Tensor.eye(taps, dtype: dtype)
            return p
        }
        // Aₜ = s·(I + σ·Nₜ) with Σₜ Nₜ = 0, Bₜ = Cₜ = s·I, s = r^(−1/3): Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ = I.
        let d = outputChannels, scale = pow(Double(terms), -1.0 / 3)
        let noise = (0..<terms).map { _ in
            Tensor.randomNormal([d, d], standardDeviation: 1 / Double(d).squareRoot(), dtype: .float64, using: &generator).scalars
        }
        let mean = (0..<d * d).map { i in noise.reduce(0) { $0 + $1[i] } / Double(terms) }
        for t in 0..<terms {
            let a = (0..<d * d).map { i in scale * ((i / d == i % d ? 1 : 0) + Self.termNoise * (noise[t][i] - mean[i])) }
            p[Self.factorKey(Self.outputChannelsKey, term: t)] = Tensor(shape: [d, d], values: a, dtype: dtype)
            p[Self.factorKey(Self.inputChannelsKey, term: t)] = Tensor.eye(inputChannels, dtype: dtype) * scale
            p[Self.factorKey(Self.kernelTapsKey, term: t)] = Tensor.eye(taps, dtype: dtype) * scale
        }
        return p
    }

    public var innerParameterKeys: Set<String> { hasBias ? ["weight", "bias"] : ["weight"] }

    /// The effective filter bank w̃ = U·w = Σₜ (Aₜ ⊗ Bₜ ⊗ Cₜ)·w, shaped (D, C, kh, kw).
    public func effectiveWeight(_ parameters: Parameters) -> Tensor {
        let w = parameters["weight"]
        return symmetryMatrix(parameters, applied: w.reshaped([outputChannels, inputChannels, taps])).reshaped(w.shape)
    }

    /// U·x = Σₜ (Aₜ ⊗ Bₜ ⊗ Cₜ)·x, or Uᵀ·x with `transposed`, for a bank x (D, C, kh·kw) → (D, C, kh·kw).
    func symmetryMatrix(_ parameters: Parameters, applied x: Tensor, transposed: Bool = false) -> Tensor {
        let terms = factors(parameters).map { f in
            transposed
                ? x.contracted(axis: 0, with: f.a.transposed()).contracted(axis: 1, with: f.b.transposed()).contracted(axis: 2, with: f.c.transposed())
                : x.contracted(axis: 0, with: f.a).contracted(axis: 1, with: f.b).contracted(axis: 2, with: f.c)
        }
        return terms.dropFirst().reduce(terms[0], +)
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        Tensor.conv2d(input, weight: effectiveWeight(parameters), bias: hasBias ? parameters["bias"] : nil,
                      stride: stride, padding: padding)
    }
}

extension SymmetricConv2d: ReparameterisedLayer {
    public var filterParameterKeys: [String] { ["weight"] }
    public var symmetryMatrixKeys: [String] {
        (0..<terms).flatMap { t in
            [Self.inputChannelsKey, Self.kernelTapsKey, Self.outputChannelsKey].map { Self.factorKey($0, term: t) }
        }.sorted()
    }
    /// P = U·Uᵀ with U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ (for r = 1, A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ): g (D, C, kh, kw) → U·Uᵀ·g, each
    /// term applied factor by factor (Uᵀ, then U), (D, C, kh, kw).
    public func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor {
        let g = gradient.reshaped([outputChannels, inputChannels, taps])
        return symmetryMatrix(parameters, applied: symmetryMatrix(parameters, applied: g, transposed: true)).reshaped(gradient.shape)
    }
}

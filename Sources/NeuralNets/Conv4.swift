import Tensors

/// The four-block convolutional network of few-shot classification (Vinyals et al. 2016; Finn et al. 2017,
/// "Conv4"): four blocks of
///
///     conv 3×3 (padding 1, bias) → batch norm (the batch's statistics, affine) → ReLU → 2×2 max-pool
///
/// then, unless `headless`, a linear head from the flattened embedding to `ways` logits. On 28×28 Omniglot
/// the side shrinks 28 → 14 → 7 → 3 → 1, so the embedding has `width` features; on 84×84 mini-ImageNet
/// 84 → 42 → 21 → 10 → 5, so it has 25·`width`.
///
/// Batch norm always uses the statistics of the batch it is given, at test time too (as MAML's reference
/// code does), so a support set and a query set passed separately are each normalised by their own.
///
/// With `convolution: .symmetric` every block's conv is MSR-Conv (`SymmetricConv2d`, Zhou et al. 2021): its
/// filter bank is `(A ⊗ B ⊗ C)·w`, and the factors A, B, C (`blockᵢ.conv.symmetryMatrix.*`) are learned by
/// the outer loop only. That network under MAML is what the paper calls MSR.
///
/// Shapes: x (N, C, S, S) → logits (N, ways), or the embedding (N, E) when headless, with C `inputChannels`,
/// S `imageSize` and E = `embeddingSize` = width · s², s the side after four halvings (⌊⌊⌊⌊S/2⌋/2⌋/2⌋/2⌋).
///
/// Parameters (i = 1…4, Cᵢ = `inputChannels` for i = 1, else `width`):
/// `blockᵢ.conv.weight` (width, Cᵢ, 3, 3), `blockᵢ.conv.bias` (width), `blockᵢ.norm.scale` (width, ones),
/// `blockᵢ.norm.shift` (width, zeros), and `head.weight` (ways, E), `head.bias` (ways); symmetric blocks add
/// `blockᵢ.conv.symmetryMatrix.outputChannels` (width, width), `.inputChannels` (Cᵢ, Cᵢ) and `.kernelTaps`
/// (9, 9), all starting at the identity.
public struct Conv4: Layer {
    /// The kind of convolution in each block.
    public enum Convolution: String, Sendable, Codable, CaseIterable {
        /// A plain 3×3 convolution (`Conv2d`).
        case standard
        /// MSR-Conv (`SymmetricConv2d`): Kronecker-factored symmetry matrices, outer-only.
        case symmetric
    }

    /// Which parameters an inner loop adapts (`innerParameterKeys`).
    public enum InnerParameters: String, Sendable, Codable, CaseIterable {
        /// Every parameter but the symmetry matrices (MAML, MSR).
        case allButSymmetry
        /// The head only (ANIL).
        case head
        /// None (ProtoNets).
        case none
    }

    public var inputChannels: Int
    public var imageSize: Int
    /// Channels of every block (64 for Omniglot, 32 for mini-ImageNet in MAML's setup).
    public var width: Int
    /// N, the head's outputs; `nil` for a headless network (the embedding only).
    public var ways: Int?
    public var convolution: Convolution
    public var innerParameters: InnerParameters
    /// r of every MSR-Conv block's U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ (`SymmetricConv2d.terms`; 1: the paper's MSR-Conv).
    public var kroneckerTerms: Int

    /// Number of blocks.
    public static let blockCount = 4

    public init(inputChannels: Int = 1, imageSize: Int = 28, width: Int = 64, ways: Int?,
                convolution: Convolution = .standard, innerParameters: InnerParameters = .allButSymmetry, kroneckerTerms: Int = 1) {
        precondition(inputChannels >= 1 && width >= 1 && (ways ?? 1) >= 1, "Conv4: channels, width and ways must be positive")
        precondition(imageSize >= 16, "Conv4: images must be at least 16×16 to survive four 2×2 poolings, got \(imageSize)")
        self.inputChannels = inputChannels
        self.imageSize = imageSize
        self.width = width
        self.ways = ways
        self.convolution = convolution
        self.innerParameters = innerParameters
        self.kroneckerTerms = kroneckerTerms
    }

    /// True when the network ends at the embedding.
    public var headless: Bool { ways == nil }

    /// The side of the last block's output: S halved (rounding down) four times.
    public var outputSide: Int { (0..<Self.blockCount).reduce(imageSize) { s, _ in s / 2 } }

    /// E, the length of the embedding: width · outputSide².
    public var embeddingSize: Int { width * outputSide * outputSide }

    /// The key prefix of block `i` (1-based): `blockᵢ`.
    public static func blockName(_ i: Int) -> String { "block\(i)" }

    /// The convolution of block `i` (1-based), 3×3 with padding 1 and a bias: `Conv2d`, or `SymmetricConv2d`
    /// (whose bias is drawn after its identity factors, as a `Conv2d` bias).
    public func conv(_ i: Int) -> any Layer {
        let c = i == 1 ? inputChannels : width
        switch convolution {
        case .standard: return Conv2d(c, width, kernelSize: (3, 3), padding: (1, 1))
        case .symmetric: return SymmetricConv2d(c, width, kernelSize: (3, 3), padding: (1, 1), bias: true, terms: kroneckerTerms)
        }
    }

    /// The batch norm of every block: `BatchNorm(width)` (`scale` ones, `shift` zeros).
    public var norm: BatchNorm { BatchNorm(width) }

    /// The head, `Linear(embeddingSize, ways)`; nil when headless.
    public var headLayer: Linear? { ways.map { Linear(embeddingSize, $0) } }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        for i in 1...Self.blockCount {
            let block = Self.blockName(i)
            p = p.merging(conv(i).initialParameters(dtype: dtype, using: &generator).prefixed(block + ".conv"))
            p = p.merging(norm.initialParameters(dtype: dtype, using: &generator).prefixed(block + ".norm"))
        }
        if let headLayer {
            p = p.merging(headLayer.initialParameters(dtype: dtype, using: &generator).prefixed("head"))
        }
        return p
    }

    public var innerParameterKeys: Set<String> {
        switch innerParameters {
        case .none: return []
        case .head: return headless ? [] : ["head.weight", "head.bias"]
        case .allButSymmetry:
            var keys: Set<String> = headless ? [] : ["head.weight", "head.bias"]
            for i in 1...Self.blockCount {
                let b = Self.blockName(i)
                keys.formUnion([b + ".conv.weight", b + ".conv.bias", b + ".norm.scale", b + ".norm.shift"])
            }
            return keys
        }
    }

    /// Block `i` (1-based): conv → batch norm (batch statistics) → ReLU → 2×2 max-pool.
    public func block(_ i: Int, _ parameters: Parameters, _ x: Tensor) -> Tensor {
        let b = Self.blockName(i)
        let y = conv(i).apply(parameters.scoped(b + ".conv"), x)
        // Batch norm and max-pool as one op, then ReLU: the same values and gradients as ReLU then max-pool (ReLU is
        // non-decreasing, so it commutes with a maximum; a window whose maximum is ≤ 0 gets zero gradient either
        // way), with the ReLU and its gradient on a quarter of the elements.
        return norm.applyMaxPooled(parameters.scoped(b + ".norm"), y, kernel: (2, 2)).relu()
    }

    /// The embedding: the four blocks, flattened: x (N, C, S, S) → (N, E).
    public func embed(_ parameters: Parameters, _ x: Tensor) -> Tensor {
        var h = x
        for i in 1...Self.blockCount { h = block(i, parameters, h) }
        return h.reshaped([h.shape[0], embeddingSize])
    }

    /// The head: features (N, E) → logits (N, ways) = features · Wᵀ + b.
    public func head(_ parameters: Parameters, _ features: Tensor) -> Tensor {
        Tensor.matmul(features, parameters["head.weight"], transposeB: true) + parameters["head.bias"]
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        let e = embed(parameters, input)
        return headless ? e : head(parameters, e)
    }
}

extension Conv4: CompositeLayer {
    /// `blockᵢ.conv` (`Conv2d` or `SymmetricConv2d`) and `blockᵢ.norm` (`BatchNorm`) for i = 1…4, then
    /// `head` (`Linear`) unless headless.
    public var sublayers: [(prefix: String, layer: any Layer)] {
        var children: [(prefix: String, layer: any Layer)] = []
        for i in 1...Self.blockCount {
            children.append((Self.blockName(i) + ".conv", conv(i)))
            children.append((Self.blockName(i) + ".norm", norm))
        }
        if let headLayer { children.append(("head", headLayer)) }
        return children
    }
}

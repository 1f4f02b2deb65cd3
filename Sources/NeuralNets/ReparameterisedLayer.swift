import Tensors

/// An MSR layer (Zhou, Knowles & Finn, ICLR 2021): a layer whose effective weight W is a function of
/// *symmetry matrices* learned by the outer loop only and *filter parameters* adapted by the inner loop,
///
///     W = reshape(U · v)                     (`SymmetricLinear`, `DenseSymmetricConv2d`; P = U·Uᵀ)
///     w̃ = (A ⊗ B ⊗ C) · w                    (`SymmetricConv2d`;  P = A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ)
///
/// with P the inner-step preconditioner of `WeightLayer` (one inner step moves W by −α·P·∇_W L). The
/// symmetry the layer learned lives in U (what W = reshape(U·v) can express for any v) and in P (which
/// directions an inner step can move W in). Find every MSR layer of a network with
/// `reparameterisedLayers()`.
public protocol ReparameterisedLayer: WeightLayer {
    /// The keys of the symmetry matrices (U, or the factors A, B, C), sorted. The inner loop never adapts them.
    var symmetryMatrixKeys: [String] { get }
}

extension ReparameterisedLayer {
    /// W for `samples` draws of the filter parameters from N(0, I) (the other parameters as given): what the
    /// learned symmetry matrices can express. Each sample draws every filter-parameter tensor in
    /// `filterParameterKeys` order, shaped and typed as in `parameters`.
    public func effectiveWeights(randomFilterParameters samples: Int, _ parameters: Parameters,
                                 using generator: inout SplitMix64) -> [Tensor] {
        (0..<samples).map { _ in
            var p = parameters
            for key in filterParameterKeys {
                p[key] = Tensor.randomNormal(parameters[key].shape, dtype: parameters[key].dtype, using: &generator)
            }
            return effectiveWeight(p)
        }
    }
}

/// U·Uᵀ·vec(g), shaped as g: the inner-step preconditioner of W = reshape(U·v). U (R, K), g with R elements.
func symmetryMatrixGram(_ u: Tensor, applied g: Tensor) -> Tensor {
    Tensor.matmul(u, Tensor.matmul(u, g.reshaped([g.count, 1]), transposeA: true)).reshaped(g.shape)
}

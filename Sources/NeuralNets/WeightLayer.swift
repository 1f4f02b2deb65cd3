import Tensors

/// A layer that computes with one weight tensor W, its *effective weight*: the `weight` parameter itself for
/// a plain layer (`Linear`, `Conv1d`, `Conv2d`, `LocallyConnected1d`), a function of a symmetry matrix and
/// filter parameters for an MSR layer (`ReparameterisedLayer`).
///
/// What an inspector needs to measure a layer without knowing its type: W, the parameters it comes from,
/// and how one inner step moves it. An inner SGD step with rate α on the filter parameters θ moves W by
///
///     ΔW = W(θ − α·∇_θ L) − W(θ) = −α · P · ∇_W L,    P = J·Jᵀ,  J = ∂ vec(W) / ∂θ
///
/// exactly when W is linear in θ (every layer here), to first order otherwise. P is the *inner-step
/// preconditioner*: I for a plain layer, U·Uᵀ for W = reshape(U·v), A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ for the
/// Kronecker-factored convolution.
public protocol WeightLayer: Layer {
    /// W as the layer uses it: (O, I) for a fully connected layer, the filter bank (D, C, k) or
    /// (D, C, kh, kw) for a convolution, (D, C, P, k) for a locally connected layer.
    func effectiveWeight(_ parameters: Parameters) -> Tensor
    /// The keys of the parameters θ that W is computed from and the inner loop adapts (`weight` of a plain
    /// layer and of the Kronecker-factored convolution, `filterParameters` v of W = reshape(U·v)), sorted.
    var filterParameterKeys: [String] { get }
    /// P·g, the inner-step preconditioner applied to a gradient g shaped as W (see the type's doc). Built from
    /// differentiable ops; callers that only measure wrap it in `withoutGradients`.
    func preconditioned(_ gradient: Tensor, _ parameters: Parameters) -> Tensor
}

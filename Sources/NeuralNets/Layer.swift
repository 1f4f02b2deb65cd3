import Tensors

/// A layer or model as a pure function of its parameters: `apply(parameters, input) → output`.
///
/// A value of a `Layer` type describes shapes and the initialiser; it holds no parameters. This is what lets
/// MAML, MSR, ANIL and ProtoNets differ only in which parameters an inner loop adapts.
public protocol Layer: Sendable {
    /// Fresh parameters, drawn with `generator`.
    func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters
    /// The keys an inner loop adapts. The rest (symmetry matrices) are learned by the outer loop only.
    var innerParameterKeys: Set<String> { get }
    /// The layer's output for `input` under `parameters`.
    func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor
}

extension Layer {
    /// By default every parameter is adapted in the inner loop (MAML).
    public var innerParameterKeys: Set<String> {
        var g = SplitMix64(seed: 0)
        return Set(initialParameters(dtype: .float32, using: &g).keys)
    }
}

/// PyTorch's default initialisation of a weight with `fanIn` inputs per output: U(−1/√fanIn, 1/√fanIn)
/// (Kaiming-uniform with a = √5).
public func defaultUniformInit(_ shape: [Int], fanIn: Int, dtype: DType, using generator: inout SplitMix64) -> Tensor {
    let bound = 1 / Double(max(fanIn, 1)).squareRoot()
    return Tensor.randomUniform(shape, low: -bound, high: bound, dtype: dtype, using: &generator)
}

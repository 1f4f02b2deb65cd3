import Tensors

/// A layer without parameters (`ReLU`, `Flatten`, `Pool2d`): it draws nothing and the inner loop has
/// nothing of it to adapt.
public protocol ParameterFreeLayer: Layer {}

extension ParameterFreeLayer {
    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters { Parameters() }
    public var innerParameterKeys: Set<String> { [] }
}

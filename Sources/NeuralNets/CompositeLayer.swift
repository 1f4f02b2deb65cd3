import Tensors

/// A layer made of other layers, each keeping its parameters under a key prefix of the parent's
/// (`Sequential`, `Conv4`): child key `k` under prefix `p` is the parent's key `p.k` (`k` itself for the
/// empty prefix, `Parameters.key(_:under:)`).
///
/// Listing the children is what lets `weightLayers()` and `reparameterisedLayers()` find every weight and
/// every MSR layer of any network without knowing its type.
public protocol CompositeLayer: Layer {
    /// The child layers that hold parameters, in order, each with the prefix of its keys ("" for a child
    /// that shares the parent's keys).
    var sublayers: [(prefix: String, layer: any Layer)] { get }
}

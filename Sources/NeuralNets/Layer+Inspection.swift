import Tensors

extension Layer {
    /// Every layer with an effective weight in this network, plain and MSR, with the prefix of its keys:
    /// the layer itself under "" when it is a `WeightLayer`, else the weight layers of each child of a
    /// `CompositeLayer` under the child's prefix, recursively, in order. Read one with
    /// `layer.effectiveWeight(parameters.scoped(prefix))`.
    ///
    /// An MSR network lists its MSR layers and any plain ones (a linear head); a MAML baseline its plain
    /// layers, the control an inspection compares against.
    public func weightLayers() -> [(prefix: String, layer: any WeightLayer)] {
        if let layer = self as? any WeightLayer { return [("", layer)] }
        guard let composite = self as? any CompositeLayer else { return [] }
        return composite.sublayers.flatMap { child in
            child.layer.weightLayers().map { (prefix: Parameters.key($0.prefix, under: child.prefix), layer: $0.layer) }
        }
    }

    /// The MSR layers among `weightLayers()`, with the prefix of their keys: `"symmetryMatrix"` of a lone
    /// `SymmetricLinear` is under "", `block2.conv.symmetryMatrix.kernelTaps` of MSR-Conv4 under `block2.conv`.
    public func reparameterisedLayers() -> [(prefix: String, layer: any ReparameterisedLayer)] {
        weightLayers().compactMap { entry in (entry.layer as? any ReparameterisedLayer).map { (prefix: entry.prefix, layer: $0) } }
    }
}

import Tensors

/// A network of layers applied one after another (as PyTorch's `nn.Sequential`):
///
///     y = fₙ(… f₂(f₁(x)))
///
/// Each child keeps its parameters under its prefix: its name, or its index ("0", "1", …) when unnamed, so
/// child 0's `symmetryMatrix` is the network's `0.symmetryMatrix`. The one exception: the only child of a
/// network, when unnamed, keeps its own keys (prefix ""), so a one-layer network is that layer, parameters,
/// inner keys and checkpoints included (a one-layer `msr-linear` description is MSR-FC's `SymmetricLinear`).
///
/// Parameters are drawn child by child, in order, from one generator, so a network draws what its layers
/// drawn one after another would. The inner loop adapts the union of the children's `innerParameterKeys`,
/// prefixed, except those of children with `adapted` false (learned by the outer loop only, as ANIL's body).
///
/// Shapes: whatever the children's shapes chain to; `NetworkDescription` checks them before building one.
public struct Sequential: Layer {
    /// A child layer: its name (the key prefix; nil for its index) and whether the inner loop adapts it.
    public struct Child: Sendable {
        public var name: String?
        public var layer: any Layer
        /// False: none of this child's parameters are adapted by the inner loop.
        public var adapted: Bool

        public init(_ layer: any Layer, name: String? = nil, adapted: Bool = true) {
            self.layer = layer
            self.name = name
            self.adapted = adapted
        }
    }

    public var children: [Child]

    /// A network of `children`, whose prefixes (`prefix(ofChild:)`) must differ.
    public init(_ children: [Child]) {
        self.children = children
        let prefixes = children.indices.map(prefix(ofChild:))
        precondition(Set(prefixes).count == prefixes.count, "Sequential: children share a key prefix: \(prefixes)")
    }

    /// A network of unnamed, adapted `layers`, keyed "0", "1", … (or as the layer itself when it is alone).
    public init(_ layers: [any Layer]) { self.init(layers.map { Child($0) }) }

    /// The only child itself when the network is one unnamed, adapted layer (it has the same keys, draws and
    /// outputs), else the network: what a one-layer description or preset builds, so that the built-in
    /// layer types (and what recognises them) are what a user gets.
    public var simplified: any Layer {
        if children.count == 1, children[0].name == nil, children[0].adapted { return children[0].layer }
        return self
    }

    /// The key prefix of child `i`: its name; else its index, or "" when it is the network's only child.
    public func prefix(ofChild i: Int) -> String { Self.prefix(name: children[i].name, index: i, count: children.count) }

    /// The key prefix of child `index` of `count` named `name`: the name; else the index, or "" for an only child.
    public static func prefix(name: String?, index: Int, count: Int) -> String { name ?? (count == 1 ? "" : String(index)) }

    public func initialParameters(dtype: DType, using generator: inout SplitMix64) -> Parameters {
        var p = Parameters()
        for (i, child) in children.enumerated() {
            p = p.merging(child.layer.initialParameters(dtype: dtype, using: &generator).prefixed(prefix(ofChild: i)))
        }
        return p
    }

    public var innerParameterKeys: Set<String> {
        var keys: Set<String> = []
        for (i, child) in children.enumerated() where child.adapted {
            keys.formUnion(child.layer.innerParameterKeys.map { Parameters.key($0, under: prefix(ofChild: i)) })
        }
        return keys
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        var h = input
        for (i, child) in children.enumerated() { h = child.layer.apply(parameters.scoped(prefix(ofChild: i)), h) }
        return h
    }
}

extension Sequential: CompositeLayer {
    /// Every child with its prefix.
    public var sublayers: [(prefix: String, layer: any Layer)] {
        children.indices.map { (prefix(ofChild: $0), children[$0].layer) }
    }
}

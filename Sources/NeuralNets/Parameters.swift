import Tensors

/// A model's parameters: tensors keyed by dotted path (`layer.weight`, `symmetryMatrix`), iterated in
/// sorted key order. The same keys name safetensors entries, optimiser state and the parameter groups
/// the inner loop adapts. A value type: fast weights of an inner loop are just another `Parameters`.
public struct Parameters: Sendable, Sequence {
    public private(set) var tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor] = [:]) { self.tensors = tensors }

    /// Keys in sorted order.
    public var keys: [String] { tensors.keys.sorted() }
    public var count: Int { tensors.count }

    public subscript(key: String) -> Tensor {
        get {
            guard let t = tensors[key] else { preconditionFailure("Parameters: no parameter ‘\(key)’; have \(keys)") }
            return t
        }
        set { tensors[key] = newValue }
    }

    public func contains(_ key: String) -> Bool { tensors[key] != nil }

    /// (key, tensor) pairs in sorted key order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: Tensor)]> {
        keys.map { (key: $0, value: tensors[$0]!) }.makeIterator()
    }

    /// The parameters whose keys satisfy `isIncluded`.
    public func filter(_ isIncluded: (String) -> Bool) -> Parameters {
        Parameters(tensors.filter { isIncluded($0.key) })
    }

    public func mapValues(_ transform: (Tensor) -> Tensor) -> Parameters {
        Parameters(tensors.mapValues(transform))
    }

    /// These parameters with `other`'s values where both have a key, and `other`'s extra keys added.
    public func merging(_ other: Parameters) -> Parameters {
        Parameters(tensors.merging(other.tensors) { _, new in new })
    }

    /// Every parameter as a new leaf of the graph (to differentiate with respect to them).
    public func requiringGradient() -> Parameters { mapValues { $0.requiringGradient() } }

    /// Every parameter cut from the graph.
    public func detached() -> Parameters { mapValues { $0.detached() } }

    /// Keys under `prefix.` with the prefix removed; all of them for the empty prefix (a layer at the root).
    public func scoped(_ prefix: String) -> Parameters {
        if prefix.isEmpty { return self }
        var out: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(prefix + ".") { out[String(k.dropFirst(prefix.count + 1))] = v }
        return Parameters(out)
    }

    /// Every key prefixed with `prefix.`; unchanged for the empty prefix.
    public func prefixed(_ prefix: String) -> Parameters {
        Parameters(Dictionary(uniqueKeysWithValues: tensors.map { (Self.key($0.key, under: prefix), $0.value) }))
    }

    /// `prefix.key`: how a child layer's key (or key prefix) is named in its parent; `key` itself under the
    /// empty prefix, and `prefix` itself for the empty key (a child at its parent's root).
    public static func key(_ key: String, under prefix: String) -> String {
        prefix.isEmpty ? key : key.isEmpty ? prefix : prefix + "." + key
    }

    /// Total number of scalars.
    public var scalarCount: Int { tensors.values.reduce(0) { $0 + $1.count } }
}

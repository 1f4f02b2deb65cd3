import Foundation

/// An n-dimensional array of `Float` or `Double` in contiguous row-major order, with value semantics.
///
/// A tensor may carry a `GraphNode`: the record of the operation that made it, so that `gradients(of:wrt:)`
/// can differentiate through it. Tensors made by `requiringGradient()`, and everything computed from them
/// while recording is on (see `withoutGradients`), carry one; all other tensors are constants.
public struct Tensor: @unchecked Sendable {
    /// Sizes of the dimensions, outermost first. `[]` is a scalar.
    public let shape: [Int]
    /// The elements, row-major.
    public let storage: Storage
    /// How this tensor was computed, when it takes part in differentiation.
    public let node: GraphNode?

    @inline(__always)
    init(shape: [Int], storage: Storage, node: GraphNode? = nil) {
        _ = AllocatorTuning.applied
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    // MARK: - Making tensors

    /// A tensor holding `scalars` (row-major) with the given shape.
    public init<T: TensorScalar>(shape: [Int], scalars: [T]) {
        let count = mustSucceed { try ShapeCheck.elementCount(shape, op: "Tensor(shape:scalars:)") }
        precondition(count == scalars.count,
                     "Tensor(shape:scalars:): shape \(shape) needs \(count) elements, got \(scalars.count)")
        self.init(shape: shape, storage: T.storage(scalars))
    }

    /// A tensor of the given element type from `Double` values (convenient in tests and file readers).
    public init(shape: [Int], values: [Double], dtype: DType) {
        let count = mustSucceed { try ShapeCheck.elementCount(shape, op: "Tensor(shape:values:)") }
        precondition(count == values.count,
                     "Tensor(shape:values:): shape \(shape) needs \(count) elements, got \(values.count)")
        self.init(shape: shape, storage: Storage.float64(values).converted(to: dtype))
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Double, dtype: DType = .float32) {
        self.init(shape: [], storage: Storage.filled(dtype, count: 1, value: value))
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        let n = mustSucceed { try ShapeCheck.elementCount(shape, op: "zeros") }
        return Tensor(shape: shape, storage: .zeros(dtype, count: n))
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) -> Tensor {
        full(shape, value: 1, dtype: dtype)
    }

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) -> Tensor {
        let n = mustSucceed { try ShapeCheck.elementCount(shape, op: "full") }
        return Tensor(shape: shape, storage: .filled(dtype, count: n, value: value))
    }

    /// The n×n identity matrix.
    public static func eye(_ n: Int, dtype: DType = .float32) -> Tensor {
        var v = KernelProfile.zeroedArray(of: Double.self, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        return Tensor(shape: [n, n], values: v, dtype: dtype)
    }

    // MARK: - Reading

    public var dtype: DType { storage.dtype }
    public var rank: Int { shape.count }
    public var count: Int { storage.count }

    /// The elements as `Double`s, row-major.
    public var scalars: [Double] { storage.doubles }

    /// The elements as `Float`s, row-major.
    public var floats: [Float] {
        if case .float32(let a) = storage { return a }
        return storage.doubles.map(Float.init)
    }

    /// The value of a one-element tensor.
    public var item: Double {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected 1")
        switch storage {
        case .float32(let a): return Double(a[0])
        case .float64(let a): return a[0]
        }
    }

    /// The same values in another element type. Differentiable (the gradient is converted back).
    public func to(_ dtype: DType) -> Tensor {
        if dtype == self.dtype { return self }
        let source = self.dtype
        return Tensor.record("to(\(dtype))", shape: shape, storage: storage.converted(to: dtype), inputs: [self]) { g, _ in
            [g.to(source)]
        }
    }

    // MARK: - Differentiation

    /// True when this tensor takes part in differentiation (it has a graph node).
    public var requiresGradient: Bool { node != nil }

    /// The same values as a new leaf of the graph: gradients can be taken with respect to the result.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GraphNode(leafOf: shape))
    }

    /// The same values, cut from the graph: a constant.
    public func detached() -> Tensor {
        node == nil ? self : Tensor(shape: shape, storage: storage)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars
        let shown = values.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), \(dtype): [\(shown)\(values.count > 8 ? ", …" : "")])"
    }
}

import Tensors

extension Tensor {
    /// Σ of equally shaped tensors in the given order, into one buffer (no intermediate tensors): how every
    /// meta-batch's per-task gradients are summed, so that the result does not depend on threads or ranks.
    /// ((t₀ + t₁) + t₂) + …, element by element; the first sum is written straight into the new buffer (where copying
    /// t₀ first cost a U-sized pass per outer step, 0.9% of a rank5 step).
    public static func sumInOrder(_ tensors: [Tensor]) -> Tensor {
        let first = tensors[0]
        guard tensors.count > 1 else { return first.detached() }
        switch first.storage {
        case .float32(let a): return Tensor(shape: first.shape, scalars: sum(a, tensors.dropFirst().map { $0.floats }))
        case .float64(let a): return Tensor(shape: first.shape, scalars: sum(a, tensors.dropFirst().map { $0.scalars }))
        }
    }

    private static func sum<T: TensorScalar>(_ first: [T], _ rest: [[T]]) -> [T] {
        let n = first.count
        precondition(rest.allSatisfy { $0.count == n }, "sumInOrder: tensors of different sizes")
        return [T](unsafeUninitializedCapacity: n) { out, count in
            first.withUnsafeBufferPointer { a in rest[0].withUnsafeBufferPointer { b in
                for i in 0..<n { out[i] = a[i] + b[i] }
            } }
            for x in rest.dropFirst() { x.withUnsafeBufferPointer { b in for i in 0..<n { out[i] += b[i] } } }
            count = n
        }
    }
}

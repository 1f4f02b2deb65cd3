import Tensors

extension Tensor {
    /// Σ of equally shaped tensors in the given order, into one buffer (no intermediate tensors): how every
    /// meta-batch's per-task gradients are summed, so that the result does not depend on threads or ranks.
    public static func sumInOrder(_ tensors: [Tensor]) -> Tensor {
        let first = tensors[0]
        switch first.storage {
        case .float32(var acc):
            for t in tensors.dropFirst() { let x = t.floats; for i in acc.indices { acc[i] += x[i] } }
            return Tensor(shape: first.shape, scalars: acc)
        case .float64(var acc):
            for t in tensors.dropFirst() { let x = t.scalars; for i in acc.indices { acc[i] += x[i] } }
            return Tensor(shape: first.shape, scalars: acc)
        }
    }
}

/// Elementwise arithmetic with NumPy broadcasting: `+ − × ÷` between tensors and with scalars.
///
/// Backward rules (g is the output gradient, summed back to each operand's shape over broadcast axes):
///   d(a+b) = (g, g)   d(a−b) = (g, −g)   d(a·b) = (g·b, g·a)   d(a/b) = (g/b, −g·a/b²)
extension Tensor {
    @inline(__always)
    static func binary<Op: ElementwiseBinaryOperation>(_ op: String, _ a: Tensor, _ b: Tensor, _ operation: Op.Type,
                                                       rule: @escaping BackwardRule) -> Tensor { return KernelProfile.time(.elementwise) {
        guard a.dtype == b.dtype else { preconditionFailure("\(TensorError.dtypeMismatch(op: op, lhs: a.dtype, rhs: b.dtype))") }
        let shape = mustSucceed { try ShapeCheck.broadcast(a.shape, b.shape, op: op) }
        let n = product(shape)
        let storage: Storage
        switch (a.storage, b.storage) {
        case (.float32(let x), .float32(let y)):
            storage = .float32(KernelProfile.uninitializedArray(of: Float.self, count: n) { out, count in
                x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                    broadcastApply(x, a.shape, y, b.shape, outShape: shape, into: out, operation)
                } }
                count = n
            })
        case (.float64(let x), .float64(let y)):
            storage = .float64(KernelProfile.uninitializedArray(of: Double.self, count: n) { out, count in
                x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                    broadcastApply(x, a.shape, y, b.shape, outShape: shape, into: out, operation)
                } }
                count = n
            })
        default: preconditionFailure("unreachable")
        }
        return record(op, shape: shape, storage: storage, inputs: [a, b], rule: rule)
    } }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binary("add", a, b, AddOperation.self) { g, node in
            [node.needsGradient(0) ? g.sum(toShape: node.inputs[0].shape) : nil,
             node.needsGradient(1) ? g.sum(toShape: node.inputs[1].shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binary("subtract", a, b, SubtractOperation.self) { g, node in
            [node.needsGradient(0) ? g.sum(toShape: node.inputs[0].shape) : nil,
             node.needsGradient(1) ? (-g).sum(toShape: node.inputs[1].shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binary("multiply", a, b, MultiplyOperation.self) { g, node in
            let (a, b) = (node.inputs[0], node.inputs[1])
            return [node.needsGradient(0) ? (g * b).sum(toShape: a.shape) : nil,
                    node.needsGradient(1) ? (g * a).sum(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        binary("divide", a, b, DivideOperation.self) { g, node in
            let (a, b) = (node.inputs[0], node.inputs[1])
            return [node.needsGradient(0) ? (g / b).sum(toShape: a.shape) : nil,
                    node.needsGradient(1) ? (-(g * a) / (b * b)).sum(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        unary("negate", x, { -$0 }, { -$0 }) { g, _ in [-g] }
    }

    // Scalars on either side become rank-0 tensors of the tensor's element type.
    public static func + (a: Tensor, b: Double) -> Tensor { a + Tensor(b, dtype: a.dtype) }
    public static func + (a: Double, b: Tensor) -> Tensor { Tensor(a, dtype: b.dtype) + b }
    public static func - (a: Tensor, b: Double) -> Tensor { a - Tensor(b, dtype: a.dtype) }
    public static func - (a: Double, b: Tensor) -> Tensor { Tensor(a, dtype: b.dtype) - b }
    public static func * (a: Tensor, b: Double) -> Tensor { a * Tensor(b, dtype: a.dtype) }
    public static func * (a: Double, b: Tensor) -> Tensor { Tensor(a, dtype: b.dtype) * b }
    public static func / (a: Tensor, b: Double) -> Tensor { a / Tensor(b, dtype: a.dtype) }
    public static func / (a: Double, b: Tensor) -> Tensor { Tensor(a, dtype: b.dtype) / b }
}

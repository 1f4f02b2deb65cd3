import Foundation

/// Elementwise functions. Each primitive gives its derivative beside it; `g` is the output gradient.
extension Tensor {
    @inline(__always)
    static func unary(_ op: String, _ x: Tensor, _ f32: (Float) -> Float, _ f64: (Double) -> Double,
                      saveOutput: Bool = false, rule: @escaping BackwardRule) -> Tensor {
        record(op, shape: x.shape, storage: x.storage.map(f32, f64), inputs: [x], saveOutput: saveOutput, rule: rule)
    }

    /// A constant computed from this tensor's values (masks used by backward rules).
    @inline(__always)
    func constantMap(_ f32: (Float) -> Float, _ f64: (Double) -> Double) -> Tensor {
        Tensor(shape: shape, storage: storage.map(f32, f64))
    }

    /// eˣ.  d/dx = eˣ (the saved output).
    public func exp() -> Tensor {
        Tensor.unary("exp", self, { Foundation.exp($0) }, { Foundation.exp($0) }, saveOutput: true) { g, node in
            [g * node.output]
        }
    }

    /// ln x.  d/dx = 1/x.
    public func log() -> Tensor {
        Tensor.unary("log", self, { Foundation.log($0) }, { Foundation.log($0) }) { g, node in
            [g / node.inputs[0]]
        }
    }

    /// √x.  d/dx = 1 / (2√x).
    public func sqrt() -> Tensor {
        Tensor.unary("sqrt", self, { $0.vectorizableSquareRoot() }, { $0.vectorizableSquareRoot() }, saveOutput: true) { g, node in
            [g * 0.5 / node.output]
        }
    }

    /// xᵖ for a constant exponent.  d/dx = p·xᵖ⁻¹.
    public func pow(_ p: Double) -> Tensor {
        if p == 1 { return self }
        let pf = Float(p)
        return Tensor.unary("pow(\(p))", self, { Foundation.pow($0, pf) }, { Foundation.pow($0, p) }) { g, node in
            p == 0 ? [g * 0] : [g * (node.inputs[0].pow(p - 1) * p)]
        }
    }

    /// x².  d/dx = 2x.
    public func squared() -> Tensor {
        Tensor.unary("square", self, { $0 * $0 }, { $0 * $0 }) { g, node in [g * node.inputs[0] * 2] }
    }

    /// |x|.  d/dx = sign(x) (0 at 0, as PyTorch).
    public func abs() -> Tensor {
        Tensor.unary("abs", self, { Swift.abs($0) }, { Swift.abs($0) }) { g, node in
            [g * node.inputs[0].constantMap({ $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) })]
        }
    }

    /// max(x, 0).  d/dx = 1 where x > 0, else 0: the backward keeps g where x > 0 (`keepingWherePositive`).
    public func relu() -> Tensor {
        Tensor.unary("relu", self, { Swift.max($0, 0) }, { Swift.max($0, 0) }) { g, node in
            [g.keepingWherePositive(node.inputs[0].storage)]
        }
    }

    /// `self` where `mask > 0`, else 0, for a constant `mask` of the same element count and dtype: one
    /// pass. Linear in `self`; backward: the gradient masked the same way.
    func keepingWherePositive(_ mask: Storage) -> Tensor {
        precondition(mask.count == count && mask.dtype == dtype, "keepingWherePositive: mask does not match \(shape)")
        let storage: Storage
        switch (self.storage, mask) {
        case (.float32(let x), .float32(let m)):
            storage = .float32(KernelProfile.uninitializedArray(of: Float.self, count: x.count) { out, k in
                x.withUnsafeBufferPointer { x in m.withUnsafeBufferPointer { m in
                    guard let xp = x.baseAddress, let mp = m.baseAddress, let op = out.baseAddress else { return }
                    for i in 0..<x.count { op[i] = mp[i] > 0 ? xp[i] : 0 }
                } }
                k = x.count
            })
        case (.float64(let x), .float64(let m)):
            storage = .float64(KernelProfile.uninitializedArray(of: Double.self, count: x.count) { out, k in
                x.withUnsafeBufferPointer { x in m.withUnsafeBufferPointer { m in
                    guard let xp = x.baseAddress, let mp = m.baseAddress, let op = out.baseAddress else { return }
                    for i in 0..<x.count { op[i] = mp[i] > 0 ? xp[i] : 0 }
                } }
                k = x.count
            })
        default: preconditionFailure("keepingWherePositive: mask of dtype \(mask.dtype) for \(dtype)")
        }
        return Tensor.record("keepWherePositive", shape: shape, storage: storage, inputs: [self]) { g, _ in
            [g.keepingWherePositive(mask)]
        }
    }

    /// σ(x) = 1 / (1 + e⁻ˣ).  d/dx = σ(x)(1 − σ(x)).
    public func sigmoid() -> Tensor {
        Tensor.unary("sigmoid", self, { 1 / (1 + Foundation.exp(-$0)) }, { 1 / (1 + Foundation.exp(-$0)) },
                     saveOutput: true) { g, node in
            let s = node.output
            return [g * s * (1 - s)]
        }
    }

    /// tanh x.  d/dx = 1 − tanh² x.
    public func tanh() -> Tensor {
        Tensor.unary("tanh", self, { Foundation.tanh($0) }, { Foundation.tanh($0) }, saveOutput: true) { g, node in
            let t = node.output
            return [g * (1 - t * t)]
        }
    }

    /// softplus(x) = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|).  d/dx = σ(x).
    public func softplus() -> Tensor {
        Tensor.unary("softplus", self,
                     { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) },
                     { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) }) { g, node in
            [g * node.inputs[0].sigmoid()]
        }
    }
}

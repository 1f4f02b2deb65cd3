/// Normalisation, softmax and losses, composed from differentiable primitives (no backward rules of their own).
extension Tensor {
    /// log softmax along `axis`: x − m − log Σ exp(x − m), with m = max x held constant for stability
    /// (the result does not depend on m, so treating it as a constant leaves every derivative exact).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let m = max(axis: axis, keepDims: true).detached()
        let z = self - m
        return z - z.exp().sum(axis: axis, keepDims: true).log()
    }

    /// softmax along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { logSoftmax(axis: axis).exp() }

    /// Mean cross-entropy of logits (N, classes) against integer labels (N).
    public static func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
        guard logits.rank == 2, logits.shape[0] == labels.count else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "crossEntropy", lhs: logits.shape, rhs: [labels.count], detail: "expected logits (N, classes) and N labels"))")
        }
        let classes = logits.shape[1]
        var oneHot = KernelProfile.zeroedArray(of: Double.self, count: logits.count)
        for (i, y) in labels.enumerated() {
            precondition(y >= 0 && y < classes, "crossEntropy: label \(y) is outside 0..<\(classes)")
            oneHot[i * classes + y] = 1
        }
        let target = Tensor(shape: logits.shape, values: oneHot, dtype: logits.dtype)
        return -(logits.logSoftmax(axis: 1) * target).sum() / Double(labels.count)
    }

    /// Mean squared error over every element: (1/N) Σ (p − t)².
    ///
    /// One primitive (a fused loop, one graph node). Backward: ∂/∂p = (2/N)(p − t)·g and ∂/∂t = −∂/∂p, made
    /// by `scaledDifference`, itself a differentiable primitive, so gradients of any order are exact.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        guard prediction.shape == target.shape else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "meanSquaredError", lhs: prediction.shape, rhs: target.shape, detail: "prediction and target must have the same shape"))")
        }
        guard prediction.dtype == target.dtype else {
            preconditionFailure("\(TensorError.dtypeMismatch(op: "meanSquaredError", lhs: prediction.dtype, rhs: target.dtype))")
        }
        let n = prediction.count
        let storage: Storage
        switch (prediction.storage, target.storage) {
        case (.float32(let p), .float32(let t)):
            storage = .float32([sumOfSquaredDifferences(p, t) / Float(n)])
        case (.float64(let p), .float64(let t)):
            storage = .float64([sumOfSquaredDifferences(p, t) / Double(n)])
        default: preconditionFailure("unreachable")
        }
        return record("meanSquaredError", shape: [], storage: storage, inputs: [prediction, target]) { g, node in
            let (needP, needT) = (node.needsGradient(0), node.needsGradient(1))
            let (p, t) = (node.inputs[0], node.inputs[1])
            let dp = scaledDifference(p, t, scale: g, factor: 2 / Double(n))
            return [needP ? dp : nil, needT ? -dp : nil]
        }
    }

    /// (a − b) · s · factor, for a and b of the same shape and a one-element `s`; a fused primitive (the
    /// gradient of `meanSquaredError`). Backward: ∂/∂a = g·s·factor, ∂/∂b = −∂/∂a,
    /// ∂/∂s = factor · Σ g·(a − b).
    static func scaledDifference(_ a: Tensor, _ b: Tensor, scale s: Tensor, factor: Double) -> Tensor {
        precondition(a.shape == b.shape && s.count == 1 && a.dtype == b.dtype && a.dtype == s.dtype,
                     "scaledDifference: expected equal shapes and dtypes and a one-element scale, got \(a.shape), \(b.shape), \(s.shape)")
        let n = a.count
        let storage: Storage
        switch (a.storage, b.storage, s.storage) {
        case (.float32(let x), .float32(let y), .float32(let z)):
            let c = z[0] * Float(factor)
            storage = .float32(KernelProfile.uninitializedArray(of: Float.self, count: n) { out, count in
                x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                    for i in 0..<n { out[i] = (x[i] - y[i]) * c }
                } }
                count = n
            })
        case (.float64(let x), .float64(let y), .float64(let z)):
            let c = z[0] * factor
            storage = .float64(KernelProfile.uninitializedArray(of: Double.self, count: n) { out, count in
                x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                    for i in 0..<n { out[i] = (x[i] - y[i]) * c }
                } }
                count = n
            })
        default: preconditionFailure("unreachable")
        }
        let sShape = s.shape
        return record("scaledDifference", shape: a.shape, storage: storage, inputs: [a, b, s]) { g, node in
            let (a, b, s) = (node.inputs[0], node.inputs[1], node.inputs[2])
            let needA = node.needsGradient(0), needB = node.needsGradient(1), needS = node.needsGradient(2)
            var da: Tensor? = nil
            if needA || needB { da = g * (s.reshaped([]) * factor) }
            let ds = needS ? ((g * (a - b)).sum() * factor).reshaped(sShape) : nil
            return [needA ? da : nil, needB ? -da! : nil, ds]
        }
    }
}

/// Σ (p[i] − t[i])² with eight partial sums.
@inline(__always)
func sumOfSquaredDifferences<T: BinaryFloatingPoint & SIMDScalar>(_ p: [T], _ t: [T]) -> T {
    p.withUnsafeBufferPointer { p in t.withUnsafeBufferPointer { t in
        let n = p.count
        var acc = SIMD8<T>()
        var i = 0
        while i + 8 <= n {
            let d = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<T>.self)
                - UnsafeRawPointer(t.baseAddress! + i).loadUnaligned(as: SIMD8<T>.self)
            acc += d * d
            i += 8
        }
        var s = horizontalSum(acc)
        while i < n { let d = p[i] - t[i]; s += d * d; i += 1 }
        return s
    } }
}


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
        squaredErrorMeans(prediction, target, slices: 1, shape: [])
    }

    /// The mean squared error of each slice along the first axis: (B, …) → (B), entry b = (1/M) Σ over slice b of
    /// (p − t)², M = count/B — every task's loss of a task-batched computation at once.
    ///
    /// One primitive, as `meanSquaredError` is for all elements, where the composition (p − t)² then a mean over the
    /// other axes recorded three nodes and, backward, expanded the gradient over the slices and multiplied twice
    /// (rank1: 2.0% of a step in that expansion alone). Backward: ∂/∂p = (2/M)(p − t)·g_b per slice, ∂/∂t = −∂/∂p
    /// (`scaledDifference` with one scale per slice).
    public static func meanSquaredErrorPerSlice(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        guard prediction.rank >= 1 else {
            preconditionFailure("\(TensorError.invalidArgument(op: "meanSquaredErrorPerSlice", detail: "a scalar has no slices"))")
        }
        return squaredErrorMeans(prediction, target, slices: prediction.shape[0], shape: [prediction.shape[0]])
    }

    /// (1/M) Σ (p − t)² over each of `slices` consecutive equal parts of the elements (M = count/slices), as a tensor
    /// of `shape` (`slices` elements); each part summed with eight partial sums.
    private static func squaredErrorMeans(_ prediction: Tensor, _ target: Tensor, slices: Int, shape: [Int]) -> Tensor {
        guard prediction.shape == target.shape else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "meanSquaredError", lhs: prediction.shape, rhs: target.shape, detail: "prediction and target must have the same shape"))")
        }
        guard prediction.dtype == target.dtype else {
            preconditionFailure("\(TensorError.dtypeMismatch(op: "meanSquaredError", lhs: prediction.dtype, rhs: target.dtype))")
        }
        let m = slices == 0 ? 0 : prediction.count / slices
        func means<T: TensorScalar>(_ p: [T], _ t: [T]) -> [T] {
            p.withUnsafeBufferPointer { p in t.withUnsafeBufferPointer { t in
                (0..<slices).map { b in
                    guard let pb = p.baseAddress, let tb = t.baseAddress else { return T.nan }
                    return sumOfSquaredDifferences(pb + b * m, tb + b * m, count: m) / T(m)
                }
            } }
        }
        let storage: Storage
        switch (prediction.storage, target.storage) {
        case (.float32(let p), .float32(let t)): storage = .float32(means(p, t))
        case (.float64(let p), .float64(let t)): storage = .float64(means(p, t))
        default: preconditionFailure("unreachable")
        }
        return record("meanSquaredError", shape: shape, storage: storage, inputs: [prediction, target]) { g, node in
            let (needP, needT) = (node.needsGradient(0), node.needsGradient(1))
            let (p, t) = (node.inputs[0], node.inputs[1])
            let dp = scaledDifference(p, t, scale: g, factor: 2 / Double(m))
            return [needP ? dp : nil, needT ? -dp : nil]
        }
    }

    /// (a − b) · s · factor, for a and b of the same shape and `s` one element — or one per slice of a along its first
    /// axis, each scaling its slice; a fused primitive (the gradient of `meanSquaredError` and of
    /// `meanSquaredErrorPerSlice`). Backward: ∂/∂a = g·s·factor, ∂/∂b = −∂/∂a, ∂/∂s = factor · Σ g·(a − b) (over
    /// each slice).
    static func scaledDifference(_ a: Tensor, _ b: Tensor, scale s: Tensor, factor: Double) -> Tensor {
        let perSlice = s.count != 1
        precondition(a.shape == b.shape && a.dtype == b.dtype && a.dtype == s.dtype
                     && (!perSlice || (a.rank >= 1 && s.count == a.shape[0])),
                     "scaledDifference: expected equal shapes and dtypes and a one-element or one-per-slice scale, got \(a.shape), \(b.shape), \(s.shape)")
        let n = a.count, slices = s.count, m = slices == 0 ? 0 : n / slices
        func run<T: TensorScalar>(_ x: [T], _ y: [T], _ z: [T], _ factor: T) -> [T] {
            KernelProfile.uninitializedArray(of: T.self, count: n) { out, count in
                x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                    for slice in 0..<slices {
                        let c = z[slice] * factor
                        for i in (slice * m)..<((slice + 1) * m) { out[i] = (x[i] - y[i]) * c }
                    }
                } }
                count = n
            }
        }
        let storage: Storage
        switch (a.storage, b.storage, s.storage) {
        case (.float32(let x), .float32(let y), .float32(let z)): storage = .float32(run(x, y, z, Float(factor)))
        case (.float64(let x), .float64(let y), .float64(let z)): storage = .float64(run(x, y, z, factor))
        default: preconditionFailure("unreachable")
        }
        let sShape = s.shape
        // s as it broadcasts over a: a scalar, or (B, 1, …, 1).
        let sBroadcast = perSlice ? [slices] + [Int](repeating: 1, count: a.rank - 1) : []
        return record("scaledDifference", shape: a.shape, storage: storage, inputs: [a, b, s]) { g, node in
            let (a, b, s) = (node.inputs[0], node.inputs[1], node.inputs[2])
            let needA = node.needsGradient(0), needB = node.needsGradient(1), needS = node.needsGradient(2)
            var da: Tensor? = nil
            if needA || needB { da = g * (s.reshaped(sBroadcast) * factor) }
            var ds: Tensor? = nil
            if needS {
                let products = g * (a - b)
                let sums = !perSlice ? products.sum() : products.rank == 1 ? products : products.sum(axes: Array(1..<products.rank))
                ds = (sums * factor).reshaped(sShape)
            }
            return [needA ? da : nil, needB ? -da! : nil, ds]
        }
    }
}

/// Σ (p[i] − t[i])² over `count` elements with eight partial sums.
@inline(__always)
func sumOfSquaredDifferences<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ t: UnsafePointer<T>, count n: Int) -> T {
    var acc = SIMD8<T>()
    var i = 0
    while i + 8 <= n {
        let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<T>.self) - UnsafeRawPointer(t + i).loadUnaligned(as: SIMD8<T>.self)
        acc += d * d
        i += 8
    }
    var s = horizontalSum(acc)
    while i < n { let d = p[i] - t[i]; s += d * d; i += 1 }
    return s
}

/// Per-channel normalisation of (N, C, …) tensors: the channel axis is 1, and statistics are taken over
/// every other axis, N·S elements per channel (S the product of the trailing sizes). Each op is one
/// fused pass (a few for the statistics) instead of a chain of broadcasting primitives.
///
/// Letters: N batch, C channels, S trailing elements per (example, channel), x̂ the standardised input,
/// μ and σ² a channel's mean and biased variance, γ and β the affine scale and shift.
extension Tensor {
    /// Batch normalisation with the batch's statistics: per channel, x̂ = (x − μ)/√(σ² + ε), then
    /// y = γ·x̂ + β, with γ and β of shape (C). Built from `standardizedPerChannel` and `channelAffine`.
    public static func batchNorm(_ x: Tensor, scale gamma: Tensor, shift beta: Tensor, epsilon: Double = 1e-5) -> Tensor {
        guard x.rank >= 2, gamma.shape == [x.shape[1]], beta.shape == [x.shape[1]] else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "batchNorm", lhs: x.shape, rhs: gamma.shape, detail: "expected x (N, C, …) with scale and shift of shape (C)"))")
        }
        return x.standardizedPerChannel(epsilon: epsilon).channelAffine(scale: gamma, shift: beta)
    }

    /// (N, C, S) sizes of this tensor seen per channel.
    func channelLayout(op: String) -> (n: Int, c: Int, s: Int) {
        guard rank >= 2 else {
            preconditionFailure("\(TensorError.invalidShape(op: op, shape: shape, detail: "expected (N, C, …)"))")
        }
        return (shape[0], shape[1], product(shape[2...]))
    }

    /// x̂ = (x − μ_c)/√(σ²_c + ε) per channel c, with the biased variance (the normalisation of batch norm).
    ///
    /// Backward: ∂/∂x = (1/σ̃)·(g − mean_c(g) − x̂·mean_c(g·x̂)), σ̃ = √(σ² + ε). Without graph recording it
    /// runs as one fused kernel; when the gradient is recorded (`createGraph`), the same formula is
    /// built from differentiable ops on x, so gradients of every order are exact.
    public func standardizedPerChannel(epsilon: Double = 1e-5) -> Tensor {
        let (n, c, s) = channelLayout(op: "standardizedPerChannel")
        var inverseDeviation = KernelProfile.zeroedArray(of: Double.self, count: c)
        let storage = inverseDeviation.withUnsafeMutableBufferPointer { inv in
            self.storage.transform(count: count,
                { standardizeKernel($0, n: n, c: c, s: s, epsilon: epsilon, into: $1, inverseDeviation: inv.baseAddress!) },
                { standardizeKernel($0, n: n, c: c, s: s, epsilon: epsilon, into: $1, inverseDeviation: inv.baseAddress!) })
        }
        let shape = self.shape, inverseDeviations = inverseDeviation
        return Tensor.record("standardize", shape: shape, storage: storage, inputs: [self], saveOutput: true) { g, node in
            if GradientMode.isRecording {
                let x = node.inputs[0]
                let axes = [0] + Array(2..<x.rank)
                let centred = x - x.mean(axes: axes, keepDims: true)
                let inverse = 1 / (centred.squared().mean(axes: axes, keepDims: true) + epsilon).sqrt()
                let xHat = centred * inverse
                return [inverse * (g - g.mean(axes: axes, keepDims: true) - xHat * (g * xHat).mean(axes: axes, keepDims: true))]
            }
            guard let saved = node.savedOutput else { preconditionFailure("standardize: output not saved") }
            let dx: Storage
            switch (g.storage, saved) {
            case (.float32(let gs), .float32(let ys)):
                dx = .float32(KernelProfile.uninitializedArray(of: Float.self, count: gs.count) { out, k in
                    gs.withUnsafeBufferPointer { gp in ys.withUnsafeBufferPointer { yp in
                        standardizeBackwardKernel(gp, yp, n: n, c: c, s: s, inverseDeviation: inverseDeviations, into: out)
                    } }
                    k = gs.count
                })
            case (.float64(let gs), .float64(let ys)):
                dx = .float64(KernelProfile.uninitializedArray(of: Double.self, count: gs.count) { out, k in
                    gs.withUnsafeBufferPointer { gp in ys.withUnsafeBufferPointer { yp in
                        standardizeBackwardKernel(gp, yp, n: n, c: c, s: s, inverseDeviation: inverseDeviations, into: out)
                    } }
                    k = gs.count
                })
            default: preconditionFailure("standardize: gradient of dtype \(g.dtype) for \(saved.dtype)")
            }
            return [Tensor(shape: shape, storage: dx)]
        }
    }

    /// y = x·γ_c + β_c per channel c: x (N, C, …), `scale` γ and `shift` β of shape (C) (no shift when nil).
    ///
    /// Backward: ∂/∂x = g·γ_c (itself a `channelAffine`), ∂/∂γ = Σ_{n,s} g·x, ∂/∂β = Σ_{n,s} g (`channelSum`).
    public func channelAffine(scale gamma: Tensor, shift beta: Tensor? = nil) -> Tensor {
        let (n, c, s) = channelLayout(op: "channelAffine")
        guard gamma.shape == [c], beta.map({ $0.shape == [c] }) ?? true,
              gamma.dtype == dtype, beta.map({ $0.dtype == dtype }) ?? true else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "channelAffine", lhs: shape, rhs: gamma.shape, detail: "expected x (N, C, …) with scale and shift of shape (C) and the same dtype"))")
        }
        let storage: Storage
        switch (self.storage, gamma.storage, beta?.storage) {
        case (.float32(let x), .float32(let a), let b):
            let shift: [Float]? = b.map { Float.scalars($0) }
            storage = .float32(KernelProfile.uninitializedArray(of: Float.self, count: x.count) { out, k in
                x.withUnsafeBufferPointer { channelAffineKernel($0, n: n, c: c, s: s, scale: a, shift: shift, into: out) }
                k = x.count
            })
        case (.float64(let x), .float64(let a), let b):
            let shift: [Double]? = b.map { Double.scalars($0) }
            storage = .float64(KernelProfile.uninitializedArray(of: Double.self, count: x.count) { out, k in
                x.withUnsafeBufferPointer { channelAffineKernel($0, n: n, c: c, s: s, scale: a, shift: shift, into: out) }
                k = x.count
            })
        default: preconditionFailure("unreachable")
        }
        let inputs = beta.map { [self, gamma, $0] } ?? [self, gamma]
        return Tensor.record("channelAffine", shape: shape, storage: storage, inputs: inputs) { g, node in
            let (x, gamma) = (node.inputs[0], node.inputs[1])
            var result: [Tensor?] = [node.needsGradient(0) ? g.channelAffine(scale: gamma) : nil,
                                     node.needsGradient(1) ? (g * x).channelSum() : nil]
            if node.inputs.count == 3 { result.append(node.needsGradient(2) ? g.channelSum() : nil) }
            return result
        }
    }

    /// y = x + b_c per channel c: x (N, C, …), `bias` (C) (a convolution's bias), in one pass.
    /// Backward: ∂/∂x = g, ∂/∂b = Σ_{n,s} g (`channelSum`).
    public func addingChannelBias(_ bias: Tensor) -> Tensor {
        let (n, c, s) = channelLayout(op: "addingChannelBias")
        guard bias.shape == [c], bias.dtype == dtype else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "addingChannelBias", lhs: shape, rhs: bias.shape, detail: "expected x (N, C, …) and a bias of shape (C) with the same dtype"))")
        }
        func run<T: BinaryFloatingPoint>(_ x: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            guard let xp = x.baseAddress, let op = out.baseAddress else { return }
            for i in 0..<n {
                for ch in 0..<c {
                    let v = b[ch], src = xp + (i * c + ch) * s, dst = op + (i * c + ch) * s
                    for j in 0..<s { dst[j] = src[j] + v }
                }
            }
        }
        let storage: Storage
        switch (self.storage, bias.storage) {
        case (.float32(let x), .float32(let b)):
            storage = .float32(KernelProfile.uninitializedArray(of: Float.self, count: x.count) { out, k in
                x.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { b in run(x, b, out) } }
                k = x.count
            })
        case (.float64(let x), .float64(let b)):
            storage = .float64(KernelProfile.uninitializedArray(of: Double.self, count: x.count) { out, k in
                x.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { b in run(x, b, out) } }
                k = x.count
            })
        default: preconditionFailure("unreachable")
        }
        return Tensor.record("addChannelBias", shape: shape, storage: storage, inputs: [self, bias]) { g, node in
            [node.needsGradient(0) ? g : nil, node.needsGradient(1) ? g.channelSum() : nil]
        }
    }

    /// Σ over every axis but the channel axis 1: (N, C, …) → (C). Backward: g broadcast back.
    public func channelSum() -> Tensor {
        let (n, c, s) = channelLayout(op: "channelSum")
        let shape = self.shape
        var kept = [Int](repeating: 1, count: rank)
        kept[1] = c
        let storage = self.storage.transform(count: c,
            { channelSumKernel($0, n: n, c: c, s: s, into: $1) }, { channelSumKernel($0, n: n, c: c, s: s, into: $1) })
        return Tensor.record("channelSum", shape: [c], storage: storage, inputs: [self]) { g, _ in
            [g.reshaped(kept).expanded(to: shape)]
        }
    }
}

// MARK: - Kernels

/// Σ p[0..<count] with eight partial sums.
@inline(__always)
func contiguousSum<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ count: Int) -> T {
    var acc = SIMD8<T>()
    var i = 0
    while i + 8 <= count {
        acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<T>.self)
        i += 8
    }
    var total = horizontalSum(acc)
    while i < count { total += p[i]; i += 1 }
    return total
}

/// Σ (p[i] − m)² and Σ p[i]·q[i] helpers over a contiguous run.
@inline(__always)
func contiguousSquaredDeviation<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ count: Int, mean m: T) -> T {
    var acc = SIMD8<T>()
    let mv = SIMD8<T>(repeating: m)
    var i = 0
    while i + 8 <= count {
        let d = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<T>.self) - mv
        acc += d * d
        i += 8
    }
    var total = horizontalSum(acc)
    while i < count { let d = p[i] - m; total += d * d; i += 1 }
    return total
}

@inline(__always)
func contiguousDot<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ q: UnsafePointer<T>, _ count: Int) -> T {
    var acc = SIMD8<T>()
    var i = 0
    while i + 8 <= count {
        acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<T>.self) * UnsafeRawPointer(q + i).loadUnaligned(as: SIMD8<T>.self)
        i += 8
    }
    var total = horizontalSum(acc)
    while i < count { total += p[i] * q[i]; i += 1 }
    return total
}

/// `out = (x − μ_c)/√(σ²_c + ε)`, storing 1/√(σ²_c + ε) in `inverseDeviation`.
func standardizeKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ x: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, epsilon: Double,
    into out: UnsafeMutableBufferPointer<T>, inverseDeviation: UnsafeMutablePointer<Double>
) { KernelProfile.time(.batchNorm) {
    guard let xp = x.baseAddress, let op = out.baseAddress, n * s > 0 else { return }
    let size = T(n * s)
    IntraOp.forEachRange(items: c, parts: IntraOp.parts(items: c, work: n * c * s)) { channels in
        for ch in channels {
            var total: T = 0
            for i in 0..<n { total += contiguousSum(xp + (i * c + ch) * s, s) }
            let mean = total / size
            var squares: T = 0
            for i in 0..<n { squares += contiguousSquaredDeviation(xp + (i * c + ch) * s, s, mean: mean) }
            let inverse = 1 / (squares / size + T(epsilon)).squareRoot()
            inverseDeviation[ch] = Double(inverse)
            for i in 0..<n {
                let src = xp + (i * c + ch) * s, dst = op + (i * c + ch) * s
                for j in 0..<s { dst[j] = (src[j] - mean) * inverse }
            }
        }
    }
} }

/// `out = (1/σ̃_c)·(g − mean_c(g) − x̂·mean_c(g·x̂))`.
func standardizeBackwardKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ g: UnsafeBufferPointer<T>, _ xHat: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, inverseDeviation: [Double],
    into out: UnsafeMutableBufferPointer<T>
) { KernelProfile.time(.batchNorm) {
    guard let gp = g.baseAddress, let yp = xHat.baseAddress, let op = out.baseAddress, n * s > 0 else { return }
    let size = T(n * s)
    IntraOp.forEachRange(items: c, parts: IntraOp.parts(items: c, work: n * c * s)) { channels in
        for ch in channels {
            var gSum: T = 0, gyDot: T = 0
            for i in 0..<n {
                let offset = (i * c + ch) * s
                gSum += contiguousSum(gp + offset, s)
                gyDot += contiguousDot(gp + offset, yp + offset, s)
            }
            let gMean = gSum / size, gyMean = gyDot / size
            let inverse = T(inverseDeviation[ch])
            for i in 0..<n {
                let offset = (i * c + ch) * s
                let gr = gp + offset, yr = yp + offset, dst = op + offset
                for j in 0..<s { dst[j] = inverse * (gr[j] - gMean - yr[j] * gyMean) }
            }
        }
    }
} }

/// `out = x·γ_c + β_c`.
func channelAffineKernel<T: BinaryFloatingPoint>(
    _ x: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, scale: [T], shift: [T]?,
    into out: UnsafeMutableBufferPointer<T>
) { KernelProfile.time(.batchNorm) {
    guard let xp = x.baseAddress, let op = out.baseAddress else { return }
    IntraOp.forEachRange(items: n, parts: IntraOp.parts(items: n, work: n * c * s)) { images in
        for i in images {
            for ch in 0..<c {
                let a = scale[ch], b = shift?[ch] ?? 0
                let src = xp + (i * c + ch) * s, dst = op + (i * c + ch) * s
                for j in 0..<s { dst[j] = src[j] * a + b }
            }
        }
    }
} }

/// `out[c] = Σ_{n,s} x[n, c, s]`.
func channelSumKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ x: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, into out: UnsafeMutableBufferPointer<T>
) { KernelProfile.time(.batchNorm) {
    guard let op = out.baseAddress else { return }
    guard let xp = x.baseAddress else { op.update(repeating: 0, count: c); return }
    IntraOp.forEachRange(items: c, parts: IntraOp.parts(items: c, work: n * c * s)) { channels in
        for ch in channels {
            var total: T = 0
            for i in 0..<n { total += contiguousSum(xp + (i * c + ch) * s, s) }
            op[ch] = total
        }
    }
} }

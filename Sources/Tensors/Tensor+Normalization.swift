/// Per-channel normalisation of (N, C, …) tensors: the channel axis is 1, and statistics are taken over
/// every other axis, N·S elements per channel (S the product of the trailing sizes). Each op is one
/// fused pass (a few for the statistics) instead of a chain of broadcasting primitives.
///
/// Letters: N batch, C channels, S trailing elements per (example, channel), x̂ the standardised input,
/// μ and σ² a channel's mean and biased variance, γ and β the affine scale and shift.
extension Tensor {
    /// Batch normalisation with the batch's statistics: per channel, x̂ = (x − μ)/√(σ² + ε), then
    /// y = γ·x̂ + β, with γ and β of shape (C) — `standardizedPerChannel` and `channelAffine` as one op: one pass
    /// writes y (x̂ is never stored), and the backward needs only x and the per-channel μ and 1/σ̃.
    ///
    /// Backward: ∂/∂x = (γ/σ̃)·(g − mean_c(g) − x̂·mean_c(g·x̂)), ∂/∂γ = Σ_{n,s} g·x̂, ∂/∂β = Σ_{n,s} g. Without graph
    /// recording it runs as two fused passes over g and x; when the gradient is recorded (`createGraph`), the same
    /// formulas are built from differentiable ops on x, γ, so gradients of every order are exact.
    public static func batchNorm(_ x: Tensor, scale gamma: Tensor, shift beta: Tensor, epsilon: Double = 1e-5) -> Tensor {
        guard x.rank >= 2, gamma.shape == [x.shape[1]], beta.shape == [x.shape[1]],
              gamma.dtype == x.dtype, beta.dtype == x.dtype else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "batchNorm", lhs: x.shape, rhs: gamma.shape, detail: "expected x (N, C, …) with scale and shift of shape (C) and the same dtype"))")
        }
        let (storage, statistics) = x.normalizedPerChannel(epsilon: epsilon, scale: gamma.storage, shift: beta.storage)
        return Tensor.record("batchNorm", shape: x.shape, storage: storage, inputs: [x, gamma, beta]) { g, node in
            let (x, gamma) = (node.inputs[0], node.inputs[1])
            let needs = (node.needsGradient(0), node.needsGradient(1), node.needsGradient(2))
            if GradientMode.isRecording { return batchNormGradientsByOps(g, x, gamma, epsilon: epsilon, needs: needs) }
            let (dx, dGamma, dBeta) = normalizedPerChannelBackward(g, x, statistics, scale: gamma.storage, inputGradient: needs.0)
            return [dx, needs.1 ? dGamma : nil, needs.2 ? dBeta : nil]
        }
    }

    /// `batchNorm` followed by max-pooling over kh×kw windows (stride defaults to the kernel) as one op: the pool reads
    /// the batch norm's values as it computes them (`maxPoolKernel` with a `ChannelAffineMap`), so the full-size
    /// output is never stored, and the backward forms the per-channel sums from the pooled gradient alone and writes
    /// ∂x in one pass, adding the pooled gradient at the recorded maxima — no full-size ∂y is made. Values and
    /// gradients are those of `batchNorm(x, …).maxPool2d(…)` to rounding (the same maxima and ties).
    ///
    /// Shapes: x (N, C, H, W), γ and β (C) → (N, C, oh, ow). With graph recording the backward is the composite's,
    /// built from differentiable ops, so gradients of every order are exact.
    public static func batchNormMaxPool2d(_ x: Tensor, scale gamma: Tensor, shift beta: Tensor, epsilon: Double = 1e-5,
                                          kernel: (Int, Int), stride: (Int, Int)? = nil) -> Tensor {
        guard x.rank == 4, gamma.shape == [x.shape[1]], beta.shape == [x.shape[1]], gamma.dtype == x.dtype, beta.dtype == x.dtype else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "batchNormMaxPool2d", lhs: x.shape, rhs: gamma.shape, detail: "expected x (N, C, H, W) with scale and shift of shape (C) and the same dtype"))")
        }
        let g = mustSucceed { try windowGeometry(input: x.shape, kernel: kernel, stride: stride ?? kernel, padding: (0, 0), op: "batchNormMaxPool2d") }
        precondition(x.count <= Int(Int32.max), "batchNormMaxPool2d: input of \(x.count) elements is too large")
        let (n, c, s) = x.channelLayout(op: "batchNormMaxPool2d")
        let outShape = [n, c, g.outHeight, g.outWidth], outCount = n * c * g.outHeight * g.outWidth
        var means = KernelProfile.zeroedArray(of: Double.self, count: c), inverses = KernelProfile.zeroedArray(of: Double.self, count: c)
        var indices = [Int32](repeating: 0, count: outCount)
        func run<T: TensorScalar>(_ xs: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            means.withUnsafeMutableBufferPointer { mean in inverses.withUnsafeMutableBufferPointer { inv in
                channelStatisticsKernel(xs, n: n, c: c, s: s, epsilon: epsilon, mean: mean.baseAddress!, inverseDeviation: inv.baseAddress!)
            } }
            let (gammas, betas) = (T.scalars(gamma.storage), T.scalars(beta.storage))
            let map = ChannelAffineMap(channels: c, mean: means.map { T($0) }, scale: (0..<c).map { T(inverses[$0]) * gammas[$0] },
                                       shift: betas)
            indices.withUnsafeMutableBufferPointer { maxPoolKernel(xs, planes: n * c, g, map: map, into: out, indices: $0.baseAddress!) }
        }
        let storage = x.storage.transform(count: outCount, run, run)
        let saved = ChannelStatistics(n: n, c: c, s: s, mean: means, inverseDeviation: inverses)
        let (inShape, savedIndices) = (x.shape, indices)
        return Tensor.record("batchNormMaxPool2d", shape: outShape, storage: storage, inputs: [x, gamma, beta]) { grad, node in
            let (x, gamma) = (node.inputs[0], node.inputs[1])
            let needs = (node.needsGradient(0), node.needsGradient(1), node.needsGradient(2))
            if GradientMode.isRecording {
                return batchNormGradientsByOps(grad.scatterAdding(at: savedIndices, toShape: inShape), x, gamma, epsilon: epsilon, needs: needs)
            }
            let (dx, dGamma, dBeta) = normalizedPerChannelBackward(grad, x, saved, scale: gamma.storage, pooledAt: savedIndices,
                                                                   inputGradient: needs.0)
            return [dx, needs.1 ? dGamma : nil, needs.2 ? dBeta : nil]
        }
    }

    /// The gradients of y = γ·x̂ + β (per channel, x̂ = (x − μ)/σ̃ over the batch) from ∂y = g, built from differentiable
    /// ops: the recorded backward of `batchNorm` and `batchNormMaxPool2d`.
    static func batchNormGradientsByOps(_ g: Tensor, _ x: Tensor, _ gamma: Tensor, epsilon: Double, needs: (Bool, Bool, Bool)) -> [Tensor?] {
        let kept = [1, gamma.count] + Array(repeating: 1, count: x.rank - 2)
        let (xHat, inverse) = x.standardizedPerChannelByOps(epsilon: epsilon)
        let gxHat = g * xHat
        let axes = [0] + Array(2..<x.rank)
        return [needs.0 ? gamma.reshaped(kept) * inverse * (g - g.mean(axes: axes, keepDims: true)
                                                            - xHat * gxHat.mean(axes: axes, keepDims: true)) : nil,
                needs.1 ? gxHat.channelSum() : nil,
                needs.2 ? g.channelSum() : nil]
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
        let (storage, statistics) = normalizedPerChannel(epsilon: epsilon, scale: nil, shift: nil)
        return Tensor.record("standardize", shape: shape, storage: storage, inputs: [self]) { g, node in
            let x = node.inputs[0]
            if GradientMode.isRecording {
                let axes = [0] + Array(2..<x.rank)
                let (xHat, inverse) = x.standardizedPerChannelByOps(epsilon: epsilon)
                return [inverse * (g - g.mean(axes: axes, keepDims: true) - xHat * (g * xHat).mean(axes: axes, keepDims: true))]
            }
            return [Tensor.normalizedPerChannelBackward(g, x, statistics, scale: nil, inputGradient: true).input]
        }
    }

    /// x̂ = (x − μ)/σ̃ and 1/σ̃ (kept dimensions) from differentiable ops: the recorded backward of the normalisations.
    func standardizedPerChannelByOps(epsilon: Double) -> (xHat: Tensor, inverse: Tensor) {
        let axes = [0] + Array(2..<rank)
        let centred = self - mean(axes: axes, keepDims: true)
        let inverse = 1 / (centred.squared().mean(axes: axes, keepDims: true) + epsilon).sqrt()
        return (centred * inverse, inverse)
    }

    /// Per channel μ and 1/σ̃ of this (N, C, …) tensor, and (x − μ)·(γ/σ̃) + β (γ = 1 and β = 0 when nil): the
    /// forward of `standardizedPerChannel` and `batchNorm`.
    func normalizedPerChannel(epsilon: Double, scale: Storage?, shift: Storage?) -> (Storage, ChannelStatistics) {
        let (n, c, s) = channelLayout(op: "standardizedPerChannel")
        var means = KernelProfile.zeroedArray(of: Double.self, count: c), inverses = KernelProfile.zeroedArray(of: Double.self, count: c)
        let storage = means.withUnsafeMutableBufferPointer { mean in
            inverses.withUnsafeMutableBufferPointer { inv in
                self.storage.transform(count: count,
                    { normalizeKernel($0, n: n, c: c, s: s, epsilon: epsilon, scale: scale.map(Float.scalars), shift: shift.map(Float.scalars),
                                      into: $1, mean: mean.baseAddress!, inverseDeviation: inv.baseAddress!) },
                    { normalizeKernel($0, n: n, c: c, s: s, epsilon: epsilon, scale: scale.map(Double.scalars), shift: shift.map(Double.scalars),
                                      into: $1, mean: mean.baseAddress!, inverseDeviation: inv.baseAddress!) })
            }
        }
        return (storage, ChannelStatistics(n: n, c: c, s: s, mean: means, inverseDeviation: inverses))
    }

    /// The backward of `normalizedPerChannel` without recording: ∂x (when `inputGradient`), Σ g·x̂ and Σ g per channel.
    /// With `indices`, g is the gradient of a max-pool of y taken at those flat indices of x (`batchNormMaxPool2d`).
    static func normalizedPerChannelBackward(_ g: Tensor, _ x: Tensor, _ statistics: ChannelStatistics, scale: Storage?,
                                             pooledAt indices: [Int32]? = nil,
                                             inputGradient: Bool) -> (input: Tensor?, scale: Tensor, shift: Tensor) {
        let (n, c, s) = (statistics.n, statistics.c, statistics.s)
        func run<T: TensorScalar>(_ g: [T], _ x: [T], _ scale: [T]?) -> ([T]?, [T], [T]) {
            var gxHat = [T](repeating: 0, count: c), gSum = [T](repeating: 0, count: c)
            let dx: [T]? = g.withUnsafeBufferPointer { gp in x.withUnsafeBufferPointer { xp in
                gxHat.withUnsafeMutableBufferPointer { gxHat in gSum.withUnsafeMutableBufferPointer { gSum in
                    func kernel(into out: UnsafeMutablePointer<T>?) {
                        if let indices {
                            indices.withUnsafeBufferPointer {
                                pooledNormalizeBackwardKernel(gp, xp, $0, statistics, scale: scale, into: out,
                                                              gxHatSums: gxHat.baseAddress!, gSums: gSum.baseAddress!)
                            }
                        } else {
                            normalizeBackwardKernel(gp, xp, n: n, c: c, s: s, statistics, scale: scale, into: out,
                                                    gxHatSums: gxHat.baseAddress!, gSums: gSum.baseAddress!)
                        }
                    }
                    guard inputGradient else { kernel(into: nil); return nil }
                    return KernelProfile.uninitializedArray(of: T.self, count: x.count) { out, k in
                        kernel(into: out.baseAddress)
                        k = x.count
                    }
                } }
            } }
            return (dx, gxHat, gSum)
        }
        switch (g.storage, x.storage) {
        case (.float32(let gs), .float32(let xs)):
            let (dx, gxHat, gSum) = run(gs, xs, scale.map(Float.scalars))
            return (dx.map { Tensor(shape: x.shape, scalars: $0) }, Tensor(shape: [c], scalars: gxHat), Tensor(shape: [c], scalars: gSum))
        case (.float64(let gs), .float64(let xs)):
            let (dx, gxHat, gSum) = run(gs, xs, scale.map(Double.scalars))
            return (dx.map { Tensor(shape: x.shape, scalars: $0) }, Tensor(shape: [c], scalars: gxHat), Tensor(shape: [c], scalars: gSum))
        default: preconditionFailure("normalizedPerChannelBackward: gradient of dtype \(g.dtype) for \(x.dtype)")
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

/// Σ p[i]·(q[i] − m) over a contiguous run.
@inline(__always)
func contiguousCentredDot<T: BinaryFloatingPoint & SIMDScalar>(_ p: UnsafePointer<T>, _ q: UnsafePointer<T>, _ count: Int, mean m: T) -> T {
    var acc = SIMD8<T>()
    let mv = SIMD8<T>(repeating: m)
    var i = 0
    while i + 8 <= count {
        acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<T>.self) * (UnsafeRawPointer(q + i).loadUnaligned(as: SIMD8<T>.self) - mv)
        i += 8
    }
    var total = horizontalSum(acc)
    while i < count { total += p[i] * (q[i] - m); i += 1 }
    return total
}

/// Per-channel statistics of a normalisation's input, (N, C, S) as `channelLayout`: μ_c and 1/σ̃_c = 1/√(σ²_c + ε).
struct ChannelStatistics: @unchecked Sendable {
    var n, c, s: Int
    var mean: [Double]
    var inverseDeviation: [Double]
}

/// μ and 1/√(σ² + ε) of channel `channel` of x (n, c, s): two passes over its n runs of s.
@inline(__always)
func channelStatistics<T: BinaryFloatingPoint & SIMDScalar>(_ xp: UnsafePointer<T>, n: Int, c: Int, s: Int, channel ch: Int,
                                                            epsilon: Double) -> (mean: T, inverse: T) {
    let size = T(n * s)
    var total: T = 0
    for i in 0..<n { total += contiguousSum(xp + (i * c + ch) * s, s) }
    let mean = total / size
    var squares: T = 0
    for i in 0..<n { squares += contiguousSquaredDeviation(xp + (i * c + ch) * s, s, mean: mean) }
    return (mean, 1 / (squares / size + T(epsilon)).squareRoot())
}

/// μ_c and 1/σ̃_c of every channel (the statistics `normalizeKernel` takes; `batchNormMaxPool2d` pools the map
/// they define without storing it).
func channelStatisticsKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ x: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, epsilon: Double,
    mean means: UnsafeMutablePointer<Double>, inverseDeviation: UnsafeMutablePointer<Double>
) { KernelProfile.time(.batchNorm) {
    guard let xp = x.baseAddress, n * s > 0 else { return }
    IntraOp.forEachRange(items: c, parts: IntraOp.parts(items: c, work: n * c * s)) { channels in
        for ch in channels {
            let (mean, inverse) = channelStatistics(xp, n: n, c: c, s: s, channel: ch, epsilon: epsilon)
            means[ch] = Double(mean)
            inverseDeviation[ch] = Double(inverse)
        }
    }
} }

/// `out = (x − μ_c)·(γ_c/σ̃_c) + β_c` (γ = 1 and β = 0 when nil: x̂ itself), storing μ_c and 1/σ̃_c.
func normalizeKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ x: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, epsilon: Double, scale: [T]?, shift: [T]?,
    into out: UnsafeMutableBufferPointer<T>, mean means: UnsafeMutablePointer<Double>, inverseDeviation: UnsafeMutablePointer<Double>
) { KernelProfile.time(.batchNorm) {
    guard let xp = x.baseAddress, let op = out.baseAddress, n * s > 0 else { return }
    IntraOp.forEachRange(items: c, parts: IntraOp.parts(items: c, work: n * c * s)) { channels in
        for ch in channels {
            let (mean, inverse) = channelStatistics(xp, n: n, c: c, s: s, channel: ch, epsilon: epsilon)
            means[ch] = Double(mean)
            inverseDeviation[ch] = Double(inverse)
            if scale == nil && shift == nil {
                for i in 0..<n {
                    let src = xp + (i * c + ch) * s, dst = op + (i * c + ch) * s
                    for j in 0..<s { dst[j] = (src[j] - mean) * inverse }
                }
            } else {
                let a = inverse * (scale?[ch] ?? 1), b = shift?[ch] ?? 0
                for i in 0..<n {
                    let src = xp + (i * c + ch) * s, dst = op + (i * c + ch) * s
                    for j in 0..<s { dst[j] = (src[j] - mean) * a + b }
                }
            }
        }
    }
} }

/// What both normalisation backward kernels do per channel c (channels split over the threads): with μ_c and 1/σ̃_c,
/// `sums(c, μ_c)` gives (Σ g, Σ g·(x − μ_c)), stored as Σ g in `gSums` and Σ g·x̂ in `gxHatSums`; then, when ∂x is
/// wanted, `write(c, μ_c, 1/σ̃_c, a_c = γ_c/σ̃_c, mean_c(g), mean_c(g·x̂))` writes channel c of ∂x. Neither runs when
/// the channels are empty (the sums are then 0).
@inline(__always)
func normalizeBackwardChannels<T: BinaryFloatingPoint & SIMDScalar>(
    _ statistics: ChannelStatistics, scale: [T]?, writes: Bool, gxHatSums: UnsafeMutablePointer<T>, gSums: UnsafeMutablePointer<T>,
    sums: (Int, T) -> (T, T), write: (Int, T, T, T, T, T) -> Void
) {
    let (n, c, s) = (statistics.n, statistics.c, statistics.s)
    guard n * s > 0 else {
        gxHatSums.update(repeating: 0, count: c)
        gSums.update(repeating: 0, count: c)
        return
    }
    let size = T(n * s)
    IntraOp.forEachRange(items: c, parts: IntraOp.parts(items: c, work: n * c * s)) { channels in
        for ch in channels {
            let mean = T(statistics.mean[ch]), inverse = T(statistics.inverseDeviation[ch])
            let (gSum, gCentredDot) = sums(ch, mean)
            let gxHatSum = gCentredDot * inverse
            gSums[ch] = gSum
            gxHatSums[ch] = gxHatSum
            if writes { write(ch, mean, inverse, inverse * (scale?[ch] ?? 1), gSum / size, gxHatSum / size) }
        }
    }
}

/// From g = ∂L/∂y of y = γ·x̂ + β (γ = 1 when nil), x̂ = (x − μ_c)/σ̃_c: per channel Σ g·x̂ into `gxHatSums` and Σ g
/// into `gSums`, and, when `out` is given, ∂x = (γ_c/σ̃_c)·(g − mean_c(g) − x̂·mean_c(g·x̂)). Two passes over g and x.
func normalizeBackwardKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ g: UnsafeBufferPointer<T>, _ x: UnsafeBufferPointer<T>, n: Int, c: Int, s: Int, _ statistics: ChannelStatistics, scale: [T]?,
    into out: UnsafeMutablePointer<T>?, gxHatSums: UnsafeMutablePointer<T>, gSums: UnsafeMutablePointer<T>
) { KernelProfile.time(.batchNorm) {
    // Base addresses are nil only for empty channels, when no closure runs.
    let (g0, x0) = (g.baseAddress, x.baseAddress)
    normalizeBackwardChannels(statistics, scale: scale, writes: out != nil, gxHatSums: gxHatSums, gSums: gSums, sums: { ch, mean in
        let (gp, xp) = (g0!, x0!)
        var gSum: T = 0, gCentredDot: T = 0
        for i in 0..<n {
            let offset = (i * c + ch) * s
            gSum += contiguousSum(gp + offset, s)
            gCentredDot += contiguousCentredDot(gp + offset, xp + offset, s, mean: mean)
        }
        return (gSum, gCentredDot)
    }, write: { ch, mean, inverse, a, gMean, gxHatMean in
        let (gp, xp) = (g0!, x0!)
        for i in 0..<n {
            let offset = (i * c + ch) * s
            let gr = gp + offset, xr = xp + offset, dst = out! + offset
            for j in 0..<s { dst[j] = a * (gr[j] - gMean - (xr[j] - mean) * inverse * gxHatMean) }
        }
    })
} }

/// `normalizeBackwardKernel` for a pooled batch norm: g (N, C, oh, ow) is the gradient of the maxima of y = γ·x̂ + β at
/// the flat indices `indices` of x (N, C, H, W). The sums run over the pooled gradient (Σ g, Σ g·x̂ at the maxima); ∂x
/// = (γ/σ̃)·(−mean(g) − x̂·mean(g·x̂)) everywhere, plus (γ/σ̃)·g at the maxima (a channel's maxima lie in its own planes).
func pooledNormalizeBackwardKernel<T: BinaryFloatingPoint & SIMDScalar>(
    _ g: UnsafeBufferPointer<T>, _ x: UnsafeBufferPointer<T>, _ indices: UnsafeBufferPointer<Int32>, _ statistics: ChannelStatistics,
    scale: [T]?, into out: UnsafeMutablePointer<T>?, gxHatSums: UnsafeMutablePointer<T>, gSums: UnsafeMutablePointer<T>
) { KernelProfile.time(.batchNorm) {
    let (n, c, s) = (statistics.n, statistics.c, statistics.s)
    let pooled = g.count / Swift.max(n * c, 1)
    // Base addresses are nil only for empty channels, when no closure runs.
    let (g0, x0, idx0) = (g.baseAddress, x.baseAddress, indices.baseAddress)
    normalizeBackwardChannels(statistics, scale: scale, writes: out != nil, gxHatSums: gxHatSums, gSums: gSums, sums: { ch, mean in
        let (gp, xp, idx) = (g0!, x0!, idx0!)
        var gSum: T = 0, gCentredDot: T = 0
        for i in 0..<n {
            let offset = (i * c + ch) * pooled
            for o in offset..<(offset + pooled) {
                gSum += gp[o]
                gCentredDot += gp[o] * (xp[Int(idx[o])] - mean)
            }
        }
        return (gSum, gCentredDot)
    }, write: { ch, mean, inverse, a, gMean, gxHatMean in
        let (gp, xp, idx, op) = (g0!, x0!, idx0!, out!)
        for i in 0..<n {
            let offset = (i * c + ch) * s
            let xr = xp + offset, dst = op + offset
            for j in 0..<s { dst[j] = a * (-gMean - (xr[j] - mean) * inverse * gxHatMean) }
            let pooledOffset = (i * c + ch) * pooled
            for o in pooledOffset..<(pooledOffset + pooled) { op[Int(idx[o])] += a * gp[o] }
        }
    })
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

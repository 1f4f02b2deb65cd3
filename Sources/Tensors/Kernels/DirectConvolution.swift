// Convolutions with few input channels, computed straight from the padded image: no unfolded columns, no packing.

/// y = conv(x, w) and ∂w for stride-1 convolutions whose windows have few taps K = C·kh·kw (the 2-D families' and
/// Conv4's first layers: one input channel, K = 9). With so few taps, im2col · W is a product whose inner dimension is
/// K: each of its columns is read from memory, unfolded and packed for K multiply-adds, and the 6×16 register tile
/// holds K values of a sliver. Here every tap of a window is one vector load from a zero-padded copy of the image:
///
///     y[n, d, oy, ox + λ] = Σ_t w[d, t] · P[n, oy·Wp + ox + λ + offset_t]     λ = 0..<8, offset_t = c·Hp·Wp + ky·Wp + kx
///     ∂w[d, t]            = Σ_{n, oy, ox, λ} ∂y[n, d, oy, ox + λ] · P[n, oy·Wp + ox + λ + offset_t]
///
/// with P the image padded to Hp × Wp. A row of outputs is covered by vectors of 8 starting at 0, 8, 16, … and, where
/// 8 does not divide the row, one more ending at its last output (overlapping the one before it: the forward writes
/// those outputs twice with the same values; the weight gradient zeroes the overlap's lanes of ∂y so that each
/// output counts once). Rows narrower than 8 are not taken (`applies`).
///
/// Register blocks fit 16 vector registers (AVX2; SIMD8 is one register there and on AVX-512, where Zen 4 runs
/// 256- and 512-bit multiply-adds at the same rate): the forward holds 4 output channels × 2 vectors of outputs (8
/// accumulators; per tap 2 loads and 4 broadcasts for 8 multiply-adds), the weight gradient 3 output channels × 3 taps
/// (9 accumulators; per vector of outputs 3 loads of ∂y and 3 of P for 9 multiply-adds). Channel blocks past D repeat
/// the last channel and tap groups past K the last tap; their results are the same values again (forward) or dropped.
///
/// Threads split images (forward) or blocks of output channels (weight gradient, each thread padding every image); each
/// element is accumulated in the same order whatever the split: taps in order for an output, and for ∂w each lane
/// over an image's rows and vectors in order, then the images' partial sums in order, the 8 lanes summed at the end. So results do not depend on the thread count.
enum DirectConvolution<T: GemmScalar> {
    typealias Vector = SIMD8<T>
    static var width: Int { Vector.scalarCount }

    /// Whether this kernel computes a convolution over `g`: stride 1 and output rows at least one vector wide.
    static func applies(_ g: WindowGeometry) -> Bool {
        g.strideY == 1 && g.strideX == 1 && g.outWidth >= width
    }

    /// The padded image's geometry and each tap's offset in it.
    struct Layout {
        let paddedHeight: Int, paddedWidth: Int, plane: Int
        /// offset_t for t = c·kh·kw + ky·kw + kx, the order of w's last three axes.
        let offsets: [Int]
        /// Where the vectors of one output row start: 0, 8, … and, if 8 does not divide the row, its last 8.
        let starts: [Int]
        /// Lanes of the last vector that repeat outputs of the one before it (0 where 8 divides the row).
        let overlap: Int

        init(channels c: Int, _ g: WindowGeometry) {
            (paddedHeight, paddedWidth) = (g.height + 2 * g.padY, g.width + 2 * g.padX)
            plane = paddedHeight * paddedWidth
            var offsets = [Int]()
            for ci in 0..<c {
                for ky in 0..<g.kernelHeight {
                    for kx in 0..<g.kernelWidth { offsets.append(ci * paddedHeight * paddedWidth + ky * paddedWidth + kx) }
                }
            }
            self.offsets = offsets
            let ow = g.outWidth, whole = ow / DirectConvolution.width
            var starts = (0..<whole).map { $0 * DirectConvolution.width }
            if ow % DirectConvolution.width != 0 { starts.append(ow - DirectConvolution.width) }
            self.starts = starts
            overlap = ow % DirectConvolution.width == 0 ? 0 : DirectConvolution.width - ow % DirectConvolution.width
        }

        /// Image x_i (C × H × W) into `padded` (C × Hp × Wp), whose border must already be zero (it is never written).
        func pad(_ image: UnsafePointer<T>, channels c: Int, _ g: WindowGeometry, into padded: UnsafeMutablePointer<T>) {
            for ci in 0..<c {
                copyRows(image + ci * g.height * g.width, height: g.height, width: g.width,
                         into: padded + ci * plane + g.padY * paddedWidth + g.padX, rowStride: paddedWidth)
            }
        }
    }

    /// y (N, D, oh, ow) from x (N, C, H, W), w (D, C, kh, kw) and, if given, a bias b (D) added to each output after
    /// its sum (as `Tensor.addingChannelBias` would); `g` must satisfy `applies`.
    static func forward(x: UnsafePointer<T>, weight w: UnsafePointer<T>, bias: UnsafePointer<T>? = nil, into y: UnsafeMutablePointer<T>,
                        images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        KernelProfile.time(.products) {
            if GemmKernelSelection.fusedIsFast {
                forward(FusedMultiplyAdd.self, x: x, weight: w, bias: bias, into: y, images: n, channels: c, outputs: d, g)
            } else {
                forward(SeparateMultiplyAdd.self, x: x, weight: w, bias: bias, into: y, images: n, channels: c, outputs: d, g)
            }
        }
    }

    /// ∂w (D, C, kh, kw) from x (N, C, H, W) and ∂y (N, D, oh, ow); `g` must satisfy `applies`.
    static func weightGradient(x: UnsafePointer<T>, outputGradient gy: UnsafePointer<T>, into gw: UnsafeMutablePointer<T>,
                               images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        KernelProfile.time(.products) {
            if GemmKernelSelection.fusedIsFast {
                weightGradient(FusedMultiplyAdd.self, x: x, outputGradient: gy, into: gw, images: n, channels: c, outputs: d, g)
            } else {
                weightGradient(SeparateMultiplyAdd.self, x: x, outputGradient: gy, into: gw, images: n, channels: c, outputs: d, g)
            }
        }
    }

    static func forward<MA: GemmMultiplyAdd>(_: MA.Type, x: UnsafePointer<T>, weight w: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                             into y: UnsafeMutablePointer<T>, images n: Int, channels c: Int, outputs d: Int,
                                             _ g: WindowGeometry) {
        precondition(applies(g), "the direct convolution needs stride 1 and outputs at least \(width) wide")
        let layout = Layout(channels: c, g)
        let (k, oh, ow, wp) = (layout.offsets.count, g.outHeight, g.outWidth, layout.paddedWidth)
        let image = c * g.height * g.width, outImage = d * oh * ow
        // w packed by blocks of 4 output channels, tap by tap: packed[(b·K + t)·4 + j] = w[min(4b + j, D − 1), t].
        let blocks = (d + 3) / 4
        let packed = UnsafeMutablePointer<T>.allocate(capacity: blocks * k * 4)
        defer { packed.deallocate() }
        for b in 0..<blocks {
            for t in 0..<k {
                for j in 0..<4 { packed[(b * k + t) * 4 + j] = w[Swift.min(4 * b + j, d - 1) * k + t] }
            }
        }
        // Pairs of vector starts (the last one alone is paired with itself).
        let starts = layout.starts
        let pairs = (0..<((starts.count + 1) / 2)).map { (starts[2 * $0], starts[Swift.min(2 * $0 + 1, starts.count - 1)]) }
        layout.offsets.withUnsafeBufferPointer { offsets in
            let offsets = offsets.baseAddress!
            IntraOp.forEachRange(items: n, parts: IntraOp.parts(items: n, work: n * d * k * oh * ow)) { images in
                let padded = UnsafeMutablePointer<T>.allocate(capacity: c * layout.plane)
                padded.initialize(repeating: 0, count: c * layout.plane)
                defer { padded.deallocate() }
                for i in images {
                    layout.pad(x + i * image, channels: c, g, into: padded)
                    // Block by block, its 4 output planes row by row (4 streams of stores; the padded image stays in L1).
                    for b in 0..<blocks {
                        let weights = UnsafePointer(packed) + b * k * 4
                        for oy in 0..<oh {
                            let row = UnsafePointer(padded) + oy * wp
                            @inline(__always) func out(_ j: Int) -> UnsafeMutablePointer<T> {
                                y + i * outImage + (Swift.min(4 * b + j, d - 1) * oh + oy) * ow
                            }
                            let (out0, out1, out2, out3) = (out(0), out(1), out(2), out(3))
                            @inline(__always) func biasVector(_ j: Int) -> Vector {
                                Vector(repeating: bias.map { $0[Swift.min(4 * b + j, d - 1)] } ?? 0)
                            }
                            let (bias0, bias1, bias2, bias3) = (biasVector(0), biasVector(1), biasVector(2), biasVector(3))
                            for (s0, s1) in pairs {
                                var (a0, a1, a2, a3) = (Vector(), Vector(), Vector(), Vector())
                                var (b0, b1, b2, b3) = (Vector(), Vector(), Vector(), Vector())
                                for t in 0..<k {
                                    let p = row + offsets[t], wt = weights + 4 * t
                                    let (x0, x1) = (load(p + s0), load(p + s1))
                                    let w0 = Vector(repeating: wt[0]), w1 = Vector(repeating: wt[1])
                                    let w2 = Vector(repeating: wt[2]), w3 = Vector(repeating: wt[3])
                                    a0 = MA.multiplyAdd(a0, x0, w0); b0 = MA.multiplyAdd(b0, x1, w0)
                                    a1 = MA.multiplyAdd(a1, x0, w1); b1 = MA.multiplyAdd(b1, x1, w1)
                                    a2 = MA.multiplyAdd(a2, x0, w2); b2 = MA.multiplyAdd(b2, x1, w2)
                                    a3 = MA.multiplyAdd(a3, x0, w3); b3 = MA.multiplyAdd(b3, x1, w3)
                                }
                                // Channel 3 first: in a last block that repeats a channel, its copies hold the same values.
                                // The bias after the sum. Without one, adding zero changes no value: the sums start
                                // at +0, so none is −0.
                                store(a3 + bias3, out3 + s0); store(b3 + bias3, out3 + s1)
                                store(a2 + bias2, out2 + s0); store(b2 + bias2, out2 + s1)
                                store(a1 + bias1, out1 + s0); store(b1 + bias1, out1 + s1)
                                store(a0 + bias0, out0 + s0); store(b0 + bias0, out0 + s1)
                            }
                        }
                    }
                }
            }
        }
    }

    static func weightGradient<MA: GemmMultiplyAdd>(_: MA.Type, x: UnsafePointer<T>, outputGradient gy: UnsafePointer<T>,
                                                    into gw: UnsafeMutablePointer<T>, images n: Int, channels c: Int,
                                                    outputs d: Int, _ g: WindowGeometry) {
        precondition(applies(g), "the direct convolution needs stride 1 and outputs at least \(width) wide")
        let layout = Layout(channels: c, g)
        let (k, oh, ow, wp) = (layout.offsets.count, g.outHeight, g.outWidth, layout.paddedWidth)
        let image = c * g.height * g.width, outImage = d * oh * ow
        let (blocks, groups) = ((d + 2) / 3, (k + 2) / 3)
        // Offsets of the taps in groups of 3, the last tap repeated past K.
        let offsets = (0..<(3 * groups)).map { layout.offsets[Swift.min($0, k - 1)] }
        let starts = layout.starts, whole = layout.overlap == 0 ? starts.count : starts.count - 1
        // The last vector's lanes that repeat outputs of the one before it.
        var repeated = SIMDMask<Vector.MaskStorage>()
        for lane in 0..<layout.overlap { repeated[lane] = true }
        let lastStart = starts[starts.count - 1]
        offsets.withUnsafeBufferPointer { offsets in
            let offsets = offsets.baseAddress!
            IntraOp.forEachRange(items: blocks, parts: IntraOp.parts(items: blocks, work: n * d * k * oh * ow), chunksPerPart: 1) { range in
                // Each lane's sums for this thread's blocks: sums[((b − first)·groups + group)·9 + 3j + τ] for channel
                // 3b + j and tap 3·group + τ.
                let sums = UnsafeMutablePointer<Vector>.allocate(capacity: range.count * groups * 9)
                sums.initialize(repeating: Vector(), count: range.count * groups * 9)
                let padded = UnsafeMutablePointer<T>.allocate(capacity: c * layout.plane)
                padded.initialize(repeating: 0, count: c * layout.plane)
                defer { sums.deallocate(); padded.deallocate() }
                for i in 0..<n {
                    layout.pad(x + i * image, channels: c, g, into: padded)
                    for b in range {
                        @inline(__always) func rows(_ j: Int) -> UnsafePointer<T> {
                            UnsafePointer(gy) + i * outImage + Swift.min(3 * b + j, d - 1) * oh * ow
                        }
                        let (gy0, gy1, gy2) = (rows(0), rows(1), rows(2))
                        for group in 0..<groups {
                            let s = sums + ((b - range.lowerBound) * groups + group) * 9
                            // This image's sums, added to the running sums after it: each lane sums a few hundred
                            // products per image and then one partial sum per image, not all N · oh · ⌈ow/8⌉ in one chain
                            // (Float32, Conv4's first layer: 2.3e-6 of the largest magnitude in one chain, against 4e-7
                            // for im2col · W).
                            var (a0, a1, a2, a3, a4, a5, a6, a7, a8) = (Vector(), Vector(), Vector(), Vector(), Vector(),
                                                                        Vector(), Vector(), Vector(), Vector())
                            let (o0, o1, o2) = (offsets[3 * group], offsets[3 * group + 1], offsets[3 * group + 2])
                            @inline(__always) func accumulate(_ g0: Vector, _ g1: Vector, _ g2: Vector, _ p: UnsafePointer<T>) {
                                let (x0, x1, x2) = (load(p + o0), load(p + o1), load(p + o2))
                                a0 = MA.multiplyAdd(a0, g0, x0); a1 = MA.multiplyAdd(a1, g0, x1); a2 = MA.multiplyAdd(a2, g0, x2)
                                a3 = MA.multiplyAdd(a3, g1, x0); a4 = MA.multiplyAdd(a4, g1, x1); a5 = MA.multiplyAdd(a5, g1, x2)
                                a6 = MA.multiplyAdd(a6, g2, x0); a7 = MA.multiplyAdd(a7, g2, x1); a8 = MA.multiplyAdd(a8, g2, x2)
                            }
                            for oy in 0..<oh {
                                let row = UnsafePointer(padded) + oy * wp, r = oy * ow
                                for v in 0..<whole {
                                    let x0 = starts[v]
                                    accumulate(load(gy0 + r + x0), load(gy1 + r + x0), load(gy2 + r + x0), row + x0)
                                }
                                if whole < starts.count {
                                    let x0 = lastStart
                                    accumulate(load(gy0 + r + x0).replacing(with: 0, where: repeated),
                                               load(gy1 + r + x0).replacing(with: 0, where: repeated),
                                               load(gy2 + r + x0).replacing(with: 0, where: repeated), row + x0)
                                }
                            }
                            s[0] += a0; s[1] += a1; s[2] += a2; s[3] += a3; s[4] += a4; s[5] += a5; s[6] += a6; s[7] += a7; s[8] += a8
                        }
                    }
                }
                // ∂w[3b + j, 3·group + τ] = the sum of its lanes, for the channels and taps that exist.
                for b in range {
                    for group in 0..<groups {
                        let s = sums + ((b - range.lowerBound) * groups + group) * 9
                        for j in 0..<3 where 3 * b + j < d {
                            for tau in 0..<3 where 3 * group + tau < k {
                                gw[(3 * b + j) * k + 3 * group + tau] = s[3 * j + tau].sum()
                            }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<T>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ value: Vector, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: Vector.self)
    }
}

import CVectorMath

/// Geometry of a 2-D sliding window: input H×W, kernel kh×kw, stride, zero padding → output oh×ow.
public struct WindowGeometry: Equatable, Sendable {
    public var height, width, kernelHeight, kernelWidth, strideY, strideX, padY, padX: Int
    public var outHeight: Int { (height + 2 * padY - kernelHeight) / strideY + 1 }
    public var outWidth: Int { (width + 2 * padX - kernelWidth) / strideX + 1 }

    public init(height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int, padY: Int, padX: Int) {
        (self.height, self.width, self.kernelHeight, self.kernelWidth) = (height, width, kernelHeight, kernelWidth)
        (self.strideY, self.strideX, self.padY, self.padX) = (strideY, strideX, padY, padX)
    }
}

/// im2col: `cols[c·kh·kw + i·kw + j, oy·ow + ox] = x[c, oy·sy − py + i, ox·sx − px + j]` (0 outside), for
/// one image x (C, H, W) → cols (C·kh·kw, oh·ow). The layout of PyTorch's `F.unfold`.
func im2col<T: FloatingPoint>(_ x: UnsafePointer<T>, channels: Int, _ g: WindowGeometry, into cols: UnsafeMutablePointer<T>) { KernelProfile.time(.im2col) {
    let oh = g.outHeight, ow = g.outWidth, L = oh * ow
    var row = 0
    for c in 0..<channels {
        let plane = x + c * g.height * g.width
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let dst = cols + row * L
                // ox range whose ix = ox·sx − px + j lies inside 0..<W.
                let lo = Swift.max(0, (g.padX - j + g.strideX - 1) / g.strideX)
                let last = g.width - 1 + g.padX - j
                let hi = last < 0 ? 0 : Swift.min(ow, last / g.strideX + 1)
                for oy in 0..<oh {
                    let iy = oy * g.strideY - g.padY + i
                    let d = dst + oy * ow
                    if iy < 0 || iy >= g.height || lo >= hi {
                        d.update(repeating: 0, count: ow)
                        continue
                    }
                    if lo > 0 { d.update(repeating: 0, count: lo) }
                    if hi < ow { (d + hi).update(repeating: 0, count: ow - hi) }
                    let src = plane + iy * g.width - g.padX + j
                    if g.strideX == 1 {
                        (d + lo).update(from: src + lo, count: hi - lo)
                    } else {
                        for ox in lo..<hi { d[ox] = src[ox * g.strideX] }
                    }
                }
                row += 1
            }
        }
    }
} }

/// col2im, the adjoint of `im2col`: `x[c, iy, ix] += cols[…]` for every window position that reads it.
/// `x` must be zeroed by the caller.
func col2im<T: FloatingPoint>(_ cols: UnsafePointer<T>, channels: Int, _ g: WindowGeometry, into x: UnsafeMutablePointer<T>) { KernelProfile.time(.im2col) {
    let oh = g.outHeight, ow = g.outWidth, L = oh * ow
    var row = 0
    for c in 0..<channels {
        let plane = x + c * g.height * g.width
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let srcRow = cols + row * L
                let lo = Swift.max(0, (g.padX - j + g.strideX - 1) / g.strideX)
                let last = g.width - 1 + g.padX - j
                let hi = last < 0 ? 0 : Swift.min(ow, last / g.strideX + 1)
                if lo < hi {
                    for oy in 0..<oh {
                        let iy = oy * g.strideY - g.padY + i
                        if iy < 0 || iy >= g.height { continue }
                        let s = srcRow + oy * ow
                        let d = plane + iy * g.width - g.padX + j
                        if g.strideX == 1 {
                            // Contiguous on both sides: a loop the compiler vectorises.
                            let (dst, src) = (d + lo, s + lo)
                            for t in 0..<(hi - lo) { dst[t] += src[t] }
                        } else {
                            for ox in lo..<hi { d[ox * g.strideX] += s[ox] }
                        }
                    }
                }
                row += 1
            }
        }
    }
} }

/// The affine map y = (x − μ_c)·a_c + b_c of the planes of channel c (plane p has channel p mod `channels`): what a
/// batch norm makes of x, applied by `maxPoolKernel` to every element it reads so that y itself is never stored.
struct ChannelAffineMap<T>: @unchecked Sendable {
    var channels: Int
    var mean, scale, shift: [T]
}

/// Max over each kh×kw window of `planes` planes of H×W — of x, or of `map`(x) — : `out[p, oy, ox]` and the flat
/// input index of the first maximum (row-major window order; a NaN wins, as `max` does). Planes are split across
/// the intra-op threads.
func maxPoolKernel<T: FloatingPoint>(_ x: UnsafeBufferPointer<T>, planes: Int, _ g: WindowGeometry, map: ChannelAffineMap<T>? = nil,
                                     into out: UnsafeMutableBufferPointer<T>, indices: UnsafeMutablePointer<Int32>) { KernelProfile.time(.pooling) {
    guard let xp = x.baseAddress, let op = out.baseAddress else { return }
    let oh = g.outHeight, ow = g.outWidth, plane = g.height * g.width
    let parts = IntraOp.parts(items: planes, work: planes * plane)
    IntraOp.forEachRange(items: planes, parts: parts) { range in
        for p in range {
            let base = p * plane
            var o = p * oh * ow
            let mapped = map != nil
            let (mean, scale, shift) = map.map { ($0.mean[p % $0.channels], $0.scale[p % $0.channels], $0.shift[p % $0.channels]) }
                ?? (0, 1, 0)
            @inline(__always) func value(_ i: Int) -> T { mapped ? (xp[i] - mean) * scale + shift : xp[i] }
            if g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideY == 2 && g.strideX == 2 {
                for oy in 0..<oh {
                    let top = base + 2 * oy * g.width, bottom = top + g.width
                    var ox = 0
                    if T.self == Float.self {
                        // Eight windows at a time: even and odd columns of both rows, the same comparisons
                        // in the same order as the scalar loop below. A row's last windows too when fewer than eight
                        // remain, where the vector's reads (16 values from the window pair's rows) stay inside x and its
                        // writes inside this plane's output: the lanes past the row read and write what the next row of
                        // windows, computed next, overwrites (Conv4's 14×14 maps have rows of 7 windows).
                        let xf = UnsafeRawPointer(xp).assumingMemoryBound(to: Float.self)
                        let of = UnsafeMutableRawPointer(op).assumingMemoryBound(to: Float.self)
                        let lane = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
                        let (meanV, scaleV, shiftV) = (SIMD16<Float>(repeating: mean as! Float), SIMD16<Float>(repeating: scale as! Float),
                                                       SIMD16<Float>(repeating: shift as! Float))
                        let planeEnd = (p + 1) * oh * ow
                        while ox < ow && (ox + 8 <= ow || (o + 8 <= planeEnd && bottom + 2 * ox + 16 <= x.count)) {
                            var t = UnsafeRawPointer(xf + top + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                            var b = UnsafeRawPointer(xf + bottom + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                            if mapped { t = (t - meanV) * scaleV + shiftV; b = (b - meanV) * scaleV + shiftV }
                            let first = SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: top + 2 * ox)) &+ lane
                            let below = Int32(truncatingIfNeeded: g.width)
                            var m = msr_even_float16(t), best = first
                            @inline(__always) func consider(_ v: SIMD8<Float>, _ offset: Int32) {
                                let take = (v .> m) .| (v .!= v)
                                m.replace(with: v, where: take)
                                best.replace(with: first &+ SIMD8(repeating: offset), where: take)
                            }
                            consider(msr_odd_float16(t), 1)
                            consider(msr_even_float16(b), below)
                            consider(msr_odd_float16(b), below + 1)
                            UnsafeMutableRawPointer(of + o).storeBytes(of: m, as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(indices + o).storeBytes(of: best, as: SIMD8<Int32>.self)
                            let windows = Swift.min(8, ow - ox)
                            o += windows
                            ox += windows
                        }
                    }
                    while ox < ow {
                        defer { ox += 1 }
                        var best = top + 2 * ox
                        var m = value(best)
                        @inline(__always) func consider(_ candidate: Int) {
                            let v = value(candidate)
                            if v > m || v.isNaN { m = v; best = candidate }
                        }
                        let (right, below) = (best + 1, bottom + 2 * ox)
                        consider(right)
                        consider(below)
                        consider(below + 1)
                        op[o] = m
                        indices[o] = Int32(truncatingIfNeeded: best)
                        o += 1
                    }
                }
                continue
            }
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = base + oy * g.strideY * g.width + ox * g.strideX
                    var m = value(best)
                    for i in 0..<g.kernelHeight {
                        let row = base + (oy * g.strideY + i) * g.width + ox * g.strideX
                        for j in 0..<g.kernelWidth {
                            let v = value(row + j)
                            if v > m || v.isNaN { m = v; best = row + j }
                        }
                    }
                    op[o] = m
                    indices[o] = Int32(truncatingIfNeeded: best)
                    o += 1
                }
            }
        }
    }
} }

/// Merges adjacent dimensions that are contiguous with respect to `strides` (so loops run longer).
@inline(__always)
func coalesce(shape: [Int], strides: [Int]) -> (shape: [Int], strides: [Int]) {
    var sh: [Int] = [], st: [Int] = []
    for (d, s) in zip(shape, strides) where d != 1 {
        if let last = sh.indices.last, st[last] == s * d {
            sh[last] *= d
            st[last] = s
        } else {
            sh.append(d); st.append(s)
        }
    }
    if sh.isEmpty { return ([1], [1]) }
    return (sh, st)
}

/// Gathers a strided view: `out[i₀…iₙ] = src[offset + Σ iₖ·strides[k]]`, `out` row-major of `shape`.
/// Covers permute (permuted strides), expand (zero strides) and slicing (offset, parent strides).
func stridedGather<T: SIMDScalar>(_ src: UnsafeBufferPointer<T>, offset: Int, strides: [Int], shape: [Int],
                      into out: UnsafeMutableBufferPointer<T>) { KernelProfile.time(.copies) {
    let n = out.count
    if n == 0 { return }
    let (sh, st) = coalesce(shape: shape, strides: strides)
    let r = sh.count
    let inner = sh[r - 1], s = st[r - 1]
    // The last two axes as plain loops (runs of `inner` along the last, `outer` of them along the one before), the
    // others through an odometer: with short runs (permuting U (O, I, K) → (I, O, K) is O·I runs of K = 3 for rank1)
    // the odometer's bookkeeping per run had cost more than the run.
    let (outer, outerStride) = r >= 2 ? (sh[r - 2], st[r - 2]) : (1, 0)
    let odometer = Swift.max(r - 2, 0)
    var index = [Int](repeating: 0, count: odometer)
    let (source, destination) = (src.baseAddress!, out.baseAddress!)
    var base = offset, o = 0
    while o < n {
        var b = base
        for _ in 0..<outer {
            if s == 1 {
                copyRun(source + b, to: destination + o, count: inner)
            } else if s == 0 {
                let v = source[b]
                for j in 0..<inner { destination[o + j] = v }
            } else {
                for j in 0..<inner { destination[o + j] = source[b + j * s] }
            }
            o += inner
            b += outerStride
        }
        var d = odometer - 1
        while d >= 0 {
            index[d] += 1
            base += st[d]
            if index[d] < sh[d] { break }
            base -= st[d] * sh[d]
            index[d] = 0
            d -= 1
        }
    }
} }

/// `count` contiguous elements from `source` to `destination`: a short run (under 256 elements) by vectors of 16, then
/// at most one each of 8, 4, 2 and 1 (no loop a compiler would turn back into a `memmove` call), where a `memmove` call
/// per run cost more than the copy (permuting MSR-FC's U (O, I, K) → (I, O, K) is O·I runs of K: 3 for rank1, 30 for
/// rank5); a long run by one `memmove`.
@inline(__always)
func copyRun<T: SIMDScalar>(_ source: UnsafePointer<T>, to destination: UnsafeMutablePointer<T>, count: Int) {
    guard count < 256 else {
        destination.update(from: source, count: count)
        return
    }
    let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(destination))
    let size = MemoryLayout<T>.stride
    var j = 0
    @inline(__always) func move<V: SIMD>(_: V.Type) where V.Scalar == T {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: size * j, as: V.self), toByteOffset: size * j, as: V.self)
        j += V.scalarCount
    }
    while j + 16 <= count { move(SIMD16<T>.self) }
    if count - j >= 8 { move(SIMD8<T>.self) }
    if count - j >= 4 { move(SIMD4<T>.self) }
    if count - j >= 2 { move(SIMD2<T>.self) }
    if count - j == 1 { destination[j] = source[j] }
}

/// `height` rows of `width` contiguous elements from `plane` into rows `rowStride` apart at `destination` (an image
/// plane into a zero-bordered buffer), each row by `copyRun`.
@inline(__always)
func copyRows<T: SIMDScalar>(_ plane: UnsafePointer<T>, height: Int, width: Int, into destination: UnsafeMutablePointer<T>,
                             rowStride: Int) {
    for row in 0..<height { copyRun(plane + row * width, to: destination + row * rowStride, count: width) }
}

/// Scatters into a strided view: `dst[offset + Σ iₖ·strides[k]] (+)= src[i₀…iₙ]`. Zero strides with
/// `accumulate` sum the repeated elements.
func stridedScatter<T: FloatingPoint>(_ src: UnsafeBufferPointer<T>, into dst: UnsafeMutableBufferPointer<T>,
                                      offset: Int, strides: [Int], shape: [Int], accumulate: Bool) { KernelProfile.time(.copies) {
    let n = src.count
    if n == 0 { return }
    let (sh, st) = coalesce(shape: shape, strides: strides)
    let r = sh.count
    let inner = sh[r - 1], s = st[r - 1]
    var index = [Int](repeating: 0, count: r)
    var base = offset, o = 0
    while o < n {
        if accumulate {
            for j in 0..<inner { dst[base + j * s] += src[o + j] }
        } else {
            for j in 0..<inner { dst[base + j * s] = src[o + j] }
        }
        o += inner
        var d = r - 2
        while d >= 0 {
            index[d] += 1
            base += st[d]
            if index[d] < sh[d] { break }
            base -= st[d] * sh[d]
            index[d] = 0
            d -= 1
        }
    }
} }

extension Storage {
    /// A new storage of `count` elements filled by a kernel over (source, destination) buffers.
    @inline(__always)
    func transform(count: Int,
                   _ f32: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void,
                   _ f64: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void) -> Storage {
        switch self {
        case .float32(let x):
            return .float32(KernelProfile.uninitializedArray(of: Float.self, count: count) { out, c in
                x.withUnsafeBufferPointer { f32($0, out) }; c = count
            })
        case .float64(let x):
            return .float64(KernelProfile.uninitializedArray(of: Double.self, count: count) { out, c in
                x.withUnsafeBufferPointer { f64($0, out) }; c = count
            })
        }
    }

    /// Like `transform`, but the destination starts zeroed (for scatters that accumulate or leave gaps).
    @inline(__always)
    func transformIntoZeros(count: Int,
                            _ f32: (UnsafeBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void,
                            _ f64: (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Void) -> Storage {
        switch self {
        case .float32(let x):
            var out = KernelProfile.zeroedArray(of: Float.self, count: count)
            x.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { f32(s, $0) } }
            return .float32(out)
        case .float64(let x):
            var out = KernelProfile.zeroedArray(of: Double.self, count: count)
            x.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { f64(s, $0) } }
            return .float64(out)
        }
    }
}

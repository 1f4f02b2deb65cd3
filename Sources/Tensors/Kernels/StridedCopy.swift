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
        // The run's kind chosen once per `outer` runs, not per run (the per-run test and call had cost more than a
        // short run's copy: 2.5 ns per run of K = 3).
        if s == 1 {
            copyRuns(from: source + base, stride: outerStride, count: outer, length: inner, to: destination + o)
            o += outer * inner
        } else {
            var b = base
            for _ in 0..<outer {
                if s == 0 {
                    let v = source[b]
                    for j in 0..<inner { destination[o + j] = v }
                } else {
                    for j in 0..<inner { destination[o + j] = source[b + j * s] }
                }
                o += inner
                b += outerStride
            }
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

/// `count` contiguous elements from `source` to `destination`, by vectors that never reach past either run: a run of
/// 16 or more by vectors of 16, the last one overlapping the one before; a shorter run by two vectors of the largest
/// width w (8, 4, 2) with w ≤ count < 2w, one at each end (overlapping where count < 2w). No branch or loop per element
/// and no `memmove` call (a call per run cost more than the copy: permuting MSR-FC's U (O, I, K) → (I, O, K) is O·I
/// runs of K, 3 for rank1 and 30 for rank5); runs of 256 or more by one `memmove`.
@inline(__always)
func copyRun<T: SIMDScalar>(_ source: UnsafePointer<T>, to destination: UnsafeMutablePointer<T>, count: Int) {
    guard count < 256 else {
        destination.update(from: source, count: count)
        return
    }
    if count >= 16 {
        let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(destination))
        let size = MemoryLayout<T>.stride
        @inline(__always) func move(at j: Int) {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: size * j, as: SIMD16<T>.self), toByteOffset: size * j,
                          as: SIMD16<T>.self)
        }
        var j = 0
        while j + 16 <= count { move(at: j); j += 16 }
        if j < count { move(at: count - 16) }
    } else if count >= 8 {
        copyEnds(SIMD8<T>.self, source, to: destination, count: count)
    } else if count >= 4 {
        copyEnds(SIMD4<T>.self, source, to: destination, count: count)
    } else if count >= 2 {
        copyEnds(SIMD2<T>.self, source, to: destination, count: count)
    } else if count == 1 {
        destination[0] = source[0]
    }
}

/// A run of `count` elements, w ≤ count < 2w for the vector width w of `V`, as two vectors, one at each end (both
/// loaded before either is stored; overlapping where count < 2w).
@inline(__always)
func copyEnds<T: SIMDScalar, V: SIMD>(_: V.Type, _ source: UnsafePointer<T>, to destination: UnsafeMutablePointer<T>,
                                      count: Int) where V.Scalar == T {
    let last = count - V.scalarCount
    let head = UnsafeRawPointer(source).loadUnaligned(as: V.self)
    let tail = UnsafeRawPointer(source + last).loadUnaligned(as: V.self)
    UnsafeMutableRawPointer(destination).storeBytes(of: head, as: V.self)
    UnsafeMutableRawPointer(destination + last).storeBytes(of: tail, as: V.self)
}

/// `count` runs of `length` contiguous elements, run r from `source + r·stride`, one after the other into
/// `destination` (a strided gather's innermost two axes): the run length's case chosen once for all of them.
@inline(__always)
func copyRuns<T: SIMDScalar>(from source: UnsafePointer<T>, stride: Int, count: Int, length: Int,
                             to destination: UnsafeMutablePointer<T>) {
    @inline(__always) func runs<V: SIMD>(_: V.Type) where V.Scalar == T {
        for r in 0..<count { copyEnds(V.self, source + r * stride, to: destination + r * length, count: length) }
    }
    switch length {
    case 2..<4: runs(SIMD2<T>.self)
    case 4..<8: runs(SIMD4<T>.self)
    case 8..<16: runs(SIMD8<T>.self)
    default: for r in 0..<count { copyRun(source + r * stride, to: destination + r * length, count: length) }
    }
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

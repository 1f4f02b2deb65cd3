/// Strided iteration over broadcast operands: the loop behind every elementwise binary operation.
///
/// Both operands are described in the output's index space (stride 0 along broadcast dimensions);
/// adjacent dimensions that are contiguous in both operands are merged, so the innermost loop is as long
/// as possible and usually has unit or zero strides.
struct BroadcastLayout {
    /// Coalesced output dimensions and each operand's strides along them.
    var shape: [Int]
    var aStrides: [Int]
    var bStrides: [Int]

    init(outShape: [Int], aShape: [Int], bShape: [Int]) {
        let rank = outShape.count
        func strides(_ s: [Int]) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - s.count) + s
            var st = contiguousStrides(padded)
            for i in 0..<rank where padded[i] == 1 && outShape[i] != 1 { st[i] = 0 }
            return st
        }
        var sh: [Int] = [], sa: [Int] = [], sb: [Int] = []
        let a = strides(aShape), b = strides(bShape)
        for i in 0..<rank where outShape[i] != 1 {
            if let last = sh.indices.last,
               sa[last] == a[i] * outShape[i], sb[last] == b[i] * outShape[i] {
                sh[last] *= outShape[i]
                sa[last] = a[i]
                sb[last] = b[i]
            } else {
                sh.append(outShape[i]); sa.append(a[i]); sb.append(b[i])
            }
        }
        if sh.isEmpty { sh = [1]; sa = [0]; sb = [0] }
        shape = sh; aStrides = sa; bStrides = sb
    }
}

/// `out[i] = f(a[ia], b[ib])` over the broadcast of `aShape` and `bShape`.
///
/// `Op` is a type rather than a closure so that every operation gets its own specialised, vectorised
/// loops: a closure argument is inlined only when the optimiser chooses to, and a loop calling `f`
/// through a pointer ran 20–40× slower.
func broadcastApply<T: BinaryFloatingPoint, Op: ElementwiseBinaryOperation>(
    _ a: UnsafeBufferPointer<T>, _ aShape: [Int], _ b: UnsafeBufferPointer<T>, _ bShape: [Int],
    outShape: [Int], into out: UnsafeMutableBufferPointer<T>, _: Op.Type
) {
    @inline(__always) func f(_ x: T, _ y: T) -> T { Op.apply(x, y) }
    let n = out.count
    if n == 0 { return }
    if a.count == n && b.count == n {
        // Equal shapes (or the same count after broadcasting: only size-1 axes differ).
        let po = out.baseAddress!, pa = a.baseAddress!, pb = b.baseAddress!
        for i in 0..<n { po[i] = f(pa[i], pb[i]) }
        return
    }
    if b.count == 1 {
        let po = out.baseAddress!, pa = a.baseAddress!
        let y = b[0]
        for i in 0..<n { po[i] = f(pa[i], y) }
        return
    }
    if a.count == 1 {
        let po = out.baseAddress!, pb = b.baseAddress!
        let x = a[0]
        for i in 0..<n { po[i] = f(x, pb[i]) }
        return
    }
    let layout = BroadcastLayout(outShape: outShape, aShape: aShape, bShape: bShape)
    let r = layout.shape.count
    let inner = layout.shape[r - 1], sa = layout.aStrides[r - 1], sb = layout.bStrides[r - 1]
    // One innermost row, on raw pointers (UnsafeBufferPointer subscripts kept these loops from vectorising).
    @inline(__always) func applyRow(_ po: UnsafeMutablePointer<T>, _ pa: UnsafePointer<T>, _ pb: UnsafePointer<T>) {
        if sa == 1 && sb == 1 {
            for j in 0..<inner { po[j] = f(pa[j], pb[j]) }
        } else if sa == 1 && sb == 0 {
            let y = pb[0]
            for j in 0..<inner { po[j] = f(pa[j], y) }
        } else if sa == 0 && sb == 1 {
            let x = pa[0]
            for j in 0..<inner { po[j] = f(x, pb[j]) }
        } else {
            for j in 0..<inner { po[j] = f(pa[j * sa], pb[j * sb]) }
        }
    }
    if r == 2 {
        // The common case (a row or a column broadcast over a matrix): two plain loops.
        let rows = layout.shape[0], ra = layout.aStrides[0], rb = layout.bStrides[0]
        for row in 0..<rows {
            let o = row * inner, ia = row * ra, ib = row * rb
            applyRow(out.baseAddress! + o, a.baseAddress! + ia, b.baseAddress! + ib)
        }
        return
    }
    var index = [Int](repeating: 0, count: r)
    var ia = 0, ib = 0, o = 0
    while o < n {
        applyRow(out.baseAddress! + o, a.baseAddress! + ia, b.baseAddress! + ib)
        o += inner
        // Odometer over the outer dimensions.
        var d = r - 2
        while d >= 0 {
            index[d] += 1
            ia += layout.aStrides[d]
            ib += layout.bStrides[d]
            if index[d] < layout.shape[d] { break }
            ia -= layout.aStrides[d] * layout.shape[d]
            ib -= layout.bStrides[d] * layout.shape[d]
            index[d] = 0
            d -= 1
        }
    }
}

/// An elementwise binary operation, as a type (see `broadcastApply`).
protocol ElementwiseBinaryOperation {
    static func apply<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T
}

enum AddOperation: ElementwiseBinaryOperation {
    @inline(__always) static func apply<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { a + b }
}

enum SubtractOperation: ElementwiseBinaryOperation {
    @inline(__always) static func apply<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { a - b }
}

enum MultiplyOperation: ElementwiseBinaryOperation {
    @inline(__always) static func apply<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { a * b }
}

enum DivideOperation: ElementwiseBinaryOperation {
    @inline(__always) static func apply<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { a / b }
}

/// 1 where the operands are equal, else 0.
enum EqualOperation: ElementwiseBinaryOperation {
    @inline(__always) static func apply<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { a == b ? 1 : 0 }
}

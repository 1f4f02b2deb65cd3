// Low-overhead GEMM for products too small (or too thin) to amortise packing.

/// `C ← op(A)·op(B) + (accumulate ? C : 0)` (op(A) `m×k`, op(B) `k×n`, C `m×n`, row-major) by plain
/// loops whose innermost loop runs over contiguous memory, with no allocation in the common cases:
///
/// - op(B) row-major (`!transposeB`): *axpy form* `C[i, :] += op(A)[i, p] · B[p, :]`.
/// - op(B) stored transposed: *dot form* `C[i, j] = ⟨op(A)[i, :], B[j, :]⟩` (op(A) rows gathered
///   first when A is stored transposed).
/// - matrix·vector (`n == 1`): `y = A·x` as dot products, or `y = Aᵀ·x` as axpys over rows of A.
///
/// Multiply and add are separate operations here (never a library call on any target).
enum SmallGemm {
    static func gemm<T: BinaryFloatingPoint & SIMDScalar>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool
    ) {
        guard m > 0, n > 0 else { return }
        if n == 1 {
            matrixVector(transposeA: transposeA, m: m, k: k, a: a, lda: lda,
                         x: b, incx: transposeB ? 1 : ldb, y: c, incy: ldc, accumulate: accumulate)
            return
        }
        if n <= 8 && k <= 8 {
            // Thin products (an outer product such as g·vᵀ with m in the thousands): one pass over the rows
            // of C with the whole k×n block of op(B) in registers' reach, no per-row call or vector setup.
            for i in 0..<m {
                let ci = c + i * ldc
                for j in 0..<n {
                    var s: T = accumulate ? ci[j] : 0
                    for p in 0..<k {
                        s += (transposeA ? a[p * lda + i] : a[i * lda + p]) * (transposeB ? b[j * ldb + p] : b[p * ldb + j])
                    }
                    ci[j] = s
                }
            }
        } else if !transposeB {
            for i in 0..<m {
                let ci = c + i * ldc
                if !accumulate { ci.update(repeating: 0, count: n) }
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    axpy(x, b + p * ldb, ci, count: n)
                }
            }
        } else if !transposeA {
            for i in 0..<m {
                let ai = a + i * lda
                let ci = c + i * ldc
                for j in 0..<n {
                    let s = dot(ai, b + j * ldb, count: k)
                    ci[j] = accumulate ? ci[j] + s : s
                }
            }
        } else {
            withUnsafeTemporaryAllocation(of: T.self, capacity: k) { row in
                let ai = row.baseAddress!
                for i in 0..<m {
                    for p in 0..<k { ai[p] = a[p * lda + i] }
                    let ci = c + i * ldc
                    for j in 0..<n {
                        let s = dot(ai, b + j * ldb, count: k)
                        ci[j] = accumulate ? ci[j] + s : s
                    }
                }
            }
        }
    }

    /// `y ← op(A)·x + (accumulate ? y : 0)` with op(A) `m×k`; x has stride `incx`, y stride `incy`.
    static func matrixVector<T: BinaryFloatingPoint & SIMDScalar>(
        transposeA: Bool, m: Int, k: Int, a: UnsafePointer<T>, lda: Int,
        x: UnsafePointer<T>, incx: Int, y: UnsafeMutablePointer<T>, incy: Int, accumulate: Bool
    ) {
        if !transposeA && k <= 8 {
            // Rows shorter than a vector (U·v with U of shape (O·I, K), K small): plain per-row sums.
            withContiguous(x, count: k, stride: incx) { xc in
                for i in 0..<m {
                    let ai = a + i * lda
                    var s: T = accumulate ? y[i * incy] : 0
                    for p in 0..<k { s += ai[p] * xc[p] }
                    y[i * incy] = s
                }
            }
        } else if transposeA && m <= 8 {
            // Few outputs, many rows (Uᵀ·g): accumulate each output over the rows in a vector register.
            var acc = SIMD8<T>()
            var row = SIMD8<T>()
            for p in 0..<k {
                let ap = a + p * lda
                for i in 0..<m { row[i] = ap[i] }
                acc += row * SIMD8<T>(repeating: x[p * incx])
            }
            for i in 0..<m { y[i * incy] = accumulate ? y[i * incy] + acc[i] : acc[i] }
        } else if !transposeA {
            // y[i] = ⟨A[i, :], x⟩
            withContiguous(x, count: k, stride: incx) { xc in
                for i in 0..<m {
                    let s = dot(a + i * lda, xc, count: k)
                    y[i * incy] = accumulate ? y[i * incy] + s : s
                }
            }
        } else {
            // y = Σ_p x[p] · A[p, :]   (A stored k×m)
            withUnsafeTemporaryAllocation(of: T.self, capacity: m) { buffer in
                let acc = buffer.baseAddress!
                if accumulate {
                    for i in 0..<m { acc[i] = y[i * incy] }
                } else {
                    acc.initialize(repeating: 0, count: m)
                }
                for p in 0..<k { axpy(x[p * incx], a + p * lda, acc, count: m) }
                for i in 0..<m { y[i * incy] = acc[i] }
            }
        }
    }

    /// Calls `body` with `x` (stride `stride`) as a contiguous vector, copying only when strided.
    @inline(__always)
    static func withContiguous<T, R>(
        _ x: UnsafePointer<T>, count: Int, stride: Int, _ body: (UnsafePointer<T>) -> R
    ) -> R {
        if stride == 1 || count <= 1 { return body(x) }
        return withUnsafeTemporaryAllocation(of: T.self, capacity: count) { buffer in
            let p = buffer.baseAddress!
            for i in 0..<count { p[i] = x[i * stride] }
            return body(UnsafePointer(p))
        }
    }

    /// `y[0..<count] += alpha · x[0..<count]` (contiguous).
    @inline(__always)
    static func axpy<T: BinaryFloatingPoint & SIMDScalar>(
        _ alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int
    ) {
        let va = SIMD8<T>(repeating: alpha)
        var j = 0
        while j + 8 <= count {
            let xr = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<T>.self)
            let yr = UnsafeMutableRawPointer(y + j)
            yr.storeBytes(of: yr.loadUnaligned(as: SIMD8<T>.self) + va * xr, as: SIMD8<T>.self)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }

    /// `Σ_{p < count} x[p]·y[p]` (contiguous), with two vector accumulators.
    @inline(__always)
    static func dot<T: BinaryFloatingPoint & SIMDScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, count: Int
    ) -> T {
        var s0 = SIMD8<T>(), s1 = SIMD8<T>()
        var p = 0
        while p + 16 <= count {
            s0 += UnsafeRawPointer(x + p).loadUnaligned(as: SIMD8<T>.self)
                * UnsafeRawPointer(y + p).loadUnaligned(as: SIMD8<T>.self)
            s1 += UnsafeRawPointer(x + p + 8).loadUnaligned(as: SIMD8<T>.self)
                * UnsafeRawPointer(y + p + 8).loadUnaligned(as: SIMD8<T>.self)
            p += 16
        }
        if p + 8 <= count {
            s0 += UnsafeRawPointer(x + p).loadUnaligned(as: SIMD8<T>.self)
                * UnsafeRawPointer(y + p).loadUnaligned(as: SIMD8<T>.self)
            p += 8
        }
        var s = (s0 + s1).sum()
        while p < count {
            s += x[p] * y[p]
            p += 1
        }
        return s
    }
}

// Placeholder for the matrix-multiply kernels (a packed SIMD kernel and the BLAS bridge replace it).

/// Row-major general matrix multiply: `C ← op(A)·op(B) + (accumulate ? C : 0)`.
///
/// - `op(A)` is `m×k`: A is stored `m×k` (lda ≥ k) or, when `transposeA`, `k×m` (lda ≥ m).
/// - `op(B)` is `k×n`: B is stored `k×n` (ldb ≥ n) or, when `transposeB`, `n×k` (ldb ≥ k).
/// - C is `m×n` with row stride `ldc ≥ n`.
@usableFromInline
enum MatrixMultiply {
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    }
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) {
        naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    }
    static func naive<T: BinaryFloatingPoint>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var s: T = accumulate ? c[i * ldc + j] : 0
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    s += x * y
                }
                c[i * ldc + j] = s
            }
        }
    }
}

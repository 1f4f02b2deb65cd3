// Hooks onto every GEMM path, for tests and benchmarks outside the module.

/// Runs one specific GEMM implementation: `C ← op(A)·op(B) + (accumulate ? C : 0)` with the same
/// shapes and leading dimensions as `MatrixMultiply.gemm`.
///
/// `path` is one of `floatPaths` / `doublePaths`: `"auto"` (`MatrixMultiply.gemm`), `"built-in"`,
/// `"blas"` (fails when no BLAS is loaded), `"small"` (`SmallGemm`), `"tiled-dots-fused"` / `"tiled-dots-separate"`
/// (`TiledDots` with either multiply-add; fails for products it does not take), or a micro-kernel name such as
/// `"fma-6x16-simd8"` (`PackedGemm` with that kernel, whatever `GemmKernelSelection` chose).
/// Not part of the stable API.
public enum _GemmTesting {
    public static var floatPaths: [String] {
        ["auto", "built-in", "blas", "small"] + TiledDots.testingPaths + FloatGemmKernel.allCases.map(\.rawValue)
    }
    public static var doublePaths: [String] {
        ["auto", "built-in", "blas", "small"] + TiledDots.testingPaths + DoubleGemmKernel.allCases.map(\.rawValue)
    }

    /// `TiledDots` with either multiply-add; false (C untouched) for a product it does not take.
    static func tiledDots<T: BinaryFloatingPoint & SIMDScalar>(
        fused: Bool, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool
    ) -> Bool {
        guard TiledDots.applies(transposeA: transposeA, transposeB: transposeB, n: n, k: k) else { return false }
        if fused {
            TiledDots.gemm(FusedMultiplyAdd.self, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            TiledDots.gemm(SeparateMultiplyAdd.self, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        }
        return true
    }

    /// Pointer form; returns false when `path` is unknown or unavailable (C untouched then).
    @discardableResult
    public static func run(
        path: String, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) -> Bool {
        switch path {
        case "auto":
            MatrixMultiply.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        case "built-in":
            MatrixMultiply.builtInGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                       a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        case "blas":
            return MatrixMultiply.blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                           a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        case "tiled-dots-fused", "tiled-dots-separate":
            return tiledDots(fused: path == "tiled-dots-fused", transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                             a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        default:
            let kernel = FloatGemmKernel(rawValue: path)
            guard path == "small" || kernel != nil else { return false }
            guard m > 0, n > 0 else { return true }
            if k == 0 {
                if !accumulate { MatrixMultiply.clear(c, m: m, n: n, ldc: ldc) }
            } else if let kernel {
                kernel.gemm(m: m, n: n, k: k, a: StridedMatrix(a, ld: lda, transposed: transposeA),
                            b: StridedMatrix(b, ld: ldb, transposed: transposeB),
                            c: c, ldc: ldc, accumulate: accumulate)
            } else {
                SmallGemm.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
            }
        }
        return true
    }

    /// Pointer form; returns false when `path` is unknown or unavailable (C untouched then).
    @discardableResult
    public static func run(
        path: String, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) -> Bool {
        switch path {
        case "auto":
            MatrixMultiply.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        case "built-in":
            MatrixMultiply.builtInGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                       a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        case "blas":
            return MatrixMultiply.blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                           a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        case "tiled-dots-fused", "tiled-dots-separate":
            return tiledDots(fused: path == "tiled-dots-fused", transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                             a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        default:
            let kernel = DoubleGemmKernel(rawValue: path)
            guard path == "small" || kernel != nil else { return false }
            guard m > 0, n > 0 else { return true }
            if k == 0 {
                if !accumulate { MatrixMultiply.clear(c, m: m, n: n, ldc: ldc) }
            } else if let kernel {
                kernel.gemm(m: m, n: n, k: k, a: StridedMatrix(a, ld: lda, transposed: transposeA),
                            b: StridedMatrix(b, ld: ldb, transposed: transposeB),
                            c: c, ldc: ldc, accumulate: accumulate)
            } else {
                SmallGemm.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
            }
        }
        return true
    }

    /// Array form of `run`: returns the new `c`, or nil when the path is unknown or unavailable.
    public static func gemm(
        path: String, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: [Float], lda: Int, b: [Float], ldb: Int, c: [Float], ldc: Int, accumulate: Bool
    ) -> [Float]? {
        // Empty arrays have no base address; a one-element stand-in is never read (m, n or k is 0).
        let a = a.isEmpty ? [0] : a, b = b.isEmpty ? [0] : b
        let wasEmpty = c.isEmpty
        var c = wasEmpty ? [0] : c
        let ok = c.withUnsafeMutableBufferPointer { cb in
            run(path: path, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                a: a, lda: lda, b: b, ldb: ldb, c: cb.baseAddress!, ldc: ldc, accumulate: accumulate)
        }
        return ok ? (wasEmpty ? [] : c) : nil
    }

    /// Array form of `run`: returns the new `c`, or nil when the path is unknown or unavailable.
    public static func gemm(
        path: String, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: [Double], lda: Int, b: [Double], ldb: Int, c: [Double], ldc: Int, accumulate: Bool
    ) -> [Double]? {
        let a = a.isEmpty ? [0] : a, b = b.isEmpty ? [0] : b
        let wasEmpty = c.isEmpty
        var c = wasEmpty ? [0] : c
        let ok = c.withUnsafeMutableBufferPointer { cb in
            run(path: path, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                a: a, lda: lda, b: b, ldb: ldb, c: cb.baseAddress!, ldc: ldc, accumulate: accumulate)
        }
        return ok ? (wasEmpty ? [] : c) : nil
    }
}

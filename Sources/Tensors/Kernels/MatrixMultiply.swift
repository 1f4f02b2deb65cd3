// Entry point for all matrix products: chooses BLAS or the built-in kernels.

/// Row-major general matrix multiply: `C ← op(A)·op(B) + (accumulate ? C : 0)`.
///
/// - `op(A)` is `m×k`: A is stored `m×k` (lda ≥ k) or, when `transposeA`, `k×m` (lda ≥ m).
/// - `op(B)` is `k×n`: B is stored `k×n` (ldb ≥ n) or, when `transposeB`, `n×k` (ldb ≥ k).
/// - C is `m×n` with row stride `ldc ≥ n`; it must not overlap A or B.
/// - `m`, `n` or `k` may be 0; `k = 0` sets C to 0 (or leaves it unchanged when `accumulate`).
///
/// `gemm` runs BLAS (see `BLASLibrary`) when a library was loaded and the product has at least
/// `blasMinimumWork` multiply-adds, except for products of at least `builtInPreferredWork` when the
/// built-in kernels measured clearly faster than the library (`builtInBeatsBLAS`, e.g. an AVX-512
/// build against a BLAS without AVX-512 kernels); the built-in Swift kernels run otherwise.
/// `MatmulConfiguration` reports and overrides that choice. The built-in path takes `SmallGemm` for tiny or vector-shaped
/// products and the packed, register-blocked `PackedGemm` for everything else.
public enum MatrixMultiply {
    /// Products with `m·n·k` below this go through the unpacked loops of `SmallGemm`.
    static let packedMinimumWork = 1024
    /// Products with `m·n·k` below this stay on the built-in kernels even when BLAS is loaded (the
    /// ~100 ns BLAS call overhead dominates below about 8×8·8×8).
    static let blasMinimumWork = 512
    /// Products with `m·n·k` at least this use the built-in kernels when `builtInBeatsBLAS`.
    static let builtInPreferredWork = 32 * 32 * 32

    /// Whether the built-in Float kernel ran a 128×128·128×128 product at least 1.25× faster than the
    /// loaded BLAS (best of 11, interleaved; measured once, about 1 ms). False without BLAS and in
    /// unoptimised builds.
    static let builtInBeatsBLAS: Bool = {
        guard BLASLibrary.shared != nil, !_isDebugAssertConfiguration() else { return false }
        let size = 128
        let a = UnsafeMutablePointer<Float>.allocate(capacity: size * size)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: size * size)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: size * size)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(size * size) { a[i] = Float(i % 7) * 0.25; b[i] = Float(i % 5) * 0.5 }
        func builtIn() {
            builtInGemm(transposeA: false, transposeB: false, m: size, n: size, k: size,
                        a: a, lda: size, b: b, ldb: size, c: c, ldc: size, accumulate: false)
        }
        func blas() {
            blasGemm(transposeA: false, transposeB: false, m: size, n: size, k: size,
                     a: a, lda: size, b: b, ldb: size, c: c, ldc: size, accumulate: false)
        }
        builtIn(); blas()
        var builtInTime = Double.infinity, blasTime = Double.infinity
        for _ in 0..<11 {
            builtInTime = Swift.min(builtInTime, GemmKernelSelection.time { _ in builtIn() })
            blasTime = Swift.min(blasTime, GemmKernelSelection.time { _ in blas() })
        }
        return builtInTime * 1.25 < blasTime
    }()

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) { KernelProfile.time(.products) {
        if MatmulConfiguration.backend(m: m, n: n, k: k) == .blas,
           blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate) {
            return
        }
        builtInGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    } }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) { KernelProfile.time(.products) {
        if MatmulConfiguration.backend(m: m, n: n, k: k) == .blas,
           blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate) {
            return
        }
        builtInGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    } }

    // MARK: Built-in kernels

    /// `gemm` on the built-in Swift kernels only (same contract).
    public static func builtInGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { clear(c, m: m, n: n, ldc: ldc) }
        } else if TiledDots.applies(transposeA: transposeA, transposeB: transposeB, n: n, k: k) {
            TiledDots.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else if prefersSmallGemm(m: m, n: n, k: k) {
            SmallGemm.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                           a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            GemmKernelSelection.float(m: m, n: n).gemm(
                m: m, n: n, k: k, a: StridedMatrix(a, ld: lda, transposed: transposeA),
                b: StridedMatrix(b, ld: ldb, transposed: transposeB), c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// `gemm` on the built-in Swift kernels only (same contract).
    public static func builtInGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if !accumulate { clear(c, m: m, n: n, ldc: ldc) }
        } else if TiledDots.applies(transposeA: transposeA, transposeB: transposeB, n: n, k: k) {
            TiledDots.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else if prefersSmallGemm(m: m, n: n, k: k) {
            SmallGemm.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                           a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            GemmKernelSelection.double.gemm(
                m: m, n: n, k: k, a: StridedMatrix(a, ld: lda, transposed: transposeA),
                b: StridedMatrix(b, ld: ldb, transposed: transposeB), c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// The built-in kernel `gemm` runs a product on where it splits exactly — every element of C accumulated in
    /// the same order however C's rows or columns are partitioned, so a product split among threads gives the
    /// same result as one call: the packed kernels and `TiledDots`. Nil for BLAS and the `SmallGemm` loops.
    static func exactlySplitKernel(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int) -> ExactlySplitKernel? {
        guard m > 0 && n > 0 && k > 0 && MatmulConfiguration.backend(m: m, n: n, k: k) == .builtIn else { return nil }
        if TiledDots.applies(transposeA: transposeA, transposeB: transposeB, n: n, k: k) { return .tiledDots }
        return prefersSmallGemm(m: m, n: n, k: k) ? nil : .packed
    }

    enum ExactlySplitKernel { case packed, tiledDots }

    /// Products the unpacked `SmallGemm` loops beat packing (and BLAS) on: tiny ones, matrix·vector,
    /// vector·matrix, outer products (k = 1), thin products with n, k ≤ 8 (g·vᵀ of an MSR layer), products with
    /// at most 4 columns, and rank-k updates with k ≤ 4 and long rows (the task-batched MSR-FC's V·Uᵀ, G·U, Gᵀ·V
    /// for K ≤ 4), where packing a 16-column panel would waste most of it.
    @inline(__always)
    static func prefersSmallGemm(m: Int, n: Int, k: Int) -> Bool {
        m * n * k < packedMinimumWork || n == 1 || m == 1 || k == 1 || (n <= 8 && k <= 8) || n <= 4 || (k <= 4 && n >= 64)
    }

    @inline(__always)
    static func clear<T: BinaryFloatingPoint>(_ c: UnsafeMutablePointer<T>, m: Int, n: Int, ldc: Int) {
        for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
    }

    // MARK: BLAS

    /// `gemm` through the loaded CBLAS library. Returns false (leaving C untouched) when no library
    /// is loaded or the sizes do not fit CBLAS's 32-bit integers; `m`, `n` or `k` = 0 are handled here.
    @discardableResult
    public static func blasGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) -> Bool {
        blasCall(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, lda: lda, ldb: ldb, c: c, ldc: ldc,
                 accumulate: accumulate) { blas, tA, tB in
            blas.sgemm(BLASLibrary.rowMajor, tA, tB, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb),
                       accumulate ? 1 : 0, c, Int32(ldc))
        }
    }

    /// `gemm` through the loaded CBLAS library (see the `Float` overload).
    @discardableResult
    public static func blasGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool
    ) -> Bool {
        blasCall(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, lda: lda, ldb: ldb, c: c, ldc: ldc,
                 accumulate: accumulate) { blas, tA, tB in
            blas.dgemm(BLASLibrary.rowMajor, tA, tB, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb),
                       accumulate ? 1 : 0, c, Int32(ldc))
        }
    }

    /// What both `blasGemm` overloads check before calling CBLAS: a library is loaded, empty products
    /// (C cleared unless accumulating), sizes CBLAS accepts. `call` gets the library and the two
    /// transposition flags in CBLAS's encoding.
    private static func blasCall<T: BinaryFloatingPoint>(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, lda: Int, ldb: Int,
        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool,
        _ call: (BLASLibrary, Int32, Int32) -> Void
    ) -> Bool {
        guard let blas = BLASLibrary.shared else { return false }
        guard m > 0, n > 0 else { return true }
        if k == 0 {
            if !accumulate { clear(c, m: m, n: n, ldc: ldc) }
            return true
        }
        guard BLASLibrary.accepts(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                  lda: lda, ldb: ldb, ldc: ldc) else { return false }
        call(blas, transposeA ? BLASLibrary.trans : BLASLibrary.noTrans, transposeB ? BLASLibrary.trans : BLASLibrary.noTrans)
        return true
    }
}

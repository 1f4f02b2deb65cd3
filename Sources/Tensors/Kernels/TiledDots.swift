// A product with few columns and long rows, both operands contiguous along the sum: C = A·Bᵀ as register tiles
// of dot products.

/// `C ← A·Bᵀ + (accumulate ? C : 0)` for A (m × k) and B (n × k) both stored row-major — each C[i, j] a dot product
/// of two contiguous rows — when C has few columns (n ≤ 16) and the rows are long (k ≥ 128). This is a
/// convolution's weight gradient with few input channels, ∂W (D × C·kh·kw) = ∂Y (D × L) · colsᵀ (L × C·kh·kw):
/// the 2-D families' first layer (C·kh·kw = 9, L = 900) and Omniglot's (9, 784). The packed kernels pad those 9
/// columns to a 32-wide panel (28% of each multiply-add used) and copy both operands into panels first;
/// here 3 rows of A and 3 rows of B are read once per tile into 9 vector accumulators.
///
/// Every C[i, j] is summed the same way whatever tile it falls in: per block of 512 elements of the rows, 8 lanes
/// over p in steps of 8, the lanes added as a tree, then the block's last (length mod 8) terms one by one, and the
/// blocks' sums added to C in order. So splitting C's rows among threads leaves every value unchanged.
enum TiledDots {
    /// Whether this kernel takes the product `op(A)·op(B)` (m × n, sum over k).
    @inline(__always)
    static func applies(transposeA: Bool, transposeB: Bool, n: Int, k: Int) -> Bool {
        !transposeA && transposeB && n >= 2 && n <= 16 && k >= 128
    }

    /// `_GemmTesting`'s names for this kernel with each multiply-add.
    static let testingPaths = ["tiled-dots-fused", "tiled-dots-separate"]

    static func gemm<T: BinaryFloatingPoint & SIMDScalar>(
        m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool
    ) {
        if GemmKernelSelection.fusedIsFast {
            gemm(FusedMultiplyAdd.self, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            gemm(SeparateMultiplyAdd.self, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    /// Elements of each row summed per pass: 512 keeps a pass's 3 rows of A and up to 16 rows of B (6 + 32 KB at
    /// n = 16, 6 + 18 KB at the convolutions' n = 9) in or near a 32 KB level-1 cache while every tile of C reads them.
    static let rowBlock = 512

    static func gemm<T: BinaryFloatingPoint & SIMDScalar, F: GemmMultiplyAdd>(
        _: F.Type, m: Int, n: Int, k: Int, a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
        c: UnsafeMutablePointer<T>, ldc: Int, accumulate: Bool
    ) {
        // Passes over p in blocks of `rowBlock` (the last one shorter), each adding its partial dot products to C.
        var p0 = 0
        while p0 < k {
            let length = Swift.min(rowBlock, k - p0)
            let add = accumulate || p0 > 0
            var i = 0
            while i < m {
                let rows = Swift.min(3, m - i)
                var j = 0
                while j < n {
                    let columns = Swift.min(3, n - j)
                    let (ai, bj, cij) = (a + i * lda + p0, b + j * ldb + p0, c + i * ldc + j)
                    switch (rows, columns) {
                    case (3, 3): tile(F.self, Count3.self, Count3.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (3, 2): tile(F.self, Count3.self, Count2.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (3, _): tile(F.self, Count3.self, Count1.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (2, 3): tile(F.self, Count2.self, Count3.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (2, 2): tile(F.self, Count2.self, Count2.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (2, _): tile(F.self, Count2.self, Count1.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (_, 3): tile(F.self, Count1.self, Count3.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    case (_, 2): tile(F.self, Count1.self, Count2.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    default: tile(F.self, Count1.self, Count1.self, length, ai, lda, bj, ldb, cij, ldc, add)
                    }
                    j += columns
                }
                i += rows
            }
            p0 += length
        }
    }

    /// One R × S tile (R, S ≤ 3, known after inlining): C[r, s] (+)= ⟨a[r·lda ..< r·lda + k], b[s·ldb ..< s·ldb + k]⟩.
    @inline(__always)
    static func tile<T: BinaryFloatingPoint & SIMDScalar, F: GemmMultiplyAdd, R: StaticCount, S: StaticCount>(
        _: F.Type, _: R.Type, _: S.Type, _ k: Int, _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
        _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ accumulate: Bool
    ) {
        let (rs, ss) = (R.value, S.value)
        @inline(__always) func load(_ p: UnsafePointer<T>) -> SIMD8<T> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self) }
        let (a0, a1, a2) = (a, a + (rs > 1 ? lda : 0), a + (rs > 2 ? 2 * lda : 0))
        let (b0, b1, b2) = (b, b + (ss > 1 ? ldb : 0), b + (ss > 2 ? 2 * ldb : 0))
        var (s00, s01, s02) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var (s10, s11, s12) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var (s20, s21, s22) = (SIMD8<T>(), SIMD8<T>(), SIMD8<T>())
        var p = 0
        while p + 8 <= k {
            let x0 = load(a0 + p), x1 = rs > 1 ? load(a1 + p) : x0, x2 = rs > 2 ? load(a2 + p) : x0
            let y0 = load(b0 + p), y1 = ss > 1 ? load(b1 + p) : y0, y2 = ss > 2 ? load(b2 + p) : y0
            s00 = F.multiplyAdd(s00, x0, y0)
            if ss > 1 { s01 = F.multiplyAdd(s01, x0, y1) }
            if ss > 2 { s02 = F.multiplyAdd(s02, x0, y2) }
            if rs > 1 {
                s10 = F.multiplyAdd(s10, x1, y0)
                if ss > 1 { s11 = F.multiplyAdd(s11, x1, y1) }
                if ss > 2 { s12 = F.multiplyAdd(s12, x1, y2) }
            }
            if rs > 2 {
                s20 = F.multiplyAdd(s20, x2, y0)
                if ss > 1 { s21 = F.multiplyAdd(s21, x2, y1) }
                if ss > 2 { s22 = F.multiplyAdd(s22, x2, y2) }
            }
            p += 8
        }
        let tail = p
        @inline(__always) func finish(_ sum: SIMD8<T>, _ r: Int, _ s: Int) {
            var total = horizontalSum(sum)
            let (x, y) = (a + r * lda, b + s * ldb)
            for q in tail..<k { total += x[q] * y[q] }
            let out = c + r * ldc + s
            out.pointee = accumulate ? out.pointee + total : total
        }
        finish(s00, 0, 0)
        if ss > 1 { finish(s01, 0, 1) }
        if ss > 2 { finish(s02, 0, 2) }
        if rs > 1 { finish(s10, 1, 0); if ss > 1 { finish(s11, 1, 1) }; if ss > 2 { finish(s12, 1, 2) } }
        if rs > 2 { finish(s20, 2, 0); if ss > 1 { finish(s21, 2, 1) }; if ss > 2 { finish(s22, 2, 2) } }
    }
}

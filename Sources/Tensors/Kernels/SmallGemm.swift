import CVectorMath
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
    /// Elements of k (or n) per block of the few-column products: 512 keeps a block's (at most four) rows of B,
    /// 8 KB in Float, and a row of A or C in L1.
    static var thinBlock: Int { 512 }
    /// Rows of A per pass of the few-column dot products (their accumulators, 8 vectors a row, 16 KB in Float).
    static var thinRows: Int { 64 }

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
        if k == 1 && n <= 8 && ldc == n && (n > 1 || m >= 8) {
            // Outer product with few columns (g·vᵀ: m in the thousands, n = K): one flat pass over C.
            let incA = transposeA ? 1 : lda, incB = transposeB ? ldb : 1
            switch n {
            case 1: outerProductFlat(Count1.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            case 2: outerProductFlat(Count2.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            case 3: outerProductFlat(Count3.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            case 4: outerProductFlat(Count4.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            case 5: outerProductFlat(Count5.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            case 6: outerProductFlat(Count6.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            case 7: outerProductFlat(Count7.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            default: outerProductFlat(Count8.self, m: m, a: a, incA: incA, b: b, incB: incB, c: c, accumulate: accumulate)
            }
        } else if k == 1 {
            // Outer product with long rows (gᵀ·x of one example): C[i, :] = a_i · b.
            let incA = transposeA ? 1 : lda
            SmallGemm.withContiguous(b, count: n, stride: transposeB ? ldb : 1) { bc in
                let skip: SIMDMask<SIMD8<T>.MaskStorage> = tailSkipMask(n, T.self)
                for i in 0..<m {
                    let ci = c + i * ldc
                    if accumulate { axpy(a[i * incA], bc, ci, count: n, skip: skip) } else { scale(a[i * incA], bc, ci, count: n) }
                }
            }
        } else if n == 3 && transposeA && ldc == 3 && T.self == Float.self {
            // Three columns, A stored transposed (rank1's task-batched ∂U = Gᵀ·V: m = O·I, n = K = 3, k = tasks):
            // 16 rows of C at a time summed over p in registers and stored once as triples, the same operations in
            // the same order as the k flat passes below (20.9 → 5 µs hot for 4760 × 3 × 16: those passes read and
            // wrote all of C once per p).
            let (af, bf, cf) = (UnsafeRawPointer(a).assumingMemoryBound(to: Float.self),
                                UnsafeRawPointer(b).assumingMemoryBound(to: Float.self),
                                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self))
            threeColumnsFromTransposedA(m: m, k: k, a: af, lda: lda, b: bf, incB: transposeB ? ldb : 1,
                                        stepB: transposeB ? 1 : ldb, c: cf, accumulate: accumulate)
        } else if n <= 4 && transposeA && ldc == n {
            // Few columns, A stored transposed (the task-batched ∂U = Gᵀ·V: m = O·I, n = K, k = tasks): C is a
            // sum of k flat outer products of A's contiguous rows with op(B)'s rows.
            for p in 0..<k {
                let bp = transposeB ? b + p : b + p * ldb, incB = transposeB ? ldb : 1
                let add = accumulate || p > 0
                switch n {
                case 2: outerProductFlat(Count2.self, m: m, a: a + p * lda, incA: 1, b: bp, incB: incB, c: c, accumulate: add)
                case 3: outerProductFlat(Count3.self, m: m, a: a + p * lda, incA: 1, b: bp, incB: incB, c: c, accumulate: add)
                default: outerProductFlat(Count4.self, m: m, a: a + p * lda, incA: 1, b: bp, incB: incB, c: c, accumulate: add)
                }
            }
        } else if n <= 4 && !transposeA && !transposeB && ldb == n && k >= 8 {
            // Few columns, long rows (the task-batched ∂V = G·U: k = O·I, n = K): each row of C is n dot products
            // sharing one pass over A[i, :], run in blocks of `thinBlock` along k — the block's n columns of B copied
            // into contiguous rows that stay in L1 for every row of A, each row's accumulators kept between blocks —
            // where B's whole k × n (57 KB for rank1's 4760 × 3) was re-read from L2 for every row (16 × 3·4760: 12.0 → 8.5 µs).
            // Rows in chunks of `thinRows`, so that the accumulators kept between blocks (8 vectors a row) stay bounded
            // whatever m is.
            let whole = k / 16 * 16
            let rowsPerChunk = Swift.min(m, thinRows)
            withUnsafeTemporaryAllocation(of: SIMD8<T>.self, capacity: 8 * rowsPerChunk) { accumulators in
                withUnsafeTemporaryAllocation(of: T.self, capacity: n * Swift.min(whole, thinBlock) + 1) { buffer in
                    let (sums, bt) = (accumulators.baseAddress!, buffer.baseAddress!)
                    var i0 = 0
                    while i0 < m {
                        let rows = Swift.min(rowsPerChunk, m - i0)
                        sums.initialize(repeating: SIMD8<T>(), count: 8 * rows)
                        var p0 = 0
                        while p0 < whole {
                            let count = Swift.min(thinBlock, whole - p0)
                            transposedCopy(b + p0 * ldb, rows: count, columns: n, ld: n, into: bt)
                            for r in 0..<rows {
                                let ai = a + (i0 + r) * lda + p0
                                switch n {
                                case 2: rowDots(Count2.self, k: count, a: ai, rows: UnsafePointer(bt), sums: sums + 8 * r)
                                case 3: rowDots(Count3.self, k: count, a: ai, rows: UnsafePointer(bt), sums: sums + 8 * r)
                                default: rowDots(Count4.self, k: count, a: ai, rows: UnsafePointer(bt), sums: sums + 8 * r)
                                }
                            }
                            p0 += count
                        }
                        for r in 0..<rows {
                            let (e, ai, ci) = (sums + 8 * r, a + (i0 + r) * lda, c + (i0 + r) * ldc)
                            var total = SIMD4<T>(horizontalSum(e[0] + e[4]), horizontalSum(e[1] + e[5]),
                                                 horizontalSum(e[2] + e[6]), horizontalSum(e[3] + e[7]))
                            for p in whole..<k {
                                for j in 0..<n { total[j] += ai[p] * b[p * ldb + j] }
                            }
                            for j in 0..<n { ci[j] = accumulate ? ci[j] + total[j] : total[j] }
                        }
                        i0 += rows
                    }
                }
            }
        } else if k <= 4 && n >= 64 {
            // A rank-k update with long rows (the task-batched W = V·Uᵀ: m = tasks, k = K, n = O·I): each row of C
            // a combination of op(B)'s k rows, summed per vector and stored (or added) in one pass, in blocks of
            // `thinBlock` columns — the block's k rows (copied there when B is stored transposed) stay in L1 for
            // every row of C, where B's whole k × n was re-read from L2 for each (rank1's 16 × 4760·3 with B stored transposed: 14.5 → 7.4 µs).
            withUnsafeTemporaryAllocation(of: T.self, capacity: transposeB ? k * Swift.min(n, thinBlock) : 1) { buffer in
                var j0 = 0
                while j0 < n {
                    let count = Swift.min(thinBlock, n - j0)
                    let (r, stride): (UnsafePointer<T>, Int)
                    if transposeB {
                        transposedCopy(b + j0 * ldb, rows: count, columns: k, ld: ldb, into: buffer.baseAddress!)
                        (r, stride) = (UnsafePointer(buffer.baseAddress!), count)
                    } else {
                        (r, stride) = (b + j0, ldb)
                    }
                    for i in 0..<m {
                        var x = SIMD4<T>()
                        for p in 0..<k { x[p] = transposeA ? a[p * lda + i] : a[i * lda + p] }
                        let ci = c + i * ldc + j0
                        switch k {
                        case 1: combinedRows(Count1.self, x, r, stride: stride, ci, count: count, accumulate: accumulate)
                        case 2: combinedRows(Count2.self, x, r, stride: stride, ci, count: count, accumulate: accumulate)
                        case 3: combinedRows(Count3.self, x, r, stride: stride, ci, count: count, accumulate: accumulate)
                        default: combinedRows(Count4.self, x, r, stride: stride, ci, count: count, accumulate: accumulate)
                        }
                    }
                    j0 += count
                }
            }
        } else if n <= 8 && k <= 8 {
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
            let skip: SIMDMask<SIMD8<T>.MaskStorage> = tailSkipMask(n, T.self)
            for i in 0..<m {
                let ci = c + i * ldc
                if !accumulate { ci.update(repeating: 0, count: n) }
                for p in 0..<k {
                    let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                    axpy(x, b + p * ldb, ci, count: n, skip: skip)
                }
            }
        } else if !transposeA {
            let skip: SIMDMask<SIMD8<T>.MaskStorage> = tailSkipMask(k, T.self)
            for i in 0..<m {
                let ai = a + i * lda
                let ci = c + i * ldc
                for j in 0..<n {
                    let s = dot(ai, b + j * ldb, count: k, skip: skip)
                    ci[j] = accumulate ? ci[j] + s : s
                }
            }
        } else {
            withUnsafeTemporaryAllocation(of: T.self, capacity: k) { row in
                let ai = row.baseAddress!
                let skip: SIMDMask<SIMD8<T>.MaskStorage> = tailSkipMask(k, T.self)
                for i in 0..<m {
                    for p in 0..<k { ai[p] = a[p * lda + i] }
                    let ci = c + i * ldc
                    for j in 0..<n {
                        let s = dot(ai, b + j * ldb, count: k, skip: skip)
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
        if !transposeA && k <= 8 && lda == k && incy == 1 {
            // Contiguous rows shorter than a vector (U·v with U of shape (O·I, K), K small): loops with a
            // compile-time row length, which the compiler vectorises over rows.
            var xv = SIMD8<T>()
            for p in 0..<k { xv[p] = x[p * incx] }
            switch k {
            case 1: rowDotsFlat(Count1.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            case 2: rowDotsFlat(Count2.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            case 3: rowDotsFlat(Count3.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            case 4: rowDotsFlat(Count4.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            case 5: rowDotsFlat(Count5.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            case 6: rowDotsFlat(Count6.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            case 7: rowDotsFlat(Count7.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            default: rowDotsFlat(Count8.self, m: m, a: a, x: xv, y: y, accumulate: accumulate)
            }
        } else if !transposeA && k <= 8 {
            // Rows shorter than a vector (U·v with U of shape (O·I, K), K small): plain per-row sums.
            withContiguous(x, count: k, stride: incx) { xc in
                for i in 0..<m {
                    let ai = a + i * lda
                    var s: T = accumulate ? y[i * incy] : 0
                    for p in 0..<k { s += ai[p] * xc[p] }
                    y[i * incy] = s
                }
            }
        } else if transposeA && m <= 8 && lda == m && incx == 1 && k >= 8 {
            // Uᵀ·g with U (k × m) contiguous and m small: a flat pass over U, eight rows (m vectors) at a time.
            switch m {
            case 1: columnSumsFlat(Count1.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            case 2: columnSumsFlat(Count2.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            case 3: columnSumsFlat(Count3.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            case 4: columnSumsFlat(Count4.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            case 5: columnSumsFlat(Count5.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            case 6: columnSumsFlat(Count6.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            case 7: columnSumsFlat(Count7.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            default: columnSumsFlat(Count8.self, k: k, a: a, x: x, y: y, incy: incy, accumulate: accumulate)
            }
        } else if transposeA && m > 8 && m <= 32 {
            // Uᵀ·g with a few dozen columns: the m sums stay in registers (four vectors, the last one
            // overlapping the third when m is not a multiple of 8), two rows per step.
            columnSumsInRegisters(m: m, k: k, a: a, lda: lda, x: x, incx: incx, y: y, incy: incy, accumulate: accumulate)
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
                let skip: SIMDMask<SIMD8<T>.MaskStorage> = tailSkipMask(k, T.self)
                for i in 0..<m {
                    let s = dot(a + i * lda, xc, count: k, skip: skip)
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
                let skip: SIMDMask<SIMD8<T>.MaskStorage> = tailSkipMask(m, T.self)
                for p in 0..<k { axpy(x[p * incx], a + p * lda, acc, count: m, skip: skip) }
                for i in 0..<m { y[i * incy] = acc[i] }
            }
        }
    }

    /// `y[i] = Σ_p a[i·K + p]·x[p] (+ y[i])` for `K` known at compile time after inlining (contiguous rows).
    @inline(__always)
    static func rowDotsFlat<T: BinaryFloatingPoint & SIMDScalar, C: StaticCount>(
        _: C.Type, m: Int, a: UnsafePointer<T>, x: SIMD8<T>, y: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let K = C.value
        if accumulate {
            for i in 0..<m {
                var s = y[i]
                for p in 0..<K { s += a[i &* K &+ p] * x[p] }
                y[i] = s
            }
        } else {
            for i in 0..<m {
                var s = a[i &* K] * x[0]
                for p in 1..<K { s += a[i &* K &+ p] * x[p] }
                y[i] = s
            }
        }
    }

    /// Part of M dot products (M ≤ 4, known at compile time after inlining) sharing one pass over a: for p < k
    /// (a multiple of 16), `sums[j] += a[p ..< p+8]·rows[j·k + p ..< +8]` and `sums[4 + j]` the same for the next
    /// eight — two vector accumulators per product, kept in memory between blocks of one long product.
    @inline(__always)
    static func rowDots<T: BinaryFloatingPoint & SIMDScalar, C: StaticCount>(
        _: C.Type, k: Int, a: UnsafePointer<T>, rows: UnsafePointer<T>, sums: UnsafeMutablePointer<SIMD8<T>>
    ) {
        let M = C.value
        @inline(__always) func load(_ p: UnsafePointer<T>) -> SIMD8<T> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self) }
        var (e0, e1, e2, e3) = (sums[0], sums[1], sums[2], sums[3])
        var (f0, f1, f2, f3) = (sums[4], sums[5], sums[6], sums[7])
        let (r0, r1, r2, r3) = (rows, rows + k, rows + 2 * k, rows + 3 * k)
        var p = 0
        while p + 16 <= k {
            let u = load(a + p), v = load(a + p + 8)
            e0 += u * load(r0 + p); f0 += v * load(r0 + p + 8)
            if M > 1 { e1 += u * load(r1 + p); f1 += v * load(r1 + p + 8) }
            if M > 2 { e2 += u * load(r2 + p); f2 += v * load(r2 + p + 8) }
            if M > 3 { e3 += u * load(r3 + p); f3 += v * load(r3 + p + 8) }
            p += 16
        }
        (sums[0], sums[1], sums[2], sums[3]) = (e0, e1, e2, e3)
        (sums[4], sums[5], sums[6], sums[7]) = (f0, f1, f2, f3)
    }

    /// `y[0..<count] = Σ_{p < K} x[p]·r[p·stride ..< p·stride + count] (+ y)` for K ≤ 4 known at compile time after
    /// inlining (contiguous rows): one pass over y instead of one per row of r, sixteen lanes at a time (one AVX-512
    /// register, two AVX2 ones), then eight, then one by one — the same multiplies and adds in the same order for
    /// every element whatever the width. A K tested at run time cost four compares and reloads per vector (16 × 4760·3:
    /// 10 µs, three times its loads and stores).
    @inline(__always)
    static func combinedRows<T: BinaryFloatingPoint & SIMDScalar, C: StaticCount>(
        _: C.Type, _ x: SIMD4<T>, _ r: UnsafePointer<T>, stride: Int, _ y: UnsafeMutablePointer<T>, count: Int, accumulate: Bool
    ) {
        let K = C.value
        @inline(__always) func combined<V: SIMD>(_: V.Type, _ j: Int) -> V where V.Scalar == T {
            @inline(__always) func load(_ p: UnsafePointer<T>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
            var v = V(repeating: x[0]) * load(r + j)
            if K > 1 { v += V(repeating: x[1]) * load(r + stride + j) }
            if K > 2 { v += V(repeating: x[2]) * load(r + 2 * stride + j) }
            if K > 3 { v += V(repeating: x[3]) * load(r + 3 * stride + j) }
            let out = UnsafeMutableRawPointer(y + j)
            return accumulate ? out.loadUnaligned(as: V.self) + v : v
        }
        var j = 0
        while j + 16 <= count {
            UnsafeMutableRawPointer(y + j).storeBytes(of: combined(SIMD16<T>.self, j), as: SIMD16<T>.self)
            j += 16
        }
        if j + 8 <= count {
            UnsafeMutableRawPointer(y + j).storeBytes(of: combined(SIMD8<T>.self, j), as: SIMD8<T>.self)
            j += 8
        }
        while j < count {
            var v = x[0] * r[j]
            for p in 1..<K { v += x[p] * r[p * stride + j] }
            y[j] = accumulate ? y[j] + v : v
            j += 1
        }
    }

    /// `y[j] = Σ_p a[p·M + j]·x[p] (+ y[j])` for j < M, `M` (≤ 8) known at compile time after inlining.
    ///
    /// Eight rows of A are M contiguous vectors; lane l of vector q holds A[p₀ + (8q + l)/M, (8q + l) % M],
    /// so it is multiplied by x[p₀ + (8q + l)/M] (a fixed shuffle of x[p₀..<p₀+8]) and accumulated in its
    /// own vector; the lanes are summed into columns at the end.
    @inline(__always)
    static func columnSumsFlat<T: BinaryFloatingPoint & SIMDScalar, C: StaticCount>(
        _: C.Type, k: Int, a: UnsafePointer<T>, x: UnsafePointer<T>, y: UnsafeMutablePointer<T>, incy: Int,
        accumulate: Bool
    ) {
        let M = C.value
        var acc = Accumulators8<T>()
        var p = 0
        while p + 8 <= k {
            let xv = UnsafeRawPointer(x + p).loadUnaligned(as: SIMD8<T>.self)
            let block = UnsafeRawPointer(a + p &* M)
            for q in 0..<M {
                let av = block.loadUnaligned(fromByteOffset: q * 8 * MemoryLayout<T>.stride, as: SIMD8<T>.self)
                let b = 8 * q
                let xq = SIMD8<T>(xv[b / M], xv[(b + 1) / M], xv[(b + 2) / M], xv[(b + 3) / M],
                                  xv[(b + 4) / M], xv[(b + 5) / M], xv[(b + 6) / M], xv[(b + 7) / M])
                acc[q] += av * xq
            }
            p += 8
        }
        var sums = SIMD8<T>()
        for q in 0..<M {
            let v = acc[q]
            for l in 0..<8 { sums[(8 * q + l) % M] += v[l] }
        }
        while p < k {
            let xp = x[p]
            for j in 0..<M { sums[j] += a[p &* M &+ j] * xp }
            p += 1
        }
        for j in 0..<M { y[j * incy] = accumulate ? y[j * incy] + sums[j] : sums[j] }
    }

    /// `y[j] = Σ_p a[p·lda + j]·x[p·incx] (+ y[j])` for 8 < m ≤ 32, the sums held in four vectors.
    static func columnSumsInRegisters<T: BinaryFloatingPoint & SIMDScalar>(
        m: Int, k: Int, a: UnsafePointer<T>, lda: Int, x: UnsafePointer<T>, incx: Int,
        y: UnsafeMutablePointer<T>, incy: Int, accumulate: Bool
    ) {
        // Vector q covers columns o_q ..< o_q + 8, with o_q = min(8q, m − 8) so that every load stays
        // inside the row; it contributes only its columns ≥ 8q (the others belong to earlier vectors).
        let o0 = 0, o1 = Swift.min(8, m - 8), o2 = Swift.min(16, m - 8), o3 = m - 8
        let lanes = SIMD8<T>(0, 1, 2, 3, 4, 5, 6, 7)
        let keep1 = lanes .>= T(8 - o1), keep2 = lanes .>= T(16 - o2), keep3 = lanes .>= T(24 - o3)
        var e0 = SIMD8<T>(), e1 = SIMD8<T>(), e2 = SIMD8<T>(), e3 = SIMD8<T>()
        var f0 = SIMD8<T>(), f1 = SIMD8<T>(), f2 = SIMD8<T>(), f3 = SIMD8<T>()
        @inline(__always) func load(_ p: UnsafePointer<T>) -> SIMD8<T> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self) }
        var p = 0
        while p + 2 <= k {
            let r = a + p * lda, s = r + lda
            let xr = SIMD8<T>(repeating: x[p * incx]), xs = SIMD8<T>(repeating: x[(p + 1) * incx])
            e0 += load(r + o0) * xr; e1 += load(r + o1) * xr; e2 += load(r + o2) * xr; e3 += load(r + o3) * xr
            f0 += load(s + o0) * xs; f1 += load(s + o1) * xs; f2 += load(s + o2) * xs; f3 += load(s + o3) * xs
            p += 2
        }
        if p < k {
            let r = a + p * lda
            let xr = SIMD8<T>(repeating: x[p * incx])
            e0 += load(r + o0) * xr; e1 += load(r + o1) * xr; e2 += load(r + o2) * xr; e3 += load(r + o3) * xr
        }
        let zero = SIMD8<T>()
        let v0 = e0 + f0
        let v1 = zero.replacing(with: e1 + f1, where: keep1)
        let v2 = zero.replacing(with: e2 + f2, where: keep2)
        let v3 = zero.replacing(with: e3 + f3, where: keep3)
        withUnsafeTemporaryAllocation(of: T.self, capacity: 32) { buffer in
            let sums = buffer.baseAddress!
            sums.initialize(repeating: 0, count: 32)
            for l in 0..<8 {
                sums[o0 + l] += v0[l]
                sums[o1 + l] += v1[l]
                sums[o2 + l] += v2[l]
                sums[o3 + l] += v3[l]
            }
            for j in 0..<m { y[j * incy] = accumulate ? y[j * incy] + sums[j] : sums[j] }
        }
    }

    /// dst[j·rows + p] = src[p·ld + j]: a (rows × columns) block, rows `ld` apart, copied transposed (B's few columns
    /// made contiguous rows). Three contiguous Float columns 16 rows at a time by one shuffle (`msr_split_triples_16`).
    static func transposedCopy<T: BinaryFloatingPoint & SIMDScalar>(_ src: UnsafePointer<T>, rows: Int, columns: Int, ld: Int,
                                                                     into dst: UnsafeMutablePointer<T>) {
        var p = 0
        if T.self == Float.self && columns == 3 && ld == 3 {
            let (s, d) = (UnsafeRawPointer(src).assumingMemoryBound(to: Float.self),
                          UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self))
            while p + 16 <= rows {
                msr_split_triples_16(s + 3 * p, d + p, d + rows + p, d + 2 * rows + p)
                p += 16
            }
        }
        while p < rows {
            for j in 0..<columns { dst[j * rows + p] = src[p * ld + j] }
            p += 1
        }
    }

    /// C (m × 3, row-major) (+)= Σ_p A[p, :]ᵀ · B[p, 0..<3] with A's rows `lda` apart and B[p, j] at `p·stepB + j·incB`:
    /// for 16 rows of C at a time, C[i, j] = ((A[0, i]·B[0, j] (+ C[i, j])) + A[1, i]·B[1, j]) + …, multiplies and adds
    /// separate and in that order — what k flat outer products accumulated into C compute — summed in registers and
    /// stored once as triples.
    static func threeColumnsFromTransposedA(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                            incB: Int, stepB: Int, c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        guard k > 0 else {
            if !accumulate { c.update(repeating: 0, count: 3 * m) }
            return
        }
        var i = 0
        while i + 16 <= m {
            // Term p: A[p, i..<i+16] times each of B[p, 0], B[p, 1], B[p, 2]; the first added to C when accumulating.
            let a0 = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self)
            var x = a0 * b[0], y = a0 * b[incB], z = a0 * b[2 * incB]
            if accumulate {
                let (cx, cy, cz) = columns(ofTriples: c + 3 * i)
                (x, y, z) = (cx + x, cy + y, cz + z)
            }
            for p in 1..<k {
                let ap = UnsafeRawPointer(a + p * lda + i).loadUnaligned(as: SIMD16<Float>.self)
                let bp = b + p * stepB
                x = x + ap * bp[0]; y = y + ap * bp[incB]; z = z + ap * bp[2 * incB]
            }
            msr_join_triples_16(x, y, z, c + 3 * i)
            i += 16
        }
        while i < m {
            for j in 0..<3 {
                var s = a[i] * b[j * incB]
                if accumulate { s = c[3 * i + j] + s }
                for p in 1..<k { s = s + a[p * lda + i] * b[p * stepB + j * incB] }
                c[3 * i + j] = s
            }
            i += 1
        }
    }

    /// The three columns of 16 consecutive triples (`msr_split_triples_16`).
    @inline(__always)
    static func columns(ofTriples source: UnsafePointer<Float>) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 48) { t in
            let column = t.baseAddress!
            msr_split_triples_16(source, column, column + 16, column + 32)
            return (UnsafeRawPointer(column).loadUnaligned(as: SIMD16<Float>.self),
                    UnsafeRawPointer(column + 16).loadUnaligned(as: SIMD16<Float>.self),
                    UnsafeRawPointer(column + 32).loadUnaligned(as: SIMD16<Float>.self))
        }
    }

    /// `c[i·N + j] = a[i·incA]·b[j·incB] (+ c[i·N + j])` for `N` known at compile time after inlining.
    @inline(__always)
    static func outerProductFlat<T: BinaryFloatingPoint & SIMDScalar, C: StaticCount>(
        _: C.Type, m: Int, a: UnsafePointer<T>, incA: Int, b: UnsafePointer<T>, incB: Int,
        c: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let N = C.value
        var bv = SIMD8<T>()
        for j in 0..<N { bv[j] = b[j * incB] }
        if incA == 1 {
            if accumulate {
                for i in 0..<m { let ai = a[i]; for j in 0..<N { c[i &* N &+ j] += ai * bv[j] } }
            } else {
                for i in 0..<m { let ai = a[i]; for j in 0..<N { c[i &* N &+ j] = ai * bv[j] } }
            }
        } else {
            for i in 0..<m {
                let ai = a[i &* incA]
                for j in 0..<N { c[i &* N &+ j] = accumulate ? c[i &* N &+ j] + ai * bv[j] : ai * bv[j] }
            }
        }
    }

    /// `y[0..<count] = alpha · x[0..<count]` (contiguous).
    @inline(__always)
    static func scale<T: BinaryFloatingPoint & SIMDScalar>(
        _ alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int
    ) {
        let va = SIMD8<T>(repeating: alpha)
        var j = 0
        while j + 8 <= count {
            let xr = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<T>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: va * xr, as: SIMD8<T>.self)
            j += 8
        }
        if j < count && count >= 8 {
            // The last vector overlaps the previous one; rewriting those lanes stores the same values.
            j = count - 8
            let xr = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<T>.self)
            UnsafeMutableRawPointer(y + j).storeBytes(of: va * xr, as: SIMD8<T>.self)
            return
        }
        while j < count {
            y[j] = alpha * x[j]
            j += 1
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
        axpy(alpha, x, y, count: count, skip: tailSkipMask(count, T.self))
    }

    /// `axpy` with the tail mask from `tailSkipMask(count)` (hoisted out of the caller's loops).
    @inline(__always)
    static func axpy<T: BinaryFloatingPoint & SIMDScalar>(
        _ alpha: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int,
        skip: SIMDMask<SIMD8<T>.MaskStorage>
    ) {
        let va = SIMD8<T>(repeating: alpha)
        var j = 0
        while j + 8 <= count {
            let xr = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<T>.self)
            let yr = UnsafeMutableRawPointer(y + j)
            yr.storeBytes(of: yr.loadUnaligned(as: SIMD8<T>.self) + va * xr, as: SIMD8<T>.self)
            j += 8
        }
        if j < count && count >= 8 {
            // The last vector overlaps the previous one: only the lanes not in `skip` are updated.
            j = count - 8
            let xr = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<T>.self)
            let yr = UnsafeMutableRawPointer(y + j)
            let old = yr.loadUnaligned(as: SIMD8<T>.self)
            yr.storeBytes(of: (old + va * xr).replacing(with: old, where: skip), as: SIMD8<T>.self)
            return
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
        dot(x, y, count: count, skip: tailSkipMask(count, T.self))
    }

    /// The lanes of the last, overlapping vector of a `count`-element loop (count ≥ 8, not a multiple of
    /// 8) that the full vectors before it already covered. Computed once per product, outside the loops.
    @inline(__always)
    static func tailSkipMask<T: BinaryFloatingPoint & SIMDScalar>(_ count: Int, _: T.Type) -> SIMDMask<SIMD8<T>.MaskStorage> {
        SIMD8<T>(0, 1, 2, 3, 4, 5, 6, 7) .< T(count / 8 * 8 - (count - 8))
    }

    /// `dot` with the tail mask from `tailSkipMask(count)`.
    @inline(__always)
    static func dot<T: BinaryFloatingPoint & SIMDScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, count: Int, skip: SIMDMask<SIMD8<T>.MaskStorage>
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
        if p < count && count >= 8 {
            // The last vector overlaps the previous one: only its lanes from `p` on are added.
            p = count - 8
            let prod = UnsafeRawPointer(x + p).loadUnaligned(as: SIMD8<T>.self)
                * UnsafeRawPointer(y + p).loadUnaligned(as: SIMD8<T>.self)
            s1 += prod.replacing(with: 0, where: skip)
            return horizontalSum(s0 + s1)
        }
        var s = horizontalSum(s0 + s1)
        while p < count {
            s += x[p] * y[p]
            p += 1
        }
        return s
    }
}

/// Eight vector accumulators addressed by an index that is constant after unrolling (kept in registers).
struct Accumulators8<T: SIMDScalar & BinaryFloatingPoint> {
    var a0 = SIMD8<T>(), a1 = SIMD8<T>(), a2 = SIMD8<T>(), a3 = SIMD8<T>()
    var a4 = SIMD8<T>(), a5 = SIMD8<T>(), a6 = SIMD8<T>(), a7 = SIMD8<T>()

    @inline(__always)
    subscript(_ i: Int) -> SIMD8<T> {
        get {
            switch i {
            case 0: return a0
            case 1: return a1
            case 2: return a2
            case 3: return a3
            case 4: return a4
            case 5: return a5
            case 6: return a6
            default: return a7
            }
        }
        set {
            switch i {
            case 0: a0 = newValue
            case 1: a1 = newValue
            case 2: a2 = newValue
            case 3: a3 = newValue
            case 4: a4 = newValue
            case 5: a5 = newValue
            case 6: a6 = newValue
            default: a7 = newValue
            }
        }
    }
}

/// A size known at compile time once a generic kernel is specialised for it (`Count3.value == 3`).
protocol StaticCount { static var value: Int { get } }
enum Count1: StaticCount { @inline(__always) static var value: Int { 1 } }
enum Count2: StaticCount { @inline(__always) static var value: Int { 2 } }
enum Count3: StaticCount { @inline(__always) static var value: Int { 3 } }
enum Count4: StaticCount { @inline(__always) static var value: Int { 4 } }
enum Count5: StaticCount { @inline(__always) static var value: Int { 5 } }
enum Count6: StaticCount { @inline(__always) static var value: Int { 6 } }
enum Count7: StaticCount { @inline(__always) static var value: Int { 7 } }
enum Count8: StaticCount { @inline(__always) static var value: Int { 8 } }

/// The sum of the lanes as a tree (three dependent adds; `SIMD.sum()` adds the lanes one after another).
@inline(__always)
func horizontalSum<T: BinaryFloatingPoint & SIMDScalar>(_ v: SIMD8<T>) -> T {
    let h = v.lowHalf + v.highHalf
    let q = h.lowHalf + h.highHalf
    return q[0] + q[1]
}

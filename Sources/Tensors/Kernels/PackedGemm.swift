import CVectorMath
#if canImport(Glibc)
import Glibc
#endif

// Blocked, packed GEMM driver (Goto/BLIS loop structure) around a register-tile micro-kernel.

/// A read-only strided matrix view: element `(i, j)` lives at `base[i·rowStride + j·columnStride]`.
///
/// A row-major `X` with leading dimension `ld` is `(ld, 1)`; its transpose is `(1, ld)`. Packing uses
/// this to serve all four `op(A)·op(B)` transpose combinations with one driver.
struct StridedMatrix<Scalar> {
    var base: UnsafePointer<Scalar>
    var rowStride: Int
    var columnStride: Int
    /// True when columns are contiguous (`columnStride == 1`, i.e. the stored matrix is not transposed).
    var rowsAreContiguous: Bool

    /// `op(X)` for a row-major `X` with leading dimension `ld`, transposed when `transposed`.
    @inline(__always)
    init(_ base: UnsafePointer<Scalar>, ld: Int, transposed: Bool) {
        self.base = base
        self.rowStride = transposed ? 1 : ld
        self.columnStride = transposed ? ld : 1
        self.rowsAreContiguous = !transposed
    }
}

/// Slivers of A (⌈m/mr⌉) up to which whole panels of a row-major op(B) are read where they lie instead of packed:
/// each panel then serves at most this many slivers (per block of k), too few to pay for copying it. Measured on the
/// AVX-512 EPYC (6×16 tile, 1 thread, best of 7 × 2000 calls): unpacked against packed at m = 16 (3 slivers)
/// 16×2040·70 48 against 61 µs, 16×30·4760 71 against 78 µs; m = 24, 36: 7–12% faster; m = 64 (11 slivers) 64×272·64
/// 5% faster, 64×196·576 144 against 154 µs; m = 120 (20 slivers) 3% slower; m = 240 35% slower (a panel row straddles
/// cache lines and the panel, re-read for every block of A, no longer stays in L1). `MSR_GEMM_UNPACKED_B=<slivers>`
/// overrides it (0: always pack), for A/B measurements.
let gemmUnpackedBMaximumSlivers: Int = {
    getenv("MSR_GEMM_UNPACKED_B").flatMap { Int(String(cString: $0)) } ?? 12
}()

/// `C ← op(A)·op(B) + (accumulate ? C : 0)` with op(A) `m×k`, op(B) `k×n`, C `m×n` (row stride `ldc`).
///
/// Loop nest (sizes from the micro-kernel `K`):
///
///     for jc in 0..<n step nc:                 // B block: kc × nc, packed into nr-wide panels
///       for pc in 0..<k step kc:
///         pack op(B)[pc..<pc+kc, jc..<jc+nc]   // (not its whole panels when op(B) is row-major and m is small)
///         for ic in 0..<m step mc:             // A block: mc × kc, packed into mr-row slivers (L2)
///           pack op(A)[ic..<ic+mc, pc..<pc+kc]
///           for jr in 0..<nc step nr:          // one B panel (kc × nr) stays in L1 ...
///             for ir in 0..<mc step mr:        // ... while the A slivers stream past it
///               C[ic+ir ..< +mr, jc+jr ..< +nr] (+)= sliver · panel       (micro-kernel)
///
/// Edge tiles: missing rows are zero-padded in the A slivers and simply not stored; a remainder of at
/// most `narrowColumns` uses a narrow panel and `runNarrow`; columns that still do not fill the
/// panel are stored lane by lane from the last vector (a scratch tile and a merge pass before).
/// k is split into `⌈k/kc⌉` near-equal blocks. All kernels share `kc`, so every element of C is
/// accumulated in the same order whatever `mr`/`nr` are: micro-kernels that share a multiply-add
/// style give bitwise-identical results.
enum PackedGemm<K: GemmMicroKernel> {
    typealias Scalar = K.Scalar

    static func gemm(
        m: Int, n: Int, k: Int, a: StridedMatrix<Scalar>, b: StridedMatrix<Scalar>,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, accumulate: Bool
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        let mr = K.mr, nr = K.nr
        // Split k into equal blocks of at most K.kc (257 = 129 + 128, not 128 + 128 + 1).
        let kBlocks = (k + K.kc - 1) / K.kc
        let kcMax = (k + kBlocks - 1) / kBlocks
        let mcMax = Swift.min(K.mc, roundUp(m, mr))
        let ncMax = Swift.min(K.nc, roundUp(n, nr))
        let size = MemoryLayout<Scalar>.stride
        let packACount = mcMax * kcMax
        let packBCount = ncMax * kcMax
        let raw = UnsafeMutableRawPointer.allocate(byteCount: (packACount + packBCount) * size + 128, alignment: 64)
        defer { raw.deallocate() }
        let packB = raw.bindMemory(to: Scalar.self, capacity: packBCount)
        let packA = (raw + roundUp(packBCount * size, 64)).bindMemory(to: Scalar.self, capacity: packACount)

        // Few rows of C: whole panels of a row-major op(B) are read where they lie (each is used by ⌈m/mr⌉ slivers,
        // too few to pay for copying it first), only a last, narrower panel is packed (zeros past its columns). The
        // same values either way: the micro-kernel multiplies the same elements in the same order.
        let readsB = b.rowsAreContiguous && (m + mr - 1) / mr <= gemmUnpackedBMaximumSlivers
        var jc = 0
        while jc < n {
            let nb = Swift.min(K.nc, n - jc)
            let wholePanels = readsB ? nb / nr : 0
            var pc = 0
            while pc < k {
                let kb = Swift.min(kcMax, k - pc)
                if wholePanels * nr < nb {
                    packPanels(b, rows: pc, kb, columns: jc + wholePanels * nr, nb - wholePanels * nr,
                               into: packB + wholePanels * kb * nr)
                }
                let addToC = accumulate || pc > 0
                var ic = 0
                while ic < m {
                    let mb = Swift.min(K.mc, m - ic)
                    packSlivers(a, rows: ic, mb, columns: pc, kb, into: packA)
                    var jr = 0
                    while jr < nb {
                        let width = Swift.min(nr, nb - jr)
                        let panelWidth = Self.panelWidth(width)
                        let unpacked = jr / nr < wholePanels
                        let panel = unpacked ? b.base + pc * b.rowStride + jc + jr : UnsafePointer(packB + (jr / nr) * kb * nr)
                        let bStride = unpacked ? b.rowStride : panelWidth
                        var ir = 0
                        while ir < mb {
                            let height = Swift.min(mr, mb - ir)
                            let sliver = UnsafePointer(packA + (ir / mr) * kb * mr)
                            let cTile = c + (ic + ir) * ldc + (jc + jr)
                            if panelWidth == nr {
                                K.run(kc: kb, a: sliver, b: panel, bStride: bStride, c: cTile, ldc: ldc, rows: height, columns: width, addToC: addToC)
                            } else {
                                K.runNarrow(kc: kb, a: sliver, b: panel, bStride: bStride, c: cTile, ldc: ldc, rows: height, columns: width, addToC: addToC)
                            }
                            ir += mr
                        }
                        jr += nr
                    }
                    ic += mb
                }
                pc += kb
            }
            jc += nb
        }
    }

    @inline(__always)
    static func roundUp(_ x: Int, _ multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }

    /// The panel that holds a last `width` (≤ nr) columns: narrow (`runNarrow`) when at most `narrowColumns` remain.
    @inline(__always)
    static func panelWidth(_ width: Int) -> Int { width <= K.narrowColumns ? K.narrowColumns : K.nr }

    /// Elements of C this kernel computes for an `m × n` product, padding included: rows to whole slivers, columns to
    /// whole panels and a last full or narrow one (`FloatGemmKernel.fitted` compares tiles by it).
    static func paddedElements(m: Int, n: Int) -> Int {
        let remainder = n % K.nr
        return roundUp(m, K.mr) * (n - remainder + (remainder == 0 ? 0 : panelWidth(remainder)))
    }

    /// `count` elements from `source` to `destination`, a kernel vector at a time, then one by one: a panel row is
    /// two vectors or fewer, and a `memmove` call per row (what `update(from:count:)` makes) cost more than the copy.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Scalar>, to destination: UnsafeMutablePointer<Scalar>, count: Int) {
        let w = K.Vector.scalarCount
        var j = 0
        while j + w <= count {
            UnsafeMutableRawPointer(destination + j)
                .storeBytes(of: UnsafeRawPointer(source + j).loadUnaligned(as: K.Vector.self), as: K.Vector.self)
            j += w
        }
        while j < count {
            destination[j] = source[j]
            j += 1
        }
    }

    /// `count` elements (a whole number of kernel vectors) from `source` to `destination`, then vectors of zeros from
    /// `destination + width` until `count` is covered (one for the 6-row tiles, whose narrower panels leave at most a
    /// vector; up to two for the 4×24 tile's): the caller makes sure all `count` may be read, and writes the up to one
    /// vector of zeros past `destination + count` again afterwards (the next panel row).
    @inline(__always)
    static func copyZeroingPast(_ source: UnsafePointer<Scalar>, to destination: UnsafeMutablePointer<Scalar>, width: Int, count: Int) {
        copy(source, to: destination, count: count)
        var j = width
        repeat {
            UnsafeMutableRawPointer(destination + j).storeBytes(of: K.Vector(), as: K.Vector.self)
            j += K.Vector.scalarCount
        } while j < count
    }

    /// Packs `op(B)[p0 ..< p0+kb, j0 ..< j0+nb]` into `⌈nb/nr⌉` panels; panel `q` holds
    /// `dst[q·kb·nr + p·s + jj] = op(B)[p0+p, j0+q·nr+jj]` (zero for columns past `nb`), where the
    /// panel's row length `s` is `nr`, or `narrowColumns` for a last panel with at most that many columns.
    static func packPanels(
        _ b: StridedMatrix<Scalar>, rows p0: Int, _ kb: Int, columns j0: Int, _ nb: Int,
        into dst: UnsafeMutablePointer<Scalar>
    ) {
        let nr = K.nr
        var q = 0
        while q * nr < nb {
            let width = Swift.min(nr, nb - q * nr)
            let stride = panelWidth(width)
            let panel = dst + q * kb * nr
            let first = b.base + p0 * b.rowStride + (j0 + q * nr) * b.columnStride
            if b.rowsAreContiguous {
                if width == stride {
                    for p in 0..<kb {
                        copy(first + p * b.rowStride, to: panel + p * stride, count: stride)
                    }
                } else {
                    // A narrower last panel. Whole vectors where row p + 1 of the block follows: reading `stride`
                    // elements of row p stays within row p + 1's first `width` (stride ≤ rowStride + width); the
                    // lanes past `width` are then zeroed with one vector store that runs into the panel's next row,
                    // written after it. The last row element by element.
                    let whole = stride <= b.rowStride + width ? kb - 1 : 0
                    for p in 0..<whole {
                        copyZeroingPast(first + p * b.rowStride, to: panel + p * stride, width: width, count: stride)
                    }
                    for p in whole..<kb {
                        let d = panel + p * stride
                        copy(first + p * b.rowStride, to: d, count: width)
                        for jj in width..<stride { d[jj] = 0 }
                    }
                }
            } else if width == stride {
                // Stored transposed: op(B)[p, j] = B[j, p]. A full panel row at a time: `stride` loads across the
                // source rows (nr or narrowColumns, a fixed count the compiler unrolls or gathers), one contiguous store,
                // where a scalar store per element into the panel's column was the packing's bottleneck.
                @inline(__always) func packRows(_ columns: Int) {
                    for p in 0..<kb {
                        let d = panel + p * stride
                        let s = first + p * b.rowStride
                        for jj in 0..<columns { d[jj] = s[jj * b.columnStride] }
                    }
                }
                // 8×8 blocks need a row of whole blocks: not the 4-column half panel of the 6×8 SIMD4 tile.
                if Scalar.self == Float.self && b.rowStride == 1 && kb >= 8 && stride % 8 == 0 {
                    transposeRows(first, columnStride: b.columnStride, columns: stride, kb: kb, into: panel)
                } else if stride == nr { packRows(nr) } else { packRows(K.narrowColumns) }
            } else {
                // Stored transposed, a narrower last panel: column by column, zero-padded.
                for jj in 0..<width {
                    let s = first + jj * b.columnStride
                    var d = panel + jj
                    for p in 0..<kb {
                        d.pointee = s[p * b.rowStride]
                        d += stride
                    }
                }
                if width < stride {
                    for p in 0..<kb {
                        for jj in width..<stride { panel[p * stride + jj] = 0 }
                    }
                }
            }
            q += 1
        }
    }

    /// Packs `op(A)[i0 ..< i0+mb, p0 ..< p0+kb]` into `⌈mb/mr⌉` slivers; sliver `s` holds
    /// `dst[s·kb·mr + p·mr + r] = op(A)[i0+s·mr+r, p0+p]`, zero for rows past `mb`.
    static func packSlivers(
        _ a: StridedMatrix<Scalar>, rows i0: Int, _ mb: Int, columns p0: Int, _ kb: Int,
        into dst: UnsafeMutablePointer<Scalar>
    ) {
        let mr = K.mr
        var s = 0
        while s * mr < mb {
            let height = Swift.min(mr, mb - s * mr)
            let sliver = dst + s * kb * mr
            let first = a.base + (i0 + s * mr) * a.rowStride + p0 * a.columnStride
            if !a.rowsAreContiguous && height == mr {
                // Stored transposed: op(A)[i, p] = A[p, i]; the mr rows of one column are contiguous.
                for p in 0..<kb {
                    let (d, src) = (sliver + p * mr, first + p * a.columnStride)
                    for r in 0..<mr { d[r] = src[r] }
                }
            } else if !a.rowsAreContiguous {
                // A fixed count of conditional copies: a loop of `height` copies became a `memcpy` call per column.
                for p in 0..<kb {
                    let d = sliver + p * mr
                    let src = first + p * a.columnStride
                    for r in 0..<mr { d[r] = r < height ? src[r] : 0 }
                }
            } else if (mr == 6 || mr == 4) && Scalar.self == Float.self && kb >= 8 {
                interleaveRows(first, rowStride: a.rowStride, height: height, kb: kb, into: sliver)
            } else if height == mr {
                for p in 0..<kb {
                    let d = sliver + p * mr
                    let src = first + p
                    for r in 0..<mr { d[r] = src[r * a.rowStride] }
                }
            } else {
                for p in 0..<kb {
                    let d = sliver + p * mr
                    let src = first + p
                    for r in 0..<height { d[r] = src[r * a.rowStride] }
                    for r in height..<mr { d[r] = 0 }
                }
            }
            s += 1
        }
    }

    /// A 6- or 4-row Float sliver of a row-major op(A): sliver[p·mr + r] = row r's element p (zero for rows past
    /// `height`), eight columns at a time through `msr_interleave_6x8` or `msr_interleave_4x8`, the last kb mod 8 one by one.
    static func interleaveRows(_ first: UnsafePointer<Scalar>, rowStride: Int, height: Int, kb: Int, into sliver: UnsafeMutablePointer<Scalar>) {
        let mr = K.mr
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8) { zeros in
            zeros.initialize(repeating: 0)
            let base = UnsafeRawPointer(first).assumingMemoryBound(to: Float.self)
            let out = UnsafeMutableRawPointer(sliver).assumingMemoryBound(to: Float.self)
            // Rows past `height` read the same eight zeros at every p (a step of 0).
            @inline(__always) func row(_ r: Int) -> (UnsafePointer<Float>, Int) {
                r < height ? (base + r * rowStride, 1) : (UnsafePointer(zeros.baseAddress!), 0)
            }
            let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
            var p = 0
            if mr == 6 {
                let (r4, r5) = (row(4), row(5))
                while p + 8 <= kb {
                    msr_interleave_6x8(r0.0 + p * r0.1, r1.0 + p * r1.1, r2.0 + p * r2.1, r3.0 + p * r3.1,
                                       r4.0 + p * r4.1, r5.0 + p * r5.1, out + p * 6)
                    p += 8
                }
            } else {
                while p + 8 <= kb {
                    msr_interleave_4x8(r0.0 + p * r0.1, r1.0 + p * r1.1, r2.0 + p * r2.1, r3.0 + p * r3.1, out + p * 4)
                    p += 8
                }
            }
            while p < kb {
                for r in 0..<mr { out[p * mr + r] = r < height ? base[r * rowStride + p] : 0 }
                p += 1
            }
        }
    }

    /// A full Float panel of a transposed op(B) (op(B)[p, j] at first[p + j·columnStride]): panel[p·columns + j] for
    /// `columns` columns, a multiple of 8 and every one valid, in 8×8 blocks through `msr_transpose_8x8`; the last
    /// kb mod 8 rows one by one.
    static func transposeRows(_ first: UnsafePointer<Scalar>, columnStride: Int, columns: Int, kb: Int, into panel: UnsafeMutablePointer<Scalar>) {
        assert(columns % 8 == 0, "transposeRows: \(columns) columns are not whole 8×8 blocks")
        let base = UnsafeRawPointer(first).assumingMemoryBound(to: Float.self)
        let out = UnsafeMutableRawPointer(panel).assumingMemoryBound(to: Float.self)
        var p = 0
        while p + 8 <= kb {
            var j = 0
            while j < columns {
                msr_transpose_8x8(base + p + j * columnStride, columnStride, out + p * columns + j, columns)
                j += 8
            }
            p += 8
        }
        while p < kb {
            for j in 0..<columns { out[p * columns + j] = base[p + j * columnStride] }
            p += 1
        }
    }
}

// Register-blocked micro-kernels for the packed GEMM (see PackedGemm.swift).

/// How a micro-kernel forms `acc + a·b` on SIMD vectors.
///
/// `Fused` maps to one `vfmadd` instruction when the compiler targets a CPU with FMA
/// (`-target-cpu x86-64-v3` or newer), but to one `fmaf`/`fma` *library call per lane* otherwise;
/// `Separate` is a multiply followed by an add (two roundings), fast on every target.
/// `GemmKernelSelection` decides at run time which of the two the current binary does well.
protocol GemmMultiplyAdd {
    /// `acc + a·b`.
    static func multiplyAdd<V: SIMD>(_ acc: V, _ a: V, _ b: V) -> V where V.Scalar: BinaryFloatingPoint
}

/// `acc.addingProduct(a, b)`: one rounding; a single instruction with FMA code generation.
enum FusedMultiplyAdd: GemmMultiplyAdd {
    @inline(__always)
    static func multiplyAdd<V: SIMD>(_ acc: V, _ a: V, _ b: V) -> V where V.Scalar: BinaryFloatingPoint {
        acc.addingProduct(a, b)
    }
}

/// `acc + a * b`: two roundings; never a library call.
enum SeparateMultiplyAdd: GemmMultiplyAdd {
    @inline(__always)
    static func multiplyAdd<V: SIMD>(_ acc: V, _ a: V, _ b: V) -> V where V.Scalar: BinaryFloatingPoint {
        acc + a * b
    }
}

/// A micro-kernel computes one `rows × nr` (or `rows × narrowColumns`) tile of C from packed operands:
///
///     C[r, j] ← (addToC ? C[r, j] : 0) + Σ_{p < kc} Ap[p·mr + r] · Bp[p·bStride + j]     (r < rows, j < width)
///
/// `Ap` is an `mr`-row sliver of op(A) stored column by column (`kc × mr`, contiguous, zero-padded
/// past the last valid row), `Bp` a panel of op(B) row by row, `width` wide with rows `bStride` apart: packed
/// (`bStride = width`, contiguous, in a 64-byte-aligned buffer) or, for a whole panel of a row-major op(B) read where it lies,
/// op(B)'s own row stride. `width = nr` for `run` and `narrowColumns` for `runNarrow` (the narrow remainder panel).
/// C is row-major with row stride `ldc`; only its first `rows ≤ mr` rows and `columns ≤ width` columns of the
/// tile are touched (a narrower edge stores its last vector lane by lane).
protocol GemmMicroKernel {
    associatedtype Scalar: BinaryFloatingPoint
    /// The vector its tile is made of (also what the packing copies rows with).
    associatedtype Vector: SIMD where Vector.Scalar == Scalar
    /// Rows of the register tile.
    static var mr: Int { get }
    /// Columns of the register tile (= the packed B panel width).
    static var nr: Int { get }
    /// Columns of the narrow tile that takes a remainder of at most this many columns (one vector by default).
    static var narrowColumns: Int { get }
    static func run(
        kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bStride: Int,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool)
    static func runNarrow(
        kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bStride: Int,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool)
}

/// The blocking every tile shares. Not requirements, so no tile can change them: with the same `kc` every element of C
/// is summed in the same blocks of k in the same order whatever the tile, which is what makes tiles of one
/// multiply-add style give bitwise-identical products.
extension GemmMicroKernel {
    static var narrowColumns: Int { Vector.scalarCount }
    /// Depth of one packed block (elements of k per pass over C). 128: a 6×32 Float panel (16 KiB) then leaves most of
    /// L1 to A slivers and C.
    static var kc: Int { 128 }
    /// Rows of op(A) packed per block: 120, a multiple of every tile's `mr` (4 and 6).
    static var mc: Int { 120 }
    /// Columns of op(B) packed per block: the whole panels within 2048 Float (1024 Double) columns.
    static var nc: Int { (MemoryLayout<Scalar>.size == 4 ? 2048 : 1024) / nr * nr }
}

/// A `6 × 2w` tile held in twelve `V` accumulators (`w = V.scalarCount`):
///
///     for p in 0..<kc:  c[r][h] ← c[r][h] + broadcast(Ap[p·6 + r]) · Bp[p·2w + h·w ..< +w]    (r < 6, h < 2)
///
/// With `SIMD8<Float>` this is the classic 6×16 AVX2 tile (12 of 16 ymm registers hold C); with
/// `SIMD16<Float>` a 6×32 AVX-512 tile; `SIMD4<Double>` / `SIMD8<Double>` give 6×8 / 6×16 tiles.
/// `runNarrow` is the `6 × w` variant (six accumulators) for a remainder of at most `w` columns.
enum Tile6x2<V: SIMD, MA: GemmMultiplyAdd>: GemmMicroKernel where V.Scalar: BinaryFloatingPoint {
    typealias Scalar = V.Scalar
    typealias Vector = V
    static var mr: Int { 6 }
    static var nr: Int { 2 * V.scalarCount }

    @inline(__always)
    static func run(
        kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bStride: Int,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool
    ) {
        let w = V.scalarCount
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        var ap = a
        var bp = b
        for _ in 0..<kc {
            let b0 = TileStores<V>.load(bp)
            let b1 = TileStores<V>.load(bp + w)
            var x = V(repeating: ap[0])
            c00 = MA.multiplyAdd(c00, x, b0); c01 = MA.multiplyAdd(c01, x, b1)
            x = V(repeating: ap[1])
            c10 = MA.multiplyAdd(c10, x, b0); c11 = MA.multiplyAdd(c11, x, b1)
            x = V(repeating: ap[2])
            c20 = MA.multiplyAdd(c20, x, b0); c21 = MA.multiplyAdd(c21, x, b1)
            x = V(repeating: ap[3])
            c30 = MA.multiplyAdd(c30, x, b0); c31 = MA.multiplyAdd(c31, x, b1)
            x = V(repeating: ap[4])
            c40 = MA.multiplyAdd(c40, x, b0); c41 = MA.multiplyAdd(c41, x, b1)
            x = V(repeating: ap[5])
            c50 = MA.multiplyAdd(c50, x, b0); c51 = MA.multiplyAdd(c51, x, b1)
            ap += 6
            bp += bStride
        }
        var row = c
        TileStores<V>.storeRow(c00, c01, row, columns: columns, add: addToC)
        guard rows > 1 else { return }
        row += ldc
        TileStores<V>.storeRow(c10, c11, row, columns: columns, add: addToC)
        guard rows > 2 else { return }
        row += ldc
        TileStores<V>.storeRow(c20, c21, row, columns: columns, add: addToC)
        guard rows > 3 else { return }
        row += ldc
        TileStores<V>.storeRow(c30, c31, row, columns: columns, add: addToC)
        guard rows > 4 else { return }
        row += ldc
        TileStores<V>.storeRow(c40, c41, row, columns: columns, add: addToC)
        guard rows > 5 else { return }
        row += ldc
        TileStores<V>.storeRow(c50, c51, row, columns: columns, add: addToC)
    }

    @inline(__always)
    static func runNarrow(
        kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bStride: Int,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool
    ) {
        NarrowTile<V, MA>.run(mr: 6, kc: kc, a: a, b: b, bStride: bStride, c: c, ldc: ldc, rows: rows, columns: columns, addToC: addToC)
    }
}

/// A `4 × 3w` tile held in twelve `V` accumulators, the same multiply-adds per element of C in the same order as
/// `Tile6x2` (so the two give bitwise-identical products):
///
///     for p in 0..<kc:  c[r][h] ← c[r][h] + broadcast(Ap[p·4 + r]) · Bp[p·3w + h·w ..< +w]    (r < 4, h < 3)
///
/// With `SIMD8<Float>` a 4×24 tile: 12 accumulators, three B vectors and a broadcast fill AVX2's 16 ymm registers, and
/// each step loads seven vectors for twelve multiply-adds (the 6×16 tile: eight). It pads less of products whose
/// rows are few and not a multiple of 6 (`FloatGemmKernel.fitted`): MSR-FC's query product 19×70·70×68 computes
/// 20 × 72 elements of C on it against 24 × 72 on the 6×16 tile. `runNarrow` is the `4 × w` variant.
enum Tile4x3<V: SIMD, MA: GemmMultiplyAdd>: GemmMicroKernel where V.Scalar: BinaryFloatingPoint {
    typealias Scalar = V.Scalar
    typealias Vector = V
    static var mr: Int { 4 }
    static var nr: Int { 3 * V.scalarCount }

    @inline(__always)
    static func run(
        kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bStride: Int,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool
    ) {
        let w = V.scalarCount
        var c00 = V(), c01 = V(), c02 = V(), c10 = V(), c11 = V(), c12 = V()
        var c20 = V(), c21 = V(), c22 = V(), c30 = V(), c31 = V(), c32 = V()
        var ap = a
        var bp = b
        for _ in 0..<kc {
            let b0 = TileStores<V>.load(bp)
            let b1 = TileStores<V>.load(bp + w)
            let b2 = TileStores<V>.load(bp + 2 * w)
            var x = V(repeating: ap[0])
            c00 = MA.multiplyAdd(c00, x, b0); c01 = MA.multiplyAdd(c01, x, b1); c02 = MA.multiplyAdd(c02, x, b2)
            x = V(repeating: ap[1])
            c10 = MA.multiplyAdd(c10, x, b0); c11 = MA.multiplyAdd(c11, x, b1); c12 = MA.multiplyAdd(c12, x, b2)
            x = V(repeating: ap[2])
            c20 = MA.multiplyAdd(c20, x, b0); c21 = MA.multiplyAdd(c21, x, b1); c22 = MA.multiplyAdd(c22, x, b2)
            x = V(repeating: ap[3])
            c30 = MA.multiplyAdd(c30, x, b0); c31 = MA.multiplyAdd(c31, x, b1); c32 = MA.multiplyAdd(c32, x, b2)
            ap += 4
            bp += bStride
        }
        var row = c
        TileStores<V>.storeRow(c00, c01, c02, row, columns: columns, add: addToC)
        guard rows > 1 else { return }
        row += ldc
        TileStores<V>.storeRow(c10, c11, c12, row, columns: columns, add: addToC)
        guard rows > 2 else { return }
        row += ldc
        TileStores<V>.storeRow(c20, c21, c22, row, columns: columns, add: addToC)
        guard rows > 3 else { return }
        row += ldc
        TileStores<V>.storeRow(c30, c31, c32, row, columns: columns, add: addToC)
    }

    @inline(__always)
    static func runNarrow(
        kc: Int, a: UnsafePointer<Scalar>, b: UnsafePointer<Scalar>, bStride: Int,
        c: UnsafeMutablePointer<Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool
    ) {
        NarrowTile<V, MA>.run(mr: 4, kc: kc, a: a, b: b, bStride: bStride, c: c, ldc: ldc, rows: rows, columns: columns, addToC: addToC)
    }
}

/// The one-vector-wide tile of the tiles' narrow remainder panels: `mr` (4 or 6, a constant once inlined) accumulators,
///
///     for p in 0..<kc:  c[r] ← c[r] + broadcast(Ap[p·mr + r]) · Bp[p·bStride ..< +w]    (r < mr)
///
/// the same multiply-adds per element as the wide tiles' columns.
enum NarrowTile<V: SIMD, MA: GemmMultiplyAdd> where V.Scalar: BinaryFloatingPoint {
    @inline(__always)
    static func run(
        mr: Int, kc: Int, a: UnsafePointer<V.Scalar>, b: UnsafePointer<V.Scalar>, bStride: Int,
        c: UnsafeMutablePointer<V.Scalar>, ldc: Int, rows: Int, columns: Int, addToC: Bool
    ) {
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var ap = a
        var bp = b
        for _ in 0..<kc {
            let b0 = TileStores<V>.load(bp)
            c0 = MA.multiplyAdd(c0, V(repeating: ap[0]), b0)
            c1 = MA.multiplyAdd(c1, V(repeating: ap[1]), b0)
            c2 = MA.multiplyAdd(c2, V(repeating: ap[2]), b0)
            c3 = MA.multiplyAdd(c3, V(repeating: ap[3]), b0)
            if mr > 4 {
                c4 = MA.multiplyAdd(c4, V(repeating: ap[4]), b0)
                c5 = MA.multiplyAdd(c5, V(repeating: ap[5]), b0)
            }
            ap += mr
            bp += bStride
        }
        var row = c
        TileStores<V>.storeRow(c0, row, columns: columns, add: addToC)
        guard rows > 1 else { return }
        row += ldc
        TileStores<V>.storeRow(c1, row, columns: columns, add: addToC)
        guard rows > 2 else { return }
        row += ldc
        TileStores<V>.storeRow(c2, row, columns: columns, add: addToC)
        guard rows > 3 else { return }
        row += ldc
        TileStores<V>.storeRow(c3, row, columns: columns, add: addToC)
        guard mr > 4, rows > 4 else { return }
        row += ldc
        TileStores<V>.storeRow(c4, row, columns: columns, add: addToC)
        guard rows > 5 else { return }
        row += ldc
        TileStores<V>.storeRow(c5, row, columns: columns, add: addToC)
    }
}

/// Loads and stores of a register tile's rows, shared by the tiles: whole vectors, or the valid lanes of the last one.
enum TileStores<V: SIMD> where V.Scalar: BinaryFloatingPoint {
    @inline(__always)
    static func load(_ p: UnsafePointer<V.Scalar>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<V.Scalar>, add: Bool) {
        let raw = UnsafeMutableRawPointer(p)
        if add {
            raw.storeBytes(of: raw.loadUnaligned(as: V.self) + v, as: V.self)
        } else {
            raw.storeBytes(of: v, as: V.self)
        }
    }

    /// The first `count` lanes of `v` to `p` (added to what is there when `add`), lane by lane.
    @inline(__always)
    static func storePart(_ v: V, _ p: UnsafeMutablePointer<V.Scalar>, count: Int, add: Bool) {
        if add {
            for j in 0..<count { p[j] += v[j] }
        } else {
            for j in 0..<count { p[j] = v[j] }
        }
    }

    /// One row of a 2w-wide tile: both vectors, or the valid `columns` of them.
    @inline(__always)
    static func storeRow(_ v0: V, _ v1: V, _ p: UnsafeMutablePointer<V.Scalar>, columns: Int, add: Bool) {
        let w = V.scalarCount
        if columns >= 2 * w {
            store(v0, p, add: add); store(v1, p + w, add: add)
        } else if columns > w {
            store(v0, p, add: add); storePart(v1, p + w, count: columns - w, add: add)
        } else {
            storePart(v0, p, count: columns, add: add)
        }
    }

    /// One row of a w-wide tile: the vector, or its valid `columns`.
    @inline(__always)
    static func storeRow(_ v: V, _ p: UnsafeMutablePointer<V.Scalar>, columns: Int, add: Bool) {
        if columns >= V.scalarCount { store(v, p, add: add) } else { storePart(v, p, count: columns, add: add) }
    }

    /// One row of a 3w-wide tile: the three vectors, or the valid `columns` of them.
    @inline(__always)
    static func storeRow(_ v0: V, _ v1: V, _ v2: V, _ p: UnsafeMutablePointer<V.Scalar>, columns: Int, add: Bool) {
        let w = V.scalarCount
        if columns > 2 * w {
            store(v0, p, add: add); store(v1, p + w, add: add); storeRow(v2, p + 2 * w, columns: columns - 2 * w, add: add)
        } else {
            storeRow(v0, v1, p, columns: columns, add: add)
        }
    }
}


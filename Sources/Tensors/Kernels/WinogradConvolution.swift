import CVectorMath

// Winograd's minimal filtering F(2×2, 3×3) for 3×3, stride-1 convolutions.

/// y = conv(x, w) for 3×3 kernels at stride 1 by Winograd's F(2×2, 3×3): each 2×2 block of outputs (a tile) is
/// Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with d the tile's 4×4 input patch (at stride 2, zero outside the image) and g a 3×3
/// kernel. Summed over input channels, the 16 elementwise products become 16 matrix products
///
///     U_ξ = (G g_{dc} Gᵀ)_ξ       (D × C)     weight transform, once per call
///     V_ξ = (Bᵀ d_{ct} B)_ξ       (C × T)     input transform, T tiles of a chunk of images
///     M_ξ = U_ξ · V_ξ             (D × T)     ξ = 0..<16, one `T.gemm` each
///     y_{dt} = Aᵀ M_{·dt} A                   output transform, 2×2 outputs cropped at odd edges
///
/// 16·D·C·T multiply-adds where the direct products take 36·D·C·T (2.25× fewer), for some added rounding: the
/// transforms' coefficients are 0, ±1 and ½ (exact), but each output is a sum of 16 products of sums, not 9 products.
///
/// The transforms run on SIMD vectors of `width` consecutive tiles of one image and channel. A tile (ty, tx) reads
/// padded rows 2ty..2ty+3 and columns 2tx..2tx+3; the input is first rearranged (`gather`) into 8 arrays indexed
/// [ρ·tw + tx], one per row parity π and column offset b: `rows[π][b][ρ·tw + tx] = padded[2ρ + π][2tx + b]`, so
/// that value (a, b) of tile t = ty·tw + tx is `rows[a & 1][b][(a >> 1)·tw + t]`, and each of the 16 values of
/// `width` consecutive tiles (across tile rows too) is one contiguous vector load.
///
/// Images are taken in chunks of about `chunkTiles` tiles, so that a chunk's V and M (16·C·T and 16·D·T elements)
/// are used again soon after they are written (transforms, then products, then the output transform). Chunks are split over the intra-op threads, each with its
/// own buffers; a chunk's images and every element's arithmetic are the same whatever the split, so results do not
/// depend on the thread count. The weight gradient (`weightGradient`) is the adjoint in g of the same sums and reuses
/// the input transform and chunking (`forEachChunk`): ∂U_ξ = Σ_t Ŷ_ξ V_ξᵀ with Ŷ = A ∂y Aᵀ, then ∂g = Gᵀ ∂U G.
enum WinogradConvolution<T: GemmScalar> {
    typealias Vector = SIMD16<T>
    static var width: Int { Vector.scalarCount }
    /// Tiles per chunk of images (whole images; at least one). Measured on Conv4's 14×14 layer (80 images, 49 tiles
    /// each, C = D = 64, Float32, 1 thread), forward: 64 tiles 13.9 ms, 128 11.9, 256 11.1, 512 10.5, 1024 11.0 — flat
    /// from 256 up, where a chunk's V and M are about 1 MiB each.
    static var chunkTiles: Int { 256 }

    /// Whether the geometry is one this kernel computes: 3×3 kernel, stride 1.
    static func applies(_ g: WindowGeometry) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1
    }

    /// y (N, D, oh, ow) from x (N, C, H, W), w (D, C, 3, 3) and, if given, a bias b (D) added to each output after the
    /// output transform (as `Tensor.addingChannelBias` would); `g` must satisfy `applies`.
    static func forward(x: UnsafePointer<T>, weight w: UnsafePointer<T>, bias: UnsafePointer<T>? = nil, into y: UnsafeMutablePointer<T>,
                        images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        precondition(applies(g), "Winograd F(2×2, 3×3) needs a 3×3 kernel at stride 1")
        let u = UnsafeMutablePointer<T>.allocate(capacity: 16 * d * c)
        defer { u.deallocate() }
        KernelProfile.time(.im2col) { transformWeights(w, outputs: d, channels: c, into: u) }
        forward(x: x, transformedWeight: u, bias: bias, into: y, images: n, channels: c, outputs: d, g)
    }

    /// ∂x (N, C, H, W) from ∂y (N, D, oh, ow) and w (D, C, 3, 3) for a stride-1 convolution with padding p ≤ 2: the
    /// convolution of ∂y with w flipped in both spatial axes and transposed to (C, D, 3, 3), padding 2 − p.
    static func inputGradient(outputGradient gy: UnsafePointer<T>, weight w: UnsafePointer<T>, into gx: UnsafeMutablePointer<T>,
                              images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        let flipped = UnsafeMutablePointer<T>.allocate(capacity: c * d * 9)
        defer { flipped.deallocate() }
        for o in 0..<d {
            for i in 0..<c {
                for k in 0..<9 { flipped[(i * d + o) * 9 + k] = w[(o * c + i) * 9 + 8 - k] }
            }
        }
        forward(x: gy, weight: flipped, into: gx, images: n, channels: d, outputs: c, inputGradientGeometry(g))
    }

    /// The geometry of the convolution that gives a stride-1 3×3 convolution's input gradient: input oh×ow, padding
    /// 2 − p (so its output is H×W again). Needs p ≤ 2.
    static func inputGradientGeometry(_ g: WindowGeometry) -> WindowGeometry {
        WindowGeometry(height: g.outHeight, width: g.outWidth, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1,
                       padY: 2 - g.padY, padX: 2 - g.padX)
    }

    /// U_ξ[o, i] = (G g_{oi} Gᵀ)_ξ for w (D, C, 3, 3) → u (16, D, C), with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
    static func transformWeights(_ w: UnsafePointer<T>, outputs d: Int, channels c: Int, into u: UnsafeMutablePointer<T>) {
        let half: T = 0.5
        for o in 0..<d {
            // Eight input channels at a time, lane by lane the arithmetic of the loop below (so the same values), each
            // of the 16 outputs stored as one vector.
            var i0 = 0
            while i0 + 8 <= c {
                let k = w + (o * c + i0) * 9
                @inline(__always) func tap(_ t: Int) -> SIMD8<T> {
                    SIMD8(k[t], k[9 + t], k[18 + t], k[27 + t], k[36 + t], k[45 + t], k[54 + t], k[63 + t])
                }
                @inline(__always) func store(_ xi: Int, _ v: SIMD8<T>) {
                    UnsafeMutableRawPointer(u + (xi * d + o) * c + i0).storeBytes(of: v, as: SIMD8<T>.self)
                }
                let halves = SIMD8<T>(repeating: half)
                // G g (4 × 3), column j from taps j, 3 + j, 6 + j: rows g₀, ½(g₀ + g₁ + g₂), ½(g₀ − g₁ + g₂), g₂.
                typealias Row = (SIMD8<T>, SIMD8<T>, SIMD8<T>)
                let (t0, t1, t2, t3, t4, t5, t6, t7, t8) = (tap(0), tap(1), tap(2), tap(3), tap(4), tap(5), tap(6), tap(7), tap(8))
                let rows: (Row, Row, Row, Row) = (
                    (t0, t1, t2),
                    (halves * (t0 + t3 + t6), halves * (t1 + t4 + t7), halves * (t2 + t5 + t8)),
                    (halves * (t0 - t3 + t6), halves * (t1 - t4 + t7), halves * (t2 - t5 + t8)),
                    (t6, t7, t8))
                // Each row r of G g times Gᵀ.
                @inline(__always) func emit(_ r: Int, _ g: Row) {
                    store(4 * r, g.0)
                    store(4 * r + 1, halves * (g.0 + g.1 + g.2))
                    store(4 * r + 2, halves * (g.0 - g.1 + g.2))
                    store(4 * r + 3, g.2)
                }
                emit(0, rows.0)
                emit(1, rows.1)
                emit(2, rows.2)
                emit(3, rows.3)
                i0 += 8
            }
            for i in i0..<c {
                let k = w + (o * c + i) * 9
                // G g (4 × 3) column by column, then each of its rows r times Gᵀ.
                var gg = SIMD16<T>()
                for j in 0..<3 {
                    let (g0, g1, g2) = (k[j], k[3 + j], k[6 + j])
                    gg[j] = g0
                    gg[4 + j] = half * (g0 + g1 + g2)
                    gg[8 + j] = half * (g0 - g1 + g2)
                    gg[12 + j] = g2
                }
                for r in 0..<4 {
                    let (g0, g1, g2) = (gg[4 * r], gg[4 * r + 1], gg[4 * r + 2])
                    u[((4 * r) * d + o) * c + i] = g0
                    u[((4 * r + 1) * d + o) * c + i] = half * (g0 + g1 + g2)
                    u[((4 * r + 2) * d + o) * c + i] = half * (g0 - g1 + g2)
                    u[((4 * r + 3) * d + o) * c + i] = g2
                }
            }
        }
    }

    static func forward(x: UnsafePointer<T>, transformedWeight u: UnsafePointer<T>, bias: UnsafePointer<T>?,
                        into y: UnsafeMutablePointer<T>, images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        let (oh, ow) = (g.outHeight, g.outWidth), outImage = d * oh * ow
        let tiling = Tiling(images: n, g)
        let (tw, th, tiles, ld) = (tiling.tilesWide, tiling.tilesHigh, tiling.tiles, tiling.ld)
        forEachChunk(x: x, images: n, channels: c, outputs: d, g, tiling) { chunk in
            // M_ξ (D × T) = U_ξ (D × C) · V_ξ (C × T).
            for xi in 0..<16 {
                T.gemm(false, false, d, chunk.columns, c, u + xi * d * c, c, chunk.v + xi * c * ld, ld, chunk.m + xi * d * ld, ld, false)
            }
            zeroSlack(chunk.m, rows: 16 * d, columns: chunk.columns, ld: ld)
            KernelProfile.time(.im2col) {
                for i in 0..<chunk.count {
                    for o in 0..<d {
                        transformOutput(chunk.m + o * ld + i * tiles, matrixStride: d * ld, tiles: tiles,
                                        into: chunk.tileValues, stride: tiles + width)
                        scatter(chunk.tileValues, stride: tiles + width, tilesWide: tw, tilesHigh: th, height: oh, width: ow,
                                adding: bias?[o], into: y + (chunk.first + i) * outImage + o * oh * ow)
                    }
                }
            }
        }
    }

    /// ∂w (D, C, 3, 3) from x (N, C, H, W) and ∂y (N, D, oh, ow); `g` must satisfy `applies`. The adjoint of the
    /// forward in g: y_{dt} = Σ_c Aᵀ[(G g_{dc} Gᵀ) ⊙ (Bᵀ d_{ct} B)]A gives
    ///
    ///     Ŷ_ξ = (A ∂y_{dt} Aᵀ)_ξ        (D × T)     ∂y's 2×2 tiles, zero past odd edges
    ///     V_ξ = (Bᵀ d_{ct} B)_ξ         (C × T)     as the forward makes it
    ///     ∂U_ξ = Σ_chunks Ŷ_ξ · V_ξᵀ    (D × C)     ξ = 0..<16, one `T.gemm` each per chunk (k = the chunk's T)
    ///     ∂g_{dc} = Gᵀ ∂U_{·dc} G                   4×4 → 3×3
    ///
    /// 16·D·C·T multiply-adds where image by image takes 36·D·C·T. Each chunk's 16 products go to a slot of its own
    /// (16 × D × C) and the slots are summed in chunk order afterwards: the chunking depends on N alone and every slot
    /// is the same whichever thread computes it, so results do not depend on the thread count. (Splitting the 16 ξ
    /// products over threads instead would make every thread transform every chunk's input, or wait for the others
    /// after each chunk.) The slots hold chunks · 16·D·C elements: 4 MiB in Float32 on Conv4's 14×14 layer (16 chunks).
    static func weightGradient(x: UnsafePointer<T>, outputGradient gy: UnsafePointer<T>, into gw: UnsafeMutablePointer<T>,
                               images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        precondition(applies(g), "Winograd F(2×2, 3×3) needs a 3×3 kernel at stride 1")
        let (oh, ow) = (g.outHeight, g.outWidth), outImage = d * oh * ow
        let tiling = Tiling(images: n, g)
        let (tw, th, tiles, ld) = (tiling.tilesWide, tiling.tilesHigh, tiling.tiles, tiling.ld)
        let slot = 16 * d * c
        let slots = UnsafeMutablePointer<T>.allocate(capacity: tiling.chunks * slot)
        defer { slots.deallocate() }
        forEachChunk(x: x, images: n, channels: c, outputs: d, g, tiling) { chunk in
            // Ŷ_ξ into the chunk's D-side matrices (where the forward puts M), plane by plane.
            KernelProfile.time(.im2col) {
                for i in 0..<chunk.count {
                    for o in 0..<d {
                        gatherTiles(gy + (chunk.first + i) * outImage + o * oh * ow, tilesWide: tw, tilesHigh: th, height: oh,
                                    width: ow, into: chunk.tileValues, stride: tiles + width)
                        transformOutputGradient(chunk.tileValues, stride: tiles + width, tiles: tiles,
                                                into: chunk.m + o * ld + i * tiles, matrixStride: d * ld)
                    }
                }
            }
            // ∂U_ξ of this chunk (D × C) = Ŷ_ξ (D × T) · V_ξᵀ (T × C).
            let out = slots + chunk.index * slot
            for xi in 0..<16 {
                T.gemm(false, true, d, c, chunk.columns, chunk.m + xi * d * ld, ld, chunk.v + xi * c * ld, ld, out + xi * d * c, c, false)
            }
        }
        // Σ over chunks in chunk order into slot 0, split over ξ (each element summed in the same order whatever the split).
        let chunks = tiling.chunks
        IntraOp.forEachRange(items: 16, parts: IntraOp.parts(items: 16, work: chunks * slot), chunksPerPart: 1) { range in
            for xi in range {
                let sum = slots + xi * d * c
                for k in 1..<Swift.max(1, chunks) {
                    let part = slots + k * slot + xi * d * c
                    for e in 0..<(d * c) { sum[e] += part[e] }
                }
            }
        }
        KernelProfile.time(.im2col) { transformWeightGradient(slots, outputs: d, channels: c, into: gw) }
    }

    /// How a call's N images are tiled and cut into chunks. Chunks are whole images, about `chunkTiles` tiles each,
    /// at least 4 where there are 4 images, so that 2 threads split them evenly (Conv4's 3×3 layer would otherwise be
    /// 2 chunks of 64 and 16 images); by N alone, never by the thread count.
    struct Tiling {
        /// Tile rows and columns per image (⌈oh/2⌉, ⌈ow/2⌉), and tiles per image.
        let tilesHigh: Int, tilesWide: Int, tiles: Int
        let perChunk: Int, chunks: Int
        /// Row length of a chunk's matrices V, M and Ŷ: its tiles plus `width` of slack, since the last vector of an
        /// image runs past its tiles (into the next image's, overwritten next, or into the slack).
        let ld: Int

        init(images n: Int, _ g: WindowGeometry) {
            (tilesHigh, tilesWide) = ((g.outHeight + 1) / 2, (g.outWidth + 1) / 2)
            tiles = tilesHigh * tilesWide
            perChunk = Swift.max(1, Swift.min(chunkTiles / tiles, (n + 3) / 4))
            chunks = (n + perChunk - 1) / perChunk
            ld = perChunk * tiles + width
        }
    }

    /// One chunk as `forEachChunk` hands it over: its images first..<first + count, its V (16 × C × ld) made, and
    /// the thread's other buffers: D-side matrices (16 × D × ld: M in the forward, Ŷ in the weight gradient) and
    /// one plane's 2×2 tile values (4 × (tiles + width)), their slack lanes zero.
    struct Chunk {
        let index: Int, first: Int, count: Int, columns: Int
        let v: UnsafeMutablePointer<T>, m: UnsafeMutablePointer<T>, tileValues: UnsafeMutablePointer<T>
    }

    /// For every chunk of images, V_ξ = (Bᵀ d_{ct} B)_ξ (16 × C × T) from x (N, C, H, W), then `body`. Chunks split
    /// over the intra-op threads, each with its own buffers; a chunk's images and every element's arithmetic are the
    /// same whatever the split.
    static func forEachChunk(x: UnsafePointer<T>, images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry,
                             _ tiling: Tiling, _ body: (Chunk) -> Void) {
        let (th, tw, tiles, ld) = (tiling.tilesHigh, tiling.tilesWide, tiling.tiles, tiling.ld)
        let image = c * g.height * g.width
        // One gathered array: th + 1 tile rows of tw, plus slack for the last vector's read past the end.
        let rowsCount = (th + 1) * tw + width
        let chunks = tiling.chunks
        IntraOp.forEachRange(items: chunks, parts: IntraOp.parts(items: chunks, work: n * d * c * tiles * 16), chunksPerPart: 2) { range in
            let v = UnsafeMutablePointer<T>.allocate(capacity: 16 * c * ld)
            let m = UnsafeMutablePointer<T>.allocate(capacity: 16 * d * ld)
            let rows = UnsafeMutablePointer<T>.allocate(capacity: 8 * rowsCount)
            let tileValues = UnsafeMutablePointer<T>.allocate(capacity: 4 * (tiles + width))
            let paddedWidth = 2 * tw + 2 + 2 * width
            let padded = UnsafeMutablePointer<T>.allocate(capacity: (2 * th + 2) * paddedWidth)
            padded.initialize(repeating: 0, count: (2 * th + 2) * paddedWidth)
            // V and M need no zeros: the products read and write only a chunk's columns, and the output transform's
            // last vector reads past them into slack the forward zeroes per chunk (`zeroSlack`). The gathered rows
            // and tile values are small.
            rows.initialize(repeating: 0, count: 8 * rowsCount)
            tileValues.initialize(repeating: 0, count: 4 * (tiles + width))
            defer { v.deallocate(); m.deallocate(); rows.deallocate(); tileValues.deallocate(); padded.deallocate() }
            for index in range {
                let first = index * tiling.perChunk, count = Swift.min(n - first, tiling.perChunk)
                KernelProfile.time(.im2col) {
                    for i in 0..<count {
                        for ch in 0..<c {
                            gather(x + (first + i) * image + ch * g.height * g.width, g, tilesWide: tw, tilesHigh: th,
                                   into: rows, stride: rowsCount, padded: padded, paddedWidth: paddedWidth)
                            transformInput(rows, stride: rowsCount, tilesWide: tw, tiles: tiles,
                                           into: v + ch * ld + i * tiles, matrixStride: c * ld)
                        }
                    }
                }
                body(Chunk(index: index, first: first, count: count, columns: count * tiles, v: v, m: m, tileValues: tileValues))
            }
        }
    }

    /// Zeros in columns `columns ..< columns + width` (at most to `ld`) of each of `rows` rows: what a chunk's last vector
    /// of tiles reads past the columns its products wrote (a whole M was zeroed per call before: 2 MiB on Conv4's
    /// 14×14 layer, where this is 64 KiB).
    static func zeroSlack(_ matrix: UnsafeMutablePointer<T>, rows: Int, columns: Int, ld: Int) {
        let count = Swift.min(width, ld - columns)
        for r in 0..<rows { (matrix + r * ld + columns).update(repeating: 0, count: count) }
    }

    /// rows[π][b][ρ·tw + tx] = padded[2ρ + π][2tx + b] for ρ in 0...th, from one channel plane (H × W) with zero
    /// padding. The plane is first copied into `padded` ((2·th + 2) rows of `paddedWidth` = 2·tw + 2 + 2·width, zero
    /// outside rows py..<py + H and columns px..<px + W, which are the only ones ever written), then each padded row is
    /// de-interleaved by vectors of 2·width: the even and odd halves at 2tx and at 2tx + 2 are columns b = 0, 1 and
    /// 2, 3. (Copying the whole plane first keeps the wide loads away from the stores just made: de-interleaving each
    /// row straight after copying it stalled on store forwarding.) Vectors run past a row's tw tiles into the next
    /// row's (written next) or into the arrays' slack.
    @inline(__always)
    static func gather(_ plane: UnsafePointer<T>, _ g: WindowGeometry, tilesWide tw: Int, tilesHigh th: Int,
                       into rows: UnsafeMutablePointer<T>, stride: Int, padded: UnsafeMutablePointer<T>, paddedWidth: Int) {
        typealias Pair = SIMD32<T>
        let (h, w, py, px) = (g.height, g.width, g.padY, g.padX)
        copyRows(plane, height: Swift.min(h, 2 * th + 2 - py), width: w, into: padded + py * paddedWidth + px, rowStride: paddedWidth)
        for r in 0..<(2 * th + 2) {
            let (rho, pi) = (r >> 1, r & 1)
            let (line, dst) = (padded + r * paddedWidth, rows + pi * 4 * stride + rho * tw)
            var tx = 0
            if T.self == Float.self {
                // Float: clang's shuffles (two permutes per pair of vectors), where SIMD32's evenHalf and oddHalf
                // were built lane group by lane group.
                let (source, out) = (UnsafeRawPointer(line).assumingMemoryBound(to: Float.self),
                                     UnsafeMutableRawPointer(dst).assumingMemoryBound(to: Float.self))
                while tx < tw {
                    msr_deinterleave_32(source + 2 * tx, out + tx, out + stride + tx)
                    msr_deinterleave_32(source + 2 * tx + 2, out + 2 * stride + tx, out + 3 * stride + tx)
                    tx += width
                }
                continue
            }
            while tx < tw {
                let left = UnsafeRawPointer(line + 2 * tx).loadUnaligned(as: Pair.self)
                let right = UnsafeRawPointer(line + 2 * tx + 2).loadUnaligned(as: Pair.self)
                store(left.evenHalf, dst + tx)
                store(left.oddHalf, dst + stride + tx)
                store(right.evenHalf, dst + 2 * stride + tx)
                store(right.oddHalf, dst + 3 * stride + tx)
                tx += width
            }
        }
    }

    /// V_ξ[·, t] = (Bᵀ d_t B)_ξ for the `tiles` tiles of one image and channel, with Bᵀ = [1 0 −1 0; 0 1 1 0;
    /// 0 −1 1 0; 0 1 0 −1]; V_ξ's column t at v + ξ·matrixStride + t (up to `width` − 1 columns past the last written).
    @inline(__always)
    static func transformInput(_ rows: UnsafePointer<T>, stride: Int, tilesWide tw: Int, tiles: Int,
                               into v: UnsafeMutablePointer<T>, matrixStride: Int) {
        var t = 0
        while t < tiles {
            func load(_ a: Int, _ b: Int) -> Vector {
                UnsafeRawPointer(rows + ((a & 1) * 4 + b) * stride + (a >> 1) * tw + t).loadUnaligned(as: Vector.self)
            }
            // For each column b of d (a vector per tile), column b of Bᵀ d: e_ab.
            func column(_ b: Int) -> (Vector, Vector, Vector, Vector) {
                let (d0, d1, d2, d3) = (load(0, b), load(1, b), load(2, b), load(3, b))
                return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
            }
            let e0 = column(0), e1 = column(1), e2 = column(2), e3 = column(3)
            // Row a of (Bᵀ d) B from row a of Bᵀ d: (r0 − r2, r1 + r2, r2 − r1, r1 − r3).
            func row(_ a: Int, _ r0: Vector, _ r1: Vector, _ r2: Vector, _ r3: Vector) {
                store(r0 - r2, v + (4 * a) * matrixStride + t)
                store(r1 + r2, v + (4 * a + 1) * matrixStride + t)
                store(r2 - r1, v + (4 * a + 2) * matrixStride + t)
                store(r1 - r3, v + (4 * a + 3) * matrixStride + t)
            }
            row(0, e0.0, e1.0, e2.0, e3.0)
            row(1, e0.1, e1.1, e2.1, e3.1)
            row(2, e0.2, e1.2, e2.2, e3.2)
            row(3, e0.3, e1.3, e2.3, e3.3)
            t += width
        }
    }

    /// The 2×2 outputs Aᵀ M_{·t} A of `tiles` tiles, Aᵀ = [1 1 1 0; 0 1 −1 −1], into out[2i + j][t].
    @inline(__always)
    static func transformOutput(_ m: UnsafePointer<T>, matrixStride: Int, tiles: Int, into out: UnsafeMutablePointer<T>, stride: Int) {
        var t = 0
        while t < tiles {
            func load(_ a: Int, _ b: Int) -> Vector {
                UnsafeRawPointer(m + (4 * a + b) * matrixStride + t).loadUnaligned(as: Vector.self)
            }
            // Aᵀ M, column b: (m0 + m1 + m2, m1 − m2 − m3) over rows a of M.
            func column(_ b: Int) -> (Vector, Vector) {
                let (m0, m1, m2, m3) = (load(0, b), load(1, b), load(2, b), load(3, b))
                return (m0 + m1 + m2, m1 - m2 - m3)
            }
            let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
            let s0 = (c0.0, c1.0, c2.0, c3.0), s1 = (c0.1, c1.1, c2.1, c3.1)
            store(s0.0 + s0.1 + s0.2, out + t)
            store(s0.1 - s0.2 - s0.3, out + stride + t)
            store(s1.0 + s1.1 + s1.2, out + 2 * stride + t)
            store(s1.1 - s1.2 - s1.3, out + 3 * stride + t)
            t += width
        }
    }

    /// One output plane (oh × ow) from the tiles' 2×2 outputs, dropping the last row or column of a tile past an odd
    /// edge, and adding `bias` to each output if one is given.
    @inline(__always)
    static func scatter(_ out: UnsafePointer<T>, stride: Int, tilesWide tw: Int, tilesHigh th: Int, height oh: Int, width ow: Int,
                        adding bias: T?, into y: UnsafeMutablePointer<T>) {
        if let bias {
            scatter(out, stride: stride, tilesWide: tw, tilesHigh: th, height: oh, width: ow, into: y) { $0 + bias }
        } else {
            scatter(out, stride: stride, tilesWide: tw, tilesHigh: th, height: oh, width: ow, into: y) { $0 }
        }
    }

    @inline(__always)
    static func scatter(_ out: UnsafePointer<T>, stride: Int, tilesWide tw: Int, tilesHigh th: Int, height oh: Int, width ow: Int,
                        into y: UnsafeMutablePointer<T>, _ value: (T) -> T) {
        let pairs = ow / 2   // tiles whose two columns are both inside
        for ty in 0..<th {
            for i in 0..<2 where 2 * ty + i < oh {
                let (row, src) = (y + (2 * ty + i) * ow, out + (2 * i) * stride + ty * tw)
                let (left, right) = (src, src + stride)
                for tx in 0..<pairs {
                    row[2 * tx] = value(left[tx])
                    row[2 * tx + 1] = value(right[tx])
                }
                if pairs < tw { row[2 * pairs] = value(left[pairs]) }
            }
        }
    }

    /// The adjoint of `scatter`: one output-gradient plane (oh × ow) into its tiles' 2×2 values out[2i + j][t],
    /// zero for the row or column of a tile past an odd edge.
    @inline(__always)
    static func gatherTiles(_ gy: UnsafePointer<T>, tilesWide tw: Int, tilesHigh th: Int, height oh: Int, width ow: Int,
                            into out: UnsafeMutablePointer<T>, stride: Int) {
        let pairs = ow / 2   // tiles whose two columns are both inside
        for ty in 0..<th {
            for i in 0..<2 {
                let (left, right) = (out + (2 * i) * stride + ty * tw, out + (2 * i + 1) * stride + ty * tw)
                guard 2 * ty + i < oh else {
                    left.update(repeating: 0, count: tw)
                    right.update(repeating: 0, count: tw)
                    continue
                }
                let row = gy + (2 * ty + i) * ow
                for tx in 0..<pairs {
                    left[tx] = row[2 * tx]
                    right[tx] = row[2 * tx + 1]
                }
                if pairs < tw {
                    left[pairs] = row[2 * pairs]
                    right[pairs] = 0
                }
            }
        }
    }

    /// Ŷ_ξ[·, t] = (A ∂y_t Aᵀ)_ξ for `tiles` tiles from their 2×2 values in[2i + j][t], the adjoint of
    /// `transformOutput` (A = [1 0; 1 1; 1 −1; 0 −1]); Ŷ_ξ's column t at ŷ + ξ·matrixStride + t (up to `width` − 1
    /// columns past the last written).
    @inline(__always)
    static func transformOutputGradient(_ values: UnsafePointer<T>, stride: Int, tiles: Int,
                                        into yHat: UnsafeMutablePointer<T>, matrixStride: Int) {
        var t = 0
        while t < tiles {
            func load(_ k: Int) -> Vector { UnsafeRawPointer(values + k * stride + t).loadUnaligned(as: Vector.self) }
            let (y00, y01, y10, y11) = (load(0), load(1), load(2), load(3))
            // Row a of (A ∂y) (p, q) times Aᵀ: (p, p + q, p − q, −q).
            func row(_ a: Int, _ p: Vector, _ q: Vector) {
                store(p, yHat + (4 * a) * matrixStride + t)
                store(p + q, yHat + (4 * a + 1) * matrixStride + t)
                store(p - q, yHat + (4 * a + 2) * matrixStride + t)
                store(-q, yHat + (4 * a + 3) * matrixStride + t)
            }
            // A ∂y (4 × 2): rows y0·, y0· + y1·, y0· − y1·, −y1·.
            row(0, y00, y01)
            row(1, y00 + y10, y01 + y11)
            row(2, y00 - y10, y01 - y11)
            row(3, -y10, -y11)
            t += width
        }
    }

    /// ∂g_{oi} = Gᵀ ∂U_{·oi} G for ∂U (16, D, C) → ∂w (D, C, 3, 3), the adjoint of `transformWeights`
    /// (Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]).
    static func transformWeightGradient(_ du: UnsafePointer<T>, outputs d: Int, channels c: Int, into gw: UnsafeMutablePointer<T>) {
        let half: T = 0.5
        for o in 0..<d {
            for i in 0..<c {
                // Gᵀ ∂U (3 × 4) column by column, then each of its rows times G.
                var q = SIMD16<T>()   // rows 0..<3 of Gᵀ ∂U, 4 apart
                for s in 0..<4 {
                    let (u0, u1, u2, u3) = (du[(s * d + o) * c + i], du[((4 + s) * d + o) * c + i],
                                            du[((8 + s) * d + o) * c + i], du[((12 + s) * d + o) * c + i])
                    q[s] = u0 + half * (u1 + u2)
                    q[4 + s] = half * (u1 - u2)
                    q[8 + s] = half * (u1 + u2) + u3
                }
                let k = gw + (o * c + i) * 9
                for r in 0..<3 {
                    let (p0, p1, p2, p3) = (q[4 * r], q[4 * r + 1], q[4 * r + 2], q[4 * r + 3])
                    k[3 * r] = p0 + half * (p1 + p2)
                    k[3 * r + 1] = half * (p1 - p2)
                    k[3 * r + 2] = half * (p1 + p2) + p3
                }
            }
        }
    }

    @inline(__always)
    static func store(_ value: Vector, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: Vector.self)
    }
}


/// Element types with a matrix-multiply kernel (`MatrixMultiply.gemm`), so product kernels can be generic.
protocol GemmScalar: TensorScalar {
    /// The packed built-in kernel alone (for products `MatrixMultiply.exactlySplitKernel` gives `.packed`).
    static func packedGemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                           _ b: UnsafePointer<Self>, _ ldb: Int, _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ accumulate: Bool)
    static func gemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                     _ b: UnsafePointer<Self>, _ ldb: Int, _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ accumulate: Bool)
}

extension GemmScalar {
    /// `gemm` split across the intra-op threads (`IntraOp`) when the product runs on the packed built-in
    /// kernels, whose every element is accumulated in the same order however C is partitioned (so
    /// results do not depend on the thread count); otherwise one `gemm`. The split is over columns of C
    /// when it has at least as many columns as rows (each thread then packs its own columns of op(B)
    /// and all of op(A), the smaller operand), else over rows. With `batch > 1`, C accumulates `batch`
    /// products whose operands advance by `strideA` and `strideB` (C ← Σ_b op(A_b)·op(B_b) (+ C)),
    /// each part running all of them for its block of C in batch order.
    static func gemmSplittingRows(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                                  _ b: UnsafePointer<Self>, _ ldb: Int, _ c: UnsafeMutablePointer<Self>, _ ldc: Int,
                                  _ accumulate: Bool, batch: Int = 1, strideA: Int = 0, strideB: Int = 0) {
        let byColumns = n >= m
        // Column blocks of 32 (a whole panel of every kernel), row blocks of 6 (a sliver).
        let unit = byColumns ? 32 : 6
        let blocks = ((byColumns ? n : m) + unit - 1) / unit
        var parts = IntraOp.parts(items: blocks, work: batch * m * n * k)
        let kernel = MatrixMultiply.exactlySplitKernel(transposeA: tA, transposeB: tB, m: m, n: n, k: k)
        if kernel == nil { parts = 1 }
        if parts == 1 {
            for i in 0..<batch {
                gemm(tA, tB, m, n, k, a + i * strideA, lda, b + i * strideB, ldb, c, ldc, accumulate || i > 0)
            }
            return
        }
        // One product call, however many threads run its parts: `packedGemm` bypasses `MatrixMultiply.gemm`,
        // whose region would otherwise count it.
        KernelProfile.time(.products) {
            IntraOp.forEachRange(items: blocks, parts: parts, chunksPerPart: 1) { range in
                let first = range.lowerBound * unit, count = Swift.min(range.upperBound * unit, byColumns ? n : m) - first
                let part = kernel == .tiledDots ? tiledDots : packedGemm
                for i in 0..<batch {
                    if byColumns {
                        part(tA, tB, m, count, k, a + i * strideA, lda, b + i * strideB + (tB ? first * ldb : first), ldb,
                             c + first, ldc, accumulate || i > 0)
                    } else {
                        part(tA, tB, count, n, k, a + i * strideA + (tA ? first : first * lda), lda, b + i * strideB, ldb,
                             c + first * ldc, ldc, accumulate || i > 0)
                    }
                }
            }
        }
    }
}

extension GemmScalar where Self: SIMDScalar {
    /// `TiledDots` alone (for products `MatrixMultiply.exactlySplitKernel` gives `.tiledDots`: A as stored, B transposed).
    static func tiledDots(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Self>, _ lda: Int,
                          _ b: UnsafePointer<Self>, _ ldb: Int, _ c: UnsafeMutablePointer<Self>, _ ldc: Int, _ accumulate: Bool) {
        precondition(TiledDots.applies(transposeA: transposeA, transposeB: transposeB, n: n, k: k), "tiledDots: not a TiledDots product")
        TiledDots.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    }
}

extension Float: GemmScalar {
    static func packedGemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                           _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        GemmKernelSelection.float(m: m, n: n).gemm(m: m, n: n, k: k, a: StridedMatrix(a, ld: lda, transposed: tA),
                                       b: StridedMatrix(b, ld: ldb, transposed: tB), c: c, ldc: ldc, accumulate: accumulate)
    }

    static func gemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
                     _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        MatrixMultiply.gemm(transposeA: tA, transposeB: tB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    }
}

extension Double: GemmScalar {
    static func packedGemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                           _ b: UnsafePointer<Double>, _ ldb: Int, _ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool) {
        GemmKernelSelection.double.gemm(m: m, n: n, k: k, a: StridedMatrix(a, ld: lda, transposed: tA),
                                        b: StridedMatrix(b, ld: ldb, transposed: tB), c: c, ldc: ldc, accumulate: accumulate)
    }

    static func gemm(_ tA: Bool, _ tB: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, _ lda: Int,
                     _ b: UnsafePointer<Double>, _ ldb: Int, _ c: UnsafeMutablePointer<Double>, _ ldc: Int, _ accumulate: Bool) {
        MatrixMultiply.gemm(transposeA: tA, transposeB: tB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
    }
}

/// A product's output storage of `count` elements, filled by the kernel for the operands' element type
/// (zeros when there is nothing to multiply).
@inline(__always)
func productStorage(_ a: Tensor, _ b: Tensor, count: Int, empty: Bool, op: String,
                    _ f32: ([Float], [Float], UnsafeMutableBufferPointer<Float>) -> Void,
                    _ f64: ([Double], [Double], UnsafeMutableBufferPointer<Double>) -> Void) -> Storage {
    if empty { return .zeros(a.dtype, count: count) }
    switch (a.storage, b.storage) {
    case (.float32(let x), .float32(let y)):
        return .float32(KernelProfile.uninitializedArray(of: Float.self, count: count) { out, c in f32(x, y, out); c = count })
    case (.float64(let x), .float64(let y)):
        return .float64(KernelProfile.uninitializedArray(of: Double.self, count: count) { out, c in f64(x, y, out); c = count })
    default:
        preconditionFailure("\(TensorError.dtypeMismatch(op: op, lhs: a.dtype, rhs: b.dtype))")
    }
}

/// Matrix products, plain and batched, with optional transposition of either operand.
extension Tensor {
    /// The shapes of a product: batch dimensions and m, n, k. Throws a `TensorError` naming both shapes.
    public static func matmulShape(_ a: [Int], _ b: [Int], transposeA: Bool = false, transposeB: Bool = false)
        throws -> (batch: [Int], m: Int, n: Int, k: Int) {
        guard a.count >= 2, b.count >= 2 else {
            throw TensorError.shapeMismatch(op: "matmul", lhs: a, rhs: b, detail: "both operands need rank ≥ 2")
        }
        let (m, ka) = transposeA ? (a[a.count - 1], a[a.count - 2]) : (a[a.count - 2], a[a.count - 1])
        let (kb, n) = transposeB ? (b[b.count - 1], b[b.count - 2]) : (b[b.count - 2], b[b.count - 1])
        guard ka == kb else {
            throw TensorError.shapeMismatch(op: "matmul", lhs: a, rhs: b,
                detail: "inner dimensions \(ka) and \(kb) differ\(transposeA || transposeB ? " (after transposition)" : "")")
        }
        let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
        guard batchA == batchB || batchA.isEmpty || batchB.isEmpty else {
            throw TensorError.shapeMismatch(op: "matmul", lhs: a, rhs: b,
                detail: "batch dimensions \(batchA) and \(batchB) must be equal, or one operand a matrix")
        }
        return (batchA.isEmpty ? batchB : batchA, m, n, ka)
    }

    /// `op(a) · op(b)` where op transposes the last two axes when asked.
    ///
    /// Shapes: a (…, m, k) [or (…, k, m) transposed], b (…, k, n) [or (…, n, k)] → (…, m, n). Batch
    /// dimensions must be equal, or one operand is a plain matrix used for every batch element.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let (batch, m, n, k) = mustSucceed { try matmulShape(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB) }
        guard a.dtype == b.dtype else { preconditionFailure("\(TensorError.dtypeMismatch(op: "matmul", lhs: a.dtype, rhs: b.dtype))") }
        let batchCount = product(batch)
        let outShape = batch + [m, n]
        let aBatched = a.rank > 2, bBatched = b.rank > 2
        let lda = transposeA ? m : k, ldb = transposeB ? k : n

        func run<T: GemmScalar>(_ x: [T], _ y: [T], _ out: UnsafeMutableBufferPointer<T>) {
            x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                if aBatched && !bBatched && !transposeA {
                    // All batch elements of a share b: one product with batch·m rows.
                    T.gemmSplittingRows(false, transposeB, batchCount * m, n, k, x.baseAddress!, lda, y.baseAddress!, ldb, out.baseAddress!, n, false)
                    return
                }
                if batchCount == 1 {
                    T.gemmSplittingRows(transposeA, transposeB, m, n, k, x.baseAddress!, lda, y.baseAddress!, ldb, out.baseAddress!, n, false)
                    return
                }
                // Batch elements are independent products: split them across the intra-op threads.
                let parts = IntraOp.parts(items: batchCount, work: batchCount * m * n * k)
                IntraOp.forEachRange(items: batchCount, parts: parts) { range in
                    for i in range {
                        T.gemm(transposeA, transposeB, m, n, k,
                               x.baseAddress! + (aBatched ? i * m * k : 0), lda,
                               y.baseAddress! + (bBatched ? i * k * n : 0), ldb,
                               out.baseAddress! + i * m * n, n, false)
                    }
                }
            } }
        }
        let count = batchCount * m * n
        let storage = productStorage(a, b, count: count, empty: count == 0 || k == 0, op: "matmul", run, run)
        return record("matmul", shape: outShape, storage: storage, inputs: [a, b]) { g, node in
            let (a, b) = (node.inputs[0], node.inputs[1])
            // Each gradient is a product M(x, y) of (g, a, b) with transpositions; where its target is a
            // matrix shared by every batch element, the product is summed over the batch in the kernel.
            func gradientProduct(_ x: Tensor, _ y: Tensor, _ tx: Bool, _ ty: Bool, target: Tensor) -> Tensor {
                target.rank == 2 && x.rank > 2 && y.rank > 2
                    ? matmulSummedOverBatch(x, y, transposeA: tx, transposeB: ty)
                    : matmul(x, y, transposeA: tx, transposeB: ty)
            }
            let (needA, needB) = (node.needsGradient(0), node.needsGradient(1))
            switch (transposeA, transposeB) {
            case (false, false):
                return [needA ? gradientProduct(g, b, false, true, target: a) : nil,
                        needB ? gradientProduct(a, g, true, false, target: b) : nil]
            case (false, true):
                return [needA ? gradientProduct(g, b, false, false, target: a) : nil,
                        needB ? gradientProduct(g, a, true, false, target: b) : nil]
            case (true, false):
                return [needA ? gradientProduct(b, g, false, true, target: a) : nil,
                        needB ? gradientProduct(a, g, false, false, target: b) : nil]
            case (true, true):
                return [needA ? gradientProduct(b, g, true, true, target: a) : nil,
                        needB ? gradientProduct(g, a, true, true, target: b) : nil]
            }
        }
    }

    /// Σ_b op(a_b) · op(b_b) over the shared batch dimensions: a (…, m, k) and b (…, k, n) [before
    /// transposition] → (m, n). The gradient of a matrix that multiplied every element of a batch.
    public static func matmulSummedOverBatch(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let (batch, m, n, k) = mustSucceed { try matmulShape(a.shape, b.shape, transposeA: transposeA, transposeB: transposeB) }
        precondition(a.rank > 2 && a.shape.dropLast(2) == b.shape.dropLast(2),
                     "matmulSummedOverBatch: both operands need the same batch dimensions, got \(a.shape) and \(b.shape)")
        let batchCount = product(batch)
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        func run<T: GemmScalar>(_ x: [T], _ y: [T], _ out: UnsafeMutableBufferPointer<T>) {
            x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                if transposeA && !transposeB {
                    // Σ_b a_bᵀ b_b contracts the rows of both: one product with batch·k rows.
                    T.gemmSplittingRows(true, false, m, n, batchCount * k, x.baseAddress!, lda, y.baseAddress!, ldb, out.baseAddress!, n, false)
                    return
                }
                T.gemmSplittingRows(transposeA, transposeB, m, n, k, x.baseAddress!, lda, y.baseAddress!, ldb, out.baseAddress!, n, false,
                                    batch: batchCount, strideA: m * k, strideB: k * n)
            } }
        }
        let count = m * n
        let storage = productStorage(a, b, count: count, empty: count == 0 || k == 0 || batchCount == 0,
                                     op: "matmulSummedOverBatch", run, run)
        // Backward: each batch element's product, with the matrix gradient g broadcast over the batch.
        return record("matmulSummedOverBatch", shape: [m, n], storage: storage, inputs: [a, b]) { g, node in
            let (a, b) = (node.inputs[0], node.inputs[1])
            let (needA, needB) = (node.needsGradient(0), node.needsGradient(1))
            switch (transposeA, transposeB) {
            case (false, false):
                return [needA ? matmul(g, b, transposeB: true) : nil, needB ? matmul(a, g, transposeA: true) : nil]
            case (false, true):
                return [needA ? matmul(g, b) : nil, needB ? matmul(g, a, transposeA: true) : nil]
            case (true, false):
                return [needA ? matmul(b, g, transposeB: true) : nil, needB ? matmul(a, g) : nil]
            case (true, true):
                return [needA ? matmul(b, g, transposeA: true, transposeB: true) : nil,
                        needB ? matmul(g, a, transposeA: true, transposeB: true) : nil]
            }
        }
    }

    /// `self · other` (see `matmul`).
    public func matmul(_ other: Tensor) -> Tensor { Tensor.matmul(self, other) }

    /// Contracts `axis` of this tensor with the columns of `matrix`:
    /// `out[…, i, …] = Σⱼ matrix[i, j] · self[…, j, …]` — `einsum("ij,ajb->aib")`, the product a
    /// Kronecker-factored symmetry matrix applies to one factor of a filter bank.
    ///
    /// Shapes: matrix (p, q), self (…, q at `axis`, …) → (…, p at `axis`, …).
    public func contracted(axis: Int, with matrix: Tensor) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: rank, op: "contracted") }
        guard matrix.rank == 2, matrix.shape[1] == shape[a] else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "contracted(axis: \(a))", lhs: matrix.shape, rhs: shape, detail: "the matrix must be (p, \(shape[a])) to contract axis \(a)"))")
        }
        let outer = Array(shape[..<a]), inner = Array(shape[(a + 1)...])
        let p = matrix.shape[0], q = shape[a]
        let o = product(outer), i = product(inner)
        if o == 1 {
            // (p, q) · (q, inner)
            return Tensor.matmul(matrix, reshaped([q, i])).reshaped(outer + [p] + inner)
        }
        if i == 1 {
            // (outer, q) · (p, q)ᵀ
            return Tensor.matmul(reshaped([o, q]), matrix, transposeB: true).reshaped(outer + [p] + inner)
        }
        // Batched: for each outer index, (p, q) · (q, inner).
        return Tensor.matmul(matrix, reshaped([o, q, i])).reshaped(outer + [p] + inner)
    }
}

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

        func run<T: TensorScalar>(_ x: [T], _ y: [T], _ out: UnsafeMutableBufferPointer<T>,
                                  gemm: (Bool, Bool, Int, Int, Int, UnsafePointer<T>, Int, UnsafePointer<T>, Int, UnsafeMutablePointer<T>, Int, Bool) -> Void) {
            x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                if aBatched && !bBatched && !transposeA {
                    // All batch elements of a share b: one product with batch·m rows.
                    gemm(false, transposeB, batchCount * m, n, k, x.baseAddress!, lda, y.baseAddress!, ldb, out.baseAddress!, n, false)
                    return
                }
                for i in 0..<batchCount {
                    gemm(transposeA, transposeB, m, n, k,
                         x.baseAddress! + (aBatched ? i * m * k : 0), lda,
                         y.baseAddress! + (bBatched ? i * k * n : 0), ldb,
                         out.baseAddress! + i * m * n, n, false)
                }
            } }
        }
        let count = batchCount * m * n
        let storage: Storage
        if count == 0 {
            storage = .zeros(a.dtype, count: 0)
        } else if k == 0 {
            storage = .zeros(a.dtype, count: count)
        } else {
            switch (a.storage, b.storage) {
            case (.float32(let x), .float32(let y)):
                storage = .float32([Float](unsafeUninitializedCapacity: count) { out, c in
                    run(x, y, out) { MatrixMultiply.gemm(transposeA: $0, transposeB: $1, m: $2, n: $3, k: $4, a: $5, lda: $6, b: $7, ldb: $8, c: $9, ldc: $10, accumulate: $11) }
                    c = count
                })
            case (.float64(let x), .float64(let y)):
                storage = .float64([Double](unsafeUninitializedCapacity: count) { out, c in
                    run(x, y, out) { MatrixMultiply.gemm(transposeA: $0, transposeB: $1, m: $2, n: $3, k: $4, a: $5, lda: $6, b: $7, ldb: $8, c: $9, ldc: $10, accumulate: $11) }
                    c = count
                })
            default: preconditionFailure("unreachable")
            }
        }
        return record("matmul", shape: outShape, storage: storage, inputs: [a, b]) { g, node in
            let (a, b) = (node.inputs[0], node.inputs[1])
            let ga: Tensor, gb: Tensor
            switch (transposeA, transposeB) {
            case (false, false):
                ga = matmul(g, b, transposeB: true); gb = matmul(a, g, transposeA: true)
            case (false, true):
                ga = matmul(g, b); gb = matmul(g, a, transposeA: true)
            case (true, false):
                ga = matmul(b, g, transposeB: true); gb = matmul(a, g)
            case (true, true):
                ga = matmul(b, g, transposeA: true, transposeB: true); gb = matmul(g, a, transposeA: true, transposeB: true)
            }
            return [ga.sum(toShape: a.shape), gb.sum(toShape: b.shape)]
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

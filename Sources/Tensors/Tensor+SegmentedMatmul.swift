/// Products with a matrix that several segments of rows share, each segment holding its own copy (its own leaf).
extension Tensor {
    /// a · op(b) where the rows of a fall into consecutive segments of `rowsPerSegment[s]` rows and segment s
    /// multiplies its own copy `copies[s]` of one shared matrix. This is how one computation of several groups
    /// of tasks applies a matrix that every task shares (MSR's U) while each group keeps leaves of its own: one
    /// backward pass then gives each group's gradient apart, the same values as the group's own product alone.
    ///
    /// The copies must hold equal values. The forward reads `copies[0]` for every row: one product (op(b)
    /// packed once) where the kernel computes each row the same way for all rows as for each segment's
    /// (`MatrixMultiply.exactlySplitKernel`), else one product per segment. Backward: a's gradient is again a
    /// product of this kind (g · op(b)ᵀ, segment s with copy s), copy s's gradient involves segment s's rows alone
    /// (`segmentProduct`), so second derivatives stay within their segment too. One segment is a plain `matmul`.
    ///
    /// Shapes: a (m, k) with m = Σ rowsPerSegment; every copy (k, n), or (n, k) with `transposeB` → (m, n).
    public static func matmul(_ a: Tensor, segmentsOf copies: [Tensor], rowsPerSegment: [Int], transposeB: Bool = false) -> Tensor {
        precondition(!copies.isEmpty && copies.count == rowsPerSegment.count && rowsPerSegment.allSatisfy { $0 >= 0 },
                     "matmul(segmentsOf:): \(copies.count) copies for \(rowsPerSegment.count) segments \(rowsPerSegment)")
        precondition(a.rank == 2 && a.shape[0] == rowsPerSegment.reduce(0, +),
                     "matmul(segmentsOf:): a \(a.shape) needs rank 2 and \(rowsPerSegment.reduce(0, +)) rows (the segments' sum)")
        checkCopies(copies, op: "matmul(segmentsOf:)")
        if copies.count == 1 { return matmul(a, copies[0], transposeB: transposeB) }
        let (_, m, n, k) = mustSucceed { try matmulShape(a.shape, copies[0].shape, transposeB: transposeB) }
        guard a.dtype == copies[0].dtype else {
            preconditionFailure("\(TensorError.dtypeMismatch(op: "matmul(segmentsOf:)", lhs: a.dtype, rhs: copies[0].dtype))")
        }
        var starts = [0]
        for rows in rowsPerSegment { starts.append(starts[starts.count - 1] + rows) }
        let ranges = rowsPerSegment.indices.map { starts[$0]..<starts[$0 + 1] }
        let ldb = transposeB ? k : n
        // One product for all rows when every row is computed as in its segment's own product.
        let whole = MatrixMultiply.exactlySplitKernel(transposeA: false, transposeB: transposeB, m: m, n: n, k: k)
        let oneProduct = whole != nil && rowsPerSegment.allSatisfy {
            $0 == 0 || MatrixMultiply.exactlySplitKernel(transposeA: false, transposeB: transposeB, m: $0, n: n, k: k) == whole
        }
        func run<T: GemmScalar>(_ x: [T], _ y: [T], _ out: UnsafeMutableBufferPointer<T>) {
            x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in
                if oneProduct {
                    T.gemmSplittingRows(false, transposeB, m, n, k, x.baseAddress!, k, y.baseAddress!, ldb, out.baseAddress!, n, false)
                    return
                }
                for r in ranges where !r.isEmpty {
                    T.gemmSplittingRows(false, transposeB, r.count, n, k, x.baseAddress! + r.lowerBound * k, k, y.baseAddress!, ldb,
                                        out.baseAddress! + r.lowerBound * n, n, false)
                }
            } }
        }
        let storage = productStorage(a, copies[0], count: m * n, empty: m * n == 0 || k == 0, op: "matmul(segmentsOf:)", run, run)
        return record("matmulSegments", shape: [m, n], storage: storage, inputs: [a] + copies) { g, node in
            let a = node.inputs[0], copies = Array(node.inputs.dropFirst())
            // y = a·b: ∂a = g·bᵀ, ∂b_s = a_sᵀ·g_s; y = a·bᵀ: ∂a = g·b, ∂b_s = g_sᵀ·a_s.
            let ga = node.needsGradient(0)
                ? matmul(g, segmentsOf: copies, rowsPerSegment: rowsPerSegment, transposeB: !transposeB) : nil
            return [ga] + ranges.indices.map { s in
                guard node.needsGradient(1 + s) else { return nil }
                return transposeB ? segmentProduct(g, a, rows: ranges[s]) : segmentProduct(a, g, rows: ranges[s])
            }
        }
    }

    /// x[rows]ᵀ · y[rows]: the product of the two matrices' rows `rows` alone, read in place — the same values as
    /// `matmul(x.sliced(axis: 0, rows), y.sliced(axis: 0, rows), transposeA: true)` without the two copies.
    /// Backward: each operand's gradient on `rows`, zeros elsewhere.
    ///
    /// Shapes: x (m, p), y (m, q) → (p, q).
    public static func segmentProduct(_ x: Tensor, _ y: Tensor, rows: Range<Int>) -> Tensor {
        precondition(x.rank == 2 && y.rank == 2 && x.shape[0] == y.shape[0],
                     "segmentProduct: x \(x.shape) and y \(y.shape) need rank 2 and the same number of rows")
        precondition(rows.lowerBound >= 0 && rows.upperBound <= x.shape[0],
                     "segmentProduct: rows \(rows) are outside 0..<\(x.shape[0])")
        guard x.dtype == y.dtype else { preconditionFailure("\(TensorError.dtypeMismatch(op: "segmentProduct", lhs: x.dtype, rhs: y.dtype))") }
        let (m, p, q) = (x.shape[0], x.shape[1], y.shape[1])
        if rows == 0..<m { return matmul(x, y, transposeA: true) }
        func run<T: GemmScalar>(_ a: [T], _ b: [T], _ out: UnsafeMutableBufferPointer<T>) {
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                T.gemmSplittingRows(true, false, p, q, rows.count, a.baseAddress! + rows.lowerBound * p, p,
                                    b.baseAddress! + rows.lowerBound * q, q, out.baseAddress!, q, false)
            } }
        }
        let storage = productStorage(x, y, count: p * q, empty: p * q == 0 || rows.isEmpty, op: "segmentProduct", run, run)
        return record("segmentProduct", shape: [p, q], storage: storage, inputs: [x, y]) { g, node in
            let (x, y) = (node.inputs[0], node.inputs[1])
            // ∂x[r] = y[r]·gᵀ, ∂y[r] = x[r]·g for r in rows.
            func onRows(_ t: Tensor) -> Tensor { t.padded(axis: 0, before: rows.lowerBound, after: m - rows.upperBound) }
            return [node.needsGradient(0) ? onRows(matmul(y.sliced(axis: 0, rows), g, transposeB: true)) : nil,
                    node.needsGradient(1) ? onRows(matmul(x.sliced(axis: 0, rows), g)) : nil]
        }
    }
}

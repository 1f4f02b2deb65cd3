/// Operations that move elements without arithmetic: reshape, permute, expand, slice, pad, concatenate,
/// stack, index-select and its adjoint index-add. Each backward rule is the adjoint movement.
extension Tensor {
    /// The same elements viewed with another shape (one size may be -1). Shares storage; no copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let target = mustSucceed { try ShapeCheck.reshape(shape, to: newShape) }
        if target == shape { return self }
        let inShape = shape
        return Tensor.record("reshape", shape: target, storage: storage, inputs: [self]) { g, _ in
            [g.reshaped(inShape)]
        }
    }

    /// Flattens dimensions `from...` into one.
    public func flattened(from axis: Int = 0) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: Swift.max(rank, 1), op: "flattened") }
        return reshaped(Array(shape[..<a]) + [-1])
    }

    /// Inserts a dimension of size 1 at `axis` (0...rank).
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: rank + 1, op: "unsqueezed") }
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// Dimensions reordered: result dimension i is this tensor's dimension `permutation[i]`.
    public func permuted(_ permutation: [Int]) -> Tensor {
        guard permutation.sorted() == Array(0..<rank) else {
            preconditionFailure("\(TensorError.invalidArgument(op: "permuted", detail: "\(permutation) is not a permutation of the axes of shape \(shape)"))")
        }
        if permutation == Array(0..<rank) { return self }
        let inStrides = contiguousStrides(shape)
        let outShape = permutation.map { shape[$0] }
        let strides = permutation.map { inStrides[$0] }
        let inverse = Self.inverse(of: permutation)
        let storage = self.storage.transform(count: count,
            { stridedGather($0, offset: 0, strides: strides, shape: outShape, into: $1) },
            { stridedGather($0, offset: 0, strides: strides, shape: outShape, into: $1) })
        return Tensor.record("permute", shape: outShape, storage: storage, inputs: [self]) { g, _ in
            [g.permuted(inverse)]
        }
    }

    /// `permuted(permutation)` of each of `copies` — tensors holding equal values, such as the copies of a shared
    /// parameter that segments of a task-batched computation hold (`TaskSegments`) — computed once: every result
    /// shares the first's values while its gradient flows back to its own copy.
    public static func permuted(copies: [Tensor], _ permutation: [Int]) -> [Tensor] {
        guard let first = copies.first?.permuted(permutation) else { return [] }
        checkCopies(copies, op: "permuted(copies:)")
        if permutation == Array(0..<first.rank) { return copies }
        let inverse = Self.inverse(of: permutation)
        return [first] + copies.dropFirst().map { c in
            record("permute", shape: first.shape, storage: first.storage, inputs: [c]) { g, _ in [g.permuted(inverse)] }
        }
    }

    /// The permutation that undoes `permutation` (the backward rule of a permute).
    static func inverse(of permutation: [Int]) -> [Int] {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        return inverse
    }

    /// Stops unless every tensor of `copies` has the first's shape and type (copies of one shared tensor).
    static func checkCopies(_ copies: [Tensor], op: String) {
        for c in copies where c.shape != copies[0].shape || c.dtype != copies[0].dtype {
            preconditionFailure("\(TensorError.shapeMismatch(op: op, lhs: copies[0].shape, rhs: c.shape, detail: "every copy must have the same shape and type"))")
        }
    }

    /// Swaps two axes (the last two by default: the matrix transpose).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        let i = mustSucceed { try ShapeCheck.axis(a, rank: rank, op: "transposed") }
        let j = mustSucceed { try ShapeCheck.axis(b, rank: rank, op: "transposed") }
        var p = Array(0..<rank)
        p.swapAt(i, j)
        return permuted(p)
    }

    /// Broadcasts to `target` (NumPy rules). Backward: the gradient summed back to this shape.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        let b = mustSucceed { try ShapeCheck.broadcast(shape, target, op: "expanded(to:)") }
        guard b == target else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "expanded(to:)", lhs: shape, rhs: target, detail: "the target must be a broadcast of the shape"))")
        }
        let lead = target.count - rank
        let own = contiguousStrides(shape)
        var strides = [Int](repeating: 0, count: target.count)
        for i in 0..<rank where shape[i] != 1 { strides[lead + i] = own[i] }
        let inShape = shape
        let storage = self.storage.transform(count: product(target),
            { stridedGather($0, offset: 0, strides: strides, shape: target, into: $1) },
            { stridedGather($0, offset: 0, strides: strides, shape: target, into: $1) })
        return Tensor.record("expand", shape: target, storage: storage, inputs: [self]) { g, _ in
            [g.sum(toShape: inShape)]
        }
    }

    /// The elements with index in `range` along `axis`. Backward: the gradient padded with zeros.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: rank, op: "sliced") }
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            preconditionFailure("\(TensorError.invalidArgument(op: "sliced", detail: "range \(range) is outside 0..<\(shape[a]) of axis \(a) of shape \(shape)"))")
        }
        if range.count == shape[a] { return self }
        var outShape = shape
        outShape[a] = range.count
        let strides = contiguousStrides(shape)
        let offset = range.lowerBound * strides[a]
        let n = shape[a]
        let storage = self.storage.transform(count: product(outShape),
            { stridedGather($0, offset: offset, strides: strides, shape: outShape, into: $1) },
            { stridedGather($0, offset: offset, strides: strides, shape: outShape, into: $1) })
        return Tensor.record("slice", shape: outShape, storage: storage, inputs: [self]) { g, _ in
            [g.padded(axis: a, before: range.lowerBound, after: n - range.upperBound)]
        }
    }

    /// Zeros added before and after along `axis`. Backward: the gradient sliced back.
    public func padded(axis: Int, before: Int, after: Int) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: rank, op: "padded") }
        precondition(before >= 0 && after >= 0, "padded: padding must be ≥ 0, got \(before), \(after)")
        if before == 0 && after == 0 { return self }
        var outShape = shape
        outShape[a] += before + after
        let strides = contiguousStrides(outShape)
        let offset = before * strides[a]
        let inShape = shape
        let storage = self.storage.transformIntoZeros(count: product(outShape),
            { stridedScatter($0, into: $1, offset: offset, strides: strides, shape: inShape, accumulate: false) },
            { stridedScatter($0, into: $1, offset: offset, strides: strides, shape: inShape, accumulate: false) })
        let n = shape[a]
        return Tensor.record("pad", shape: outShape, storage: storage, inputs: [self]) { g, _ in
            [g.sliced(axis: a, before..<(before + n))]
        }
    }

    /// Joins tensors along an existing axis. Backward: the gradient sliced into the pieces.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: needs at least one tensor")
        let shapes = tensors.map(\.shape), dtypes = tensors.map(\.dtype)
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: shapes[0].count, op: "concatenate") }
        mustSucceed { try ShapeCheck.concatenate(shapes, axis: a) }
        if let other = dtypes.first(where: { $0 != dtypes[0] }) {
            preconditionFailure("\(TensorError.dtypeMismatch(op: "concatenate", lhs: dtypes[0], rhs: other))")
        }
        if tensors.count == 1 { return tensors[0] }
        let sizes = shapes.map { $0[a] }
        var outShape = shapes[0]
        outShape[a] = sizes.reduce(0, +)
        let outer = product(outShape[..<a])
        let inner = product(outShape[(a + 1)...])
        let storage = concatenateStorage(tensors.map(\.storage), dtype: dtypes[0], count: product(outShape),
                                         sizes: sizes, outer: outer, inner: inner)
        var starts = [0]
        for n in sizes { starts.append(starts[starts.count - 1] + n) }
        let ranges = (0..<sizes.count).map { starts[$0]..<starts[$0 + 1] }
        return record("concatenate", shape: outShape, storage: storage, inputs: tensors) { g, node in
            ranges.indices.map { node.needsGradient($0) ? g.sliced(axis: a, ranges[$0]) : nil }
        }
    }

    /// Joins tensors of equal shape along a new axis: one copy of every input into its place (a group's episodes:
    /// no unsqueezed tensor per input and no concatenation's bookkeeping, a third of rank1's stacking time). Backward:
    /// input i's gradient is slice i of g along the new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: needs at least one tensor")
        for t in tensors where t.shape != tensors[0].shape {
            preconditionFailure("\(TensorError.shapeMismatch(op: "stack", lhs: tensors[0].shape, rhs: t.shape, detail: "all tensors must have the same shape"))")
        }
        if let other = tensors.first(where: { $0.dtype != tensors[0].dtype }) {
            preconditionFailure("\(TensorError.dtypeMismatch(op: "stack", lhs: tensors[0].dtype, rhs: other.dtype))")
        }
        let shape = tensors[0].shape, dtype = tensors[0].dtype
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: shape.count + 1, op: "stack") }
        let outer = product(shape[..<a]), inner = product(shape[a...])
        var outShape = shape
        outShape.insert(tensors.count, at: a)
        let storage = outer * inner == 0 ? Tensor.zeros(outShape, dtype: dtype).storage
            : concatenateStorage(tensors.map(\.storage), dtype: dtype, count: tensors.count * outer * inner,
                                 sizes: Array(repeating: 1, count: tensors.count), outer: outer, inner: inner)
        return record("stack", shape: outShape, storage: storage, inputs: tensors) { g, node in
            (0..<node.inputs.count).map { i in node.needsGradient(i) ? g.sliced(axis: a, i..<(i + 1)).reshaped(shape) : nil }
        }
    }

    /// The slices at `indices` along `axis` (indices may repeat). Backward: `indexAdd`.
    public func indexSelect(axis: Int, _ indices: [Int]) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: rank, op: "indexSelect") }
        let n = shape[a]
        for i in indices where i < 0 || i >= n {
            preconditionFailure("\(TensorError.invalidArgument(op: "indexSelect", detail: "index \(i) is outside 0..<\(n) of axis \(a) of shape \(shape)"))")
        }
        var outShape = shape
        outShape[a] = indices.count
        let outer = product(shape[..<a]), inner = product(shape[(a + 1)...])
        // Rows by `copyRun`: an episode's rows are short (rank5: 70 and 68 elements), where a `memmove` call per row
        // cost more than the copy.
        func run<T: SIMDScalar>(_ x: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            for o in 0..<outer {
                for (j, i) in indices.enumerated() {
                    copyRun(x.baseAddress! + (o * n + i) * inner, to: out.baseAddress! + (o * indices.count + j) * inner, count: inner)
                }
            }
        }
        let storage = self.storage.transform(count: product(outShape), run, run)
        return Tensor.record("indexSelect", shape: outShape, storage: storage, inputs: [self]) { g, _ in
            [g.indexAdd(axis: a, indices, size: n)]
        }
    }

    /// The adjoint of `indexSelect`: a tensor with `size` slices along `axis`, where slice `indices[j]`
    /// receives the sum of this tensor's slices j. Backward: `indexSelect`.
    public func indexAdd(axis: Int, _ indices: [Int], size: Int) -> Tensor {
        let a = mustSucceed { try ShapeCheck.axis(axis, rank: rank, op: "indexAdd") }
        precondition(shape[a] == indices.count, "indexAdd: axis \(a) of shape \(shape) must have one slice per index (\(indices.count))")
        for i in indices where i < 0 || i >= size {
            preconditionFailure("\(TensorError.invalidArgument(op: "indexAdd", detail: "index \(i) is outside 0..<\(size)"))")
        }
        var outShape = shape
        outShape[a] = size
        let outer = product(shape[..<a]), inner = product(shape[(a + 1)...])
        func run<T: FloatingPoint>(_ x: UnsafeBufferPointer<T>, _ out: UnsafeMutableBufferPointer<T>) {
            for o in 0..<outer {
                for (j, i) in indices.enumerated() {
                    let src = (o * indices.count + j) * inner, dst = (o * size + i) * inner
                    for e in 0..<inner { out[dst + e] += x[src + e] }
                }
            }
        }
        let storage = self.storage.transformIntoZeros(count: product(outShape), run, run)
        return Tensor.record("indexAdd", shape: outShape, storage: storage, inputs: [self]) { g, _ in
            [g.indexSelect(axis: a, indices)]
        }
    }
}

func concatenateStorage(_ parts: [Storage], dtype: DType, count: Int, sizes: [Int], outer: Int, inner: Int) -> Storage {
    switch dtype {
    case .float32:
        let xs = parts.map { Float.scalars($0) }
        return .float32(KernelProfile.uninitializedArray(of: Float.self, count: count) { out, c in
            concatenateKernel(xs, sizes: sizes, outer: outer, inner: inner, into: out); c = count
        })
    case .float64:
        let xs = parts.map { Double.scalars($0) }
        return .float64(KernelProfile.uninitializedArray(of: Double.self, count: count) { out, c in
            concatenateKernel(xs, sizes: sizes, outer: outer, inner: inner, into: out); c = count
        })
    }
}

/// Copies each part (outer, sizes[i]·inner) into its columns of the (outer, Σsizes·inner) output.
func concatenateKernel<T>(_ parts: [[T]], sizes: [Int], outer: Int, inner: Int, into out: UnsafeMutableBufferPointer<T>) {
    let total = sizes.reduce(0, +) * inner
    var column = 0
    for (x, n) in zip(parts, sizes) {
        let block = n * inner
        x.withUnsafeBufferPointer { x in
            for o in 0..<outer {
                (out.baseAddress! + o * total + column).update(from: x.baseAddress! + o * block, count: block)
            }
        }
        column += block
    }
}

/// Reductions over axes: sum, mean, max; and the broadcast-undoing `sum(toShape:)`.
extension Tensor {
    /// Sorted, de-duplicated, normalised axes (all axes when `axes` is nil).
    func reductionAxes(_ axes: [Int]?, op: String) -> [Int] {
        guard let axes else { return Array(0..<rank) }
        return Array(Set(axes.map { a in mustSucceed { try ShapeCheck.axis(a, rank: rank, op: op) } })).sorted()
    }

    /// The shape after reducing `axes` (kept as size 1 or dropped).
    func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        var out: [Int] = []
        for (i, d) in shape.enumerated() {
            if axes.contains(i) { if keepDims { out.append(1) } } else { out.append(d) }
        }
        return out
    }

    /// Reduces runs of consecutive axes one run at a time (each run is one (outer, n, inner) pass).
    func reduceStorage(_ axes: [Int], isSum: Bool) -> Storage {
        var current = storage
        var currentShape = shape
        var runs: [[Int]] = []
        for a in axes { if let last = runs.last?.last, last == a - 1 { runs[runs.count - 1].append(a) } else { runs.append([a]) } }
        for run in runs.reversed() {
            let outer = product(currentShape[..<run[0]])
            let n = product(run.map { currentShape[$0] })
            let inner = product(currentShape[(run.last! + 1)...])
            let count = outer * inner
            switch current {
            case .float32(let x):
                current = .float32(KernelProfile.uninitializedArray(of: Float.self, count: count) { out, c in
                    x.withUnsafeBufferPointer { reduceMiddleAxis($0, outer: outer, n: n, inner: inner, into: out, isSum: isSum) }
                    c = count
                })
            case .float64(let x):
                current = .float64(KernelProfile.uninitializedArray(of: Double.self, count: count) { out, c in
                    x.withUnsafeBufferPointer { reduceMiddleAxis($0, outer: outer, n: n, inner: inner, into: out, isSum: isSum) }
                    c = count
                })
            }
            for a in run { currentShape[a] = 1 }
        }
        return current
    }

    /// Σ over `axes` (all when nil).  Backward: the gradient expanded back over the summed axes.
    public func sum(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, op: "sum")
        if axes.isEmpty { return self }
        let outShape = reducedShape(axes, keepDims: keepDims)
        let keptShape = reducedShape(axes, keepDims: true)
        let inShape = shape
        return Tensor.record("sum", shape: outShape, storage: reduceStorage(axes, isSum: true), inputs: [self]) { g, _ in
            [g.reshaped(keptShape).expanded(to: inShape)]
        }
    }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    /// Arithmetic mean over `axes` (all when nil).
    public func mean(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, op: "mean")
        let n = axes.reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) / Double(n)
    }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    /// Maximum over `axes` (all when nil). Backward: the gradient goes to the maximal elements, shared
    /// equally among ties (as PyTorch's `amax`).
    public func max(axes: [Int]? = nil, keepDims: Bool = false) -> Tensor {
        let axes = reductionAxes(axes, op: "max")
        if axes.isEmpty { return self }
        precondition(axes.allSatisfy { shape[$0] > 0 }, "max: cannot reduce an empty axis of shape \(shape)")
        let outShape = reducedShape(axes, keepDims: keepDims)
        let keptShape = reducedShape(axes, keepDims: true)
        return Tensor.record("max", shape: outShape, storage: reduceStorage(axes, isSum: false), inputs: [self],
                             saveOutput: true) { g, node in
            let x = node.inputs[0].detached()
            let m = node.output.detached().reshaped(keptShape)
            let mask = Tensor.equalMask(x, m)
            let ties = mask.sum(axes: axes, keepDims: true)
            return [g.reshaped(keptShape) * (mask / ties)]
        }
    }

    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }

    /// 1 where `a == b` (broadcast), else 0: a constant.
    static func equalMask(_ a: Tensor, _ b: Tensor) -> Tensor {
        withoutGradients { binary("equal", a, b, EqualOperation.self) { _, _ in [nil, nil] } }
    }

    /// Sums this tensor down to `target`, a shape it was broadcast from (the gradient of broadcasting).
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "sum(toShape:): cannot reduce \(shape) to the larger rank of \(target)")
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        return sum(axes: axes, keepDims: true).reshaped(target)
    }
}

extension Tensor {
    /// True when no element is NaN or ±∞ (read without conversion; not differentiable).
    public var isFinite: Bool {
        switch storage {
        case .float32(let a): return Self.allFinite(a)
        case .float64(let a): return Self.allFinite(a)
        }
    }

    /// Whether every element is finite, sixteen lanes at a time: x − x is 0 for a finite x and NaN for ±∞ and NaN,
    /// and a NaN stays in its lane's running sum (the trainer checks every meta-gradient and parameter each step).
    static func allFinite<T: TensorScalar>(_ a: [T]) -> Bool {
        a.withUnsafeBufferPointer { p in
            let n = p.count
            var lanes = SIMD16<T>()
            var i = 0
            if let base = p.baseAddress {
                while i + 16 <= n {
                    let x = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<T>.self)
                    lanes += x - x
                    i += 16
                }
            }
            while i < n {
                if !p[i].isFinite { return false }
                i += 1
            }
            return lanes == SIMD16<T>()
        }
    }
}

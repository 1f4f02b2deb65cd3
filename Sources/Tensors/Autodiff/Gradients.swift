/// Reverse-mode differentiation: the gradient of the scalar `loss` with respect to each of `targets`.
///
/// Like PyTorch's `torch.autograd.grad(loss, targets, create_graph:, allow_unused=True)`:
/// - `targets` may be leaves (`requiringGradient()`) or any intermediate tensor of the graph (the fast
///   weights of an inner loop are intermediates).
/// - With `createGraph: true` the backward rules are recorded like any other operation, so the returned
///   gradients are themselves differentiable (MAML's second-order meta-gradient differentiates through
///   them). With `false` they are constants and no graph is built for them.
/// - A target the loss does not depend on gets zeros of its shape.
///
/// The graph is not consumed: gradients can be taken again from the same loss.
public func gradients(of loss: Tensor, wrt targets: [Tensor], createGraph: Bool = false) -> [Tensor] {
    precondition(loss.count == 1, "gradients(of:wrt:): the loss must have one element, found shape \(loss.shape)")
    let zeros = { (t: Tensor) in Tensor.zeros(t.shape, dtype: t.dtype) }
    guard let root = loss.node, targets.contains(where: { $0.node != nil }) else { return targets.map(zeros) }

    // 1. Post-order over the graph (inputs before the node), iteratively. Nodes are numbered in that
    //    order; `edges[edgeStart[j]..<edgeStart[j + 1]]` holds the numbers of node j's inputs (-1: a
    //    constant input). The graph is kept alive by `loss` for the whole call, so the traversal holds
    //    its nodes unretained; the node → number map is only touched while numbering.
    typealias NodeRef = Unmanaged<GraphNode>
    var numbers = NodeNumbers(expectedCount: 64)
    defer { numbers.deallocate() }
    var order: [NodeRef] = []
    var edges: [Int32] = []
    var edgeStart: [Int32] = [0]
    // The DFS stack; each entry's input nodes are read once, into `pending[first..<end]`.
    var stack: [(node: NodeRef, first: Int, next: Int)] = []
    var pending: [NodeRef?] = []
    func push(_ node: GraphNode) {
        let first = pending.count
        for input in node.inputs { pending.append(input.node.map { NodeRef.passUnretained($0) }) }
        stack.append((NodeRef.passUnretained(node), first, first))
    }
    numbers.insert(NodeRef.passUnretained(root), -2)
    push(root)
    while !stack.isEmpty {
        let top = stack.count - 1
        let next = stack[top].next
        if next < pending.count {
            stack[top].next = next + 1
            if let child = pending[next], numbers.find(child) == nil {
                numbers.insert(child, -2)   // discovered; numbered when finished
                push(child.takeUnretainedValue())
            }
        } else {
            let (node, first, _) = stack.removeLast()
            for e in first..<pending.count { edges.append(pending[e].map { numbers.find($0)! } ?? -1) }
            pending.removeSubrange(first...)
            edgeStart.append(Int32(edges.count))
            numbers.update(node, Int32(order.count))
            order.append(node)
        }
    }

    // 2. A node is `needed` when it is a target or some target lies below it.
    let count = order.count
    var isTarget = [Bool](repeating: false, count: count)
    var targetNumbers = [Int](repeating: -1, count: targets.count)
    for (t, target) in targets.enumerated() {
        if let n = target.node, let j = numbers.find(NodeRef.passUnretained(n)) {
            isTarget[Int(j)] = true
            targetNumbers[t] = Int(j)
        }
    }
    var needed = isTarget
    for j in 0..<count where !needed[j] {
        for e in Int(edgeStart[j])..<Int(edgeStart[j + 1]) where edges[e] >= 0 && needed[Int(edges[e])] {
            needed[j] = true
            break
        }
    }

    // 3. Reverse sweep from the loss, summing each node's output gradient before using it.
    var gradient = [Tensor?](repeating: nil, count: count)
    gradient[count - 1] = Tensor.ones(loss.shape, dtype: loss.dtype)
    let savedMode = GradientMode.enter(recording: createGraph)
    defer { GradientMode.restore(savedMode) }
    for j in stride(from: count - 1, through: 0, by: -1) where needed[j] {
        let node = order[j].takeUnretainedValue()
        guard let rule = node.rule else { continue }
        // Take the output gradient out of the table (freeing it early) unless it is a result.
        var taken: Tensor? = nil
        if isTarget[j] { taken = gradient[j] } else { swap(&taken, &gradient[j]) }
        guard let g = taken else { continue }
        let first = Int(edgeStart[j]), last = Int(edgeStart[j + 1])
        var mask: UInt = 0
        for e in first..<last where edges[e] >= 0 && needed[Int(edges[e])] {
            let i = e - first
            mask |= i < 63 ? (1 as UInt) << UInt(i) : (1 as UInt) << 63
        }
        NeededInputs.current = mask
        let inputGradients = rule(g, node)
        NeededInputs.current = NeededInputs.all
        precondition(inputGradients.count == last - first, "\(node.op): rule returned \(inputGradients.count) gradients for \(last - first) inputs")
        for i in 0..<inputGradients.count {
            let c = Int(edges[first + i])
            guard c >= 0, needed[c], let ig = inputGradients[i] else { continue }
            precondition(ig.shape == order[c].takeUnretainedValue().outputShape, "\(node.op): gradient of shape \(ig.shape) for input of shape \(node.inputs[i].shape)")
            var existing: Tensor? = nil
            swap(&existing, &gradient[c])
            if var total = existing {
                existing = nil
                accumulate(&total, ig)
                gradient[c] = total
            } else {
                gradient[c] = ig
            }
        }
    }

    return targets.indices.map { t in
        let j = targetNumbers[t]
        guard j >= 0, let g = gradient[j] else { return zeros(targets[t]) }
        return g
    }
}

/// `total ← total + addend` for gradient accumulation. When neither is part of a graph (nothing is
/// recorded) and `total`'s buffer is not shared, the sum is written into that buffer: no allocation.
/// Otherwise (a shared buffer, or `createGraph`), the ordinary differentiable `+`.
@inline(__always)
private func accumulate(_ total: inout Tensor, _ addend: Tensor) {
    guard total.node == nil, addend.node == nil, total.shape == addend.shape else {
        total = total + addend
        return
    }
    let shape = total.shape
    var storage = total.storage
    total = Tensor(shape: [], storage: .float32([]))   // drop this reference to the buffer
    switch storage {
    case .float32(var a):
        guard case .float32(let b) = addend.storage else { break }
        storage = .float32([])                         // and this one: `a` is now the only holder
        addInPlace(&a, b)
        total = Tensor(shape: shape, storage: .float32(a))
        return
    case .float64(var a):
        guard case .float64(let b) = addend.storage else { break }
        storage = .float64([])
        addInPlace(&a, b)
        total = Tensor(shape: shape, storage: .float64(a))
        return
    }
    total = Tensor(shape: shape, storage: storage) + addend
}

/// `a[i] += b[i]` (copy-on-write: a shared `a` is copied first).
@inline(__always)
private func addInPlace<T: BinaryFloatingPoint>(_ a: inout [T], _ b: [T]) {
    let n = a.count
    a.withUnsafeMutableBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            guard let pa = a.baseAddress, let pb = b.baseAddress else { return }
            for i in 0..<n { pa[i] += pb[i] }
        }
    }
}

/// Open-addressing map from graph nodes (by address) to their numbers in one `gradients` call: a
/// multiplicative hash and linear probing, several times cheaper than `Dictionary<ObjectIdentifier, _>`.
/// The nodes are kept alive by the caller while the map is in use.
struct NodeNumbers {
    private var keys: UnsafeMutablePointer<UInt>
    private var values: UnsafeMutablePointer<Int32>
    private var shift: UInt
    private var capacity: Int
    private var count = 0

    init(expectedCount: Int) {
        var c = 16
        while c < 2 * expectedCount { c *= 2 }
        capacity = c
        shift = UInt(64 - c.trailingZeroBitCount)
        keys = .allocate(capacity: c)
        keys.initialize(repeating: 0, count: c)
        values = .allocate(capacity: c)
    }

    func deallocate() {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private static func key(_ node: Unmanaged<GraphNode>) -> UInt { UInt(bitPattern: node.toOpaque()) }

    @inline(__always)
    private func slot(_ k: UInt) -> (Int, found: Bool) {
        var s = Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let here = keys[s]
            if here == k { return (s, true) }
            if here == 0 { return (s, false) }
            s = (s + 1) & (capacity - 1)
        }
    }

    @inline(__always)
    func find(_ node: Unmanaged<GraphNode>) -> Int32? {
        let (s, found) = slot(Self.key(node))
        return found ? values[s] : nil
    }

    /// Sets the number of a node already in the map.
    @inline(__always)
    func update(_ node: Unmanaged<GraphNode>, _ value: Int32) {
        values[slot(Self.key(node)).0] = value
    }

    mutating func insert(_ node: Unmanaged<GraphNode>, _ value: Int32) {
        if 2 * (count + 1) > capacity { grow() }
        let k = Self.key(node)
        let (s, found) = slot(k)
        if !found { keys[s] = k; count += 1 }
        values[s] = value
    }

    private mutating func grow() {
        let (oldKeys, oldValues, oldCapacity) = (keys, values, capacity)
        capacity *= 2
        shift -= 1
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        values = .allocate(capacity: capacity)
        for s in 0..<oldCapacity where oldKeys[s] != 0 {
            let (t, _) = slot(oldKeys[s])
            keys[t] = oldKeys[s]
            values[t] = oldValues[s]
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}

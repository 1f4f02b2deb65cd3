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
    guard let root = loss.node else { return targets.map(zeros) }

    var isTarget = Set<ObjectIdentifier>()
    for t in targets { if let n = t.node { isTarget.insert(ObjectIdentifier(n)) } }
    if isTarget.isEmpty { return targets.map(zeros) }

    // 1. Post-order over the graph (inputs before the node), iteratively; a node is `needed` when it is a
    //    target or some target lies below it.
    var order: [GraphNode] = []
    var needed: [ObjectIdentifier: Bool] = [:]
    var stack: [(node: GraphNode, nextInput: Int)] = [(root, 0)]
    needed[ObjectIdentifier(root)] = false
    while !stack.isEmpty {
        let (node, i) = stack[stack.count - 1]
        if i < node.inputs.count {
            stack[stack.count - 1].nextInput = i + 1
            if let child = node.inputs[i].node, needed[ObjectIdentifier(child)] == nil {
                needed[ObjectIdentifier(child)] = false
                stack.append((child, 0))
            }
        } else {
            stack.removeLast()
            let id = ObjectIdentifier(node)
            var n = isTarget.contains(id)
            if !n {
                for input in node.inputs {
                    if let c = input.node, needed[ObjectIdentifier(c)] == true { n = true; break }
                }
            }
            needed[id] = n
            order.append(node)
        }
    }

    // 2. Reverse sweep from the loss, summing each node's output gradient before using it.
    var gradient: [ObjectIdentifier: Tensor] = [:]
    let sweep = {
        gradient[ObjectIdentifier(root)] = Tensor.ones(loss.shape, dtype: loss.dtype)
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard needed[id] == true, let rule = node.rule, let g = gradient[id] else { continue }
            if !isTarget.contains(id) { gradient[id] = nil }  // no longer needed: free it early
            var mask: UInt = 0
            for (i, input) in node.inputs.enumerated() {
                if let c = input.node, needed[ObjectIdentifier(c)] == true {
                    mask |= i < 63 ? (1 as UInt) << UInt(i) : (1 as UInt) << 63
                }
            }
            NeededInputs.current = mask
            let inputGradients = rule(g, node)
            NeededInputs.current = NeededInputs.all
            precondition(inputGradients.count == node.inputs.count, "\(node.op): rule returned \(inputGradients.count) gradients for \(node.inputs.count) inputs")
            for (input, ig) in zip(node.inputs, inputGradients) {
                guard let c = input.node, let ig else { continue }
                let cid = ObjectIdentifier(c)
                guard needed[cid] == true else { continue }
                precondition(ig.shape == input.shape, "\(node.op): gradient of shape \(ig.shape) for input of shape \(input.shape)")
                if let existing = gradient[cid] { gradient[cid] = existing + ig } else { gradient[cid] = ig }
            }
        }
    }
    if createGraph { GradientMode.with(sweep) } else { GradientMode.without(sweep) }

    return targets.map { t in
        guard let n = t.node, let g = gradient[ObjectIdentifier(n)] else { return zeros(t) }
        return g
    }
}

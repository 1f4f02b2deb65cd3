#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A backward rule: given the gradient of the loss with respect to an op's output, return the gradient with
/// respect to each of its inputs (nil where an input gets none). Rules are written with differentiable tensor
/// operations, so that when gradients are taken with `createGraph: true` the result is itself differentiable.
public typealias BackwardRule = (_ outputGradient: Tensor, _ node: GraphNode) -> [Tensor?]

/// One recorded operation of the graph: its inputs, and the rule that maps the output gradient to theirs.
///
/// Nodes are owned only through tensors: a tensor holds the node that made it, and a node holds its input
/// tensors. A graph is released when the last tensor referring to it is; `deinit` takes the graph apart
/// iteratively, so a graph of millions of nodes does not recurse through the stack.
///
/// A backward rule never captures a tensor that carries a node (that would hide a reference from the
/// iterative release, or make a cycle with the output); it reads `inputs` and `output` from the node.
public final class GraphNode {
    /// Name of the operation (for error messages and debugging).
    public let op: String
    /// The op's inputs, with their own nodes: the edges of the graph.
    public internal(set) var inputs: [Tensor]
    /// Shape of the output this node made.
    public let outputShape: [Int]
    let rule: BackwardRule?
    /// The output's values, kept only for rules that need them (exp, sigmoid, tanh, sqrt).
    let savedOutput: Storage?

    /// A leaf: a tensor that gradients can be taken with respect to.
    init(leafOf shape: [Int]) {
        op = "leaf"
        inputs = []
        outputShape = shape
        rule = nil
        savedOutput = nil
    }

    init(op: String, inputs: [Tensor], outputShape: [Int], savedOutput: Storage?, rule: @escaping BackwardRule) {
        self.op = op
        self.inputs = inputs
        self.outputShape = outputShape
        self.savedOutput = savedOutput
        self.rule = rule
    }

    public var isLeaf: Bool { rule == nil }

    /// Whether the sweep now running this node's rule needs the gradient of input `i` (true outside a
    /// sweep). Rules skip the products for inputs that get no gradient: constants (data, targets) and inputs
    /// with no target below them (the symmetry matrix, when an inner loop differentiates only `v`).
    @inline(__always)
    func needsGradient(_ i: Int) -> Bool {
        NeededInputs.current & (i < 63 ? (1 as UInt) << UInt(i) : (1 as UInt) << 63) != 0
    }

    /// The output tensor of this node, attached to the node (so that rules using it stay differentiable).
    /// Only available for ops that saved their output.
    public var output: Tensor {
        guard let savedOutput else { preconditionFailure("\(op): backward rule asked for an output it did not save") }
        return Tensor(shape: outputShape, storage: savedOutput, node: self)
    }

    deinit {
        // Releasing the inputs may release their nodes, and theirs, recursively. Up to `maxReleaseDepth`
        // nested releases run as plain recursion (cheap: no allocation); deeper than that, the graph is
        // taken apart iteratively, so a graph of millions of nodes does not overflow the stack: move the
        // inputs' nodes to a work list, and release each node only after emptying its own inputs, when
        // nothing else holds it.
        guard !inputs.isEmpty else { return }
        let depth = ReleaseDepth.current
        if depth < GraphNode.maxReleaseDepth {
            ReleaseDepth.current = depth + 1
            inputs = []
            ReleaseDepth.current = depth
            return
        }
        var pending: [GraphNode] = []
        GraphNode.moveInputNodes(of: &inputs, into: &pending)
        while var next = pending.popLast() {
            if isKnownUniquelyReferenced(&next) {
                GraphNode.moveInputNodes(of: &next.inputs, into: &pending)
            }
        }
    }

    /// Nested node releases allowed before `deinit` switches to its iterative form (each level takes a
    /// few hundred bytes of stack).
    static let maxReleaseDepth = 128

    private static func moveInputNodes(of inputs: inout [Tensor], into pending: inout [GraphNode]) {
        let taken = inputs
        inputs = []
        for t in taken where t.node != nil { pending.append(t.node!) }
    }
}

/// The needed-input mask of the rule running on this thread (bit i: input i; bit 63: inputs 63 and up),
/// stored complemented so that a thread that never set it reads "all needed".
/// How many `GraphNode.deinit`s are running nested on this thread.
enum ReleaseDepth {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static var current: Int {
        @inline(__always) get { Int(bitPattern: pthread_getspecific(key)) }
        @inline(__always) set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }
}

enum NeededInputs {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static var current: UInt {
        @inline(__always) get { ~UInt(bitPattern: pthread_getspecific(key)) }
        @inline(__always) set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: ~newValue)) }
    }

    static let all: UInt = ~0
}

extension Tensor {
    /// Makes the result of an operation, recording it in the graph when recording is on and some input
    /// takes part in differentiation. `saveOutput` keeps the output values for the rule (`node.output`).
    @inline(__always)
    static func record(_ op: @autoclosure () -> String, shape: [Int], storage: Storage, inputs: [Tensor],
                       saveOutput: Bool = false, rule: @escaping BackwardRule) -> Tensor {
        guard GradientMode.isRecording, inputs.contains(where: { $0.node != nil }) else {
            return Tensor(shape: shape, storage: storage)
        }
        let node = GraphNode(op: op(), inputs: inputs, outputShape: shape,
                             savedOutput: saveOutput ? storage : nil, rule: rule)
        return Tensor(shape: shape, storage: storage, node: node)
    }
}

import Tensors

/// The B tasks of one task-batched computation as consecutive segments (the trainer's groups of episodes), each
/// with its own copy of the meta-parameters — leaves of its own — so that one backward pass gives every segment's
/// gradient apart, each the same values as that segment computed alone. Several groups then run as one
/// computation (one product with U for all their tasks, fewer operations) with results that do not depend on
/// how groups are put together, hence not on the thread count.
///
/// Inner parameters enter with a task axis (`repeatedPerTask`: segment s's copy for each of its tasks); shared ones
/// (MSR's U) through operations that take every segment's copy (`Tensor.matmul(_:segmentsOf:rowsPerSegment:)`).
public struct TaskSegments {
    /// Segment s's copy of the parameters.
    public let parameters: [Parameters]
    /// How many consecutive tasks each segment holds.
    public let taskCounts: [Int]
    /// Tensors a layer derives from the copies once per computation (`derived`), shared by copies of this value.
    private let derivedTensors = DerivedTensors()

    public init(parameters: [Parameters], taskCounts: [Int]) {
        precondition(!parameters.isEmpty && parameters.count == taskCounts.count && taskCounts.allSatisfy { $0 > 0 },
                     "TaskSegments: \(parameters.count) parameter copies for task counts \(taskCounts)")
        self.parameters = parameters
        self.taskCounts = taskCounts
    }

    /// All B tasks as one segment.
    public init(_ parameters: Parameters, taskCount: Int) {
        self.init(parameters: [parameters], taskCounts: [taskCount])
    }

    /// B, the tasks of all segments.
    public var taskCount: Int { taskCounts.reduce(0, +) }

    /// Every segment's copy of parameter `key`, in segment order.
    public func copies(_ key: String) -> [Tensor] { parameters.map { $0[key] } }

    /// The tensors `make` derives from the segments' copies (e.g. each copy of U permuted), made on the first call with
    /// `name` and returned by every later one on this value or a copy of it — within one computation, the support and
    /// query passes and every inner step share them, and their gradients add up before flowing back once.
    public func derived(_ name: String, _ make: () -> [Tensor]) -> [Tensor] {
        if let known = derivedTensors.values[name] { return known }
        let made = make()
        derivedTensors.values[name] = made
        return made
    }

    /// What `derived` made for `name` so far, if anything.
    public func derivedIfMade(_ name: String) -> [Tensor]? { derivedTensors.values[name] }

    /// Parameter `key` for every task, (B, …shape): segment s's copy repeated for each of its tasks. Its gradient
    /// is, for each segment's copy, the sum over that segment's tasks.
    public func repeatedPerTask(_ key: String) -> Tensor {
        Tensor.concatenate(zip(parameters, taskCounts).map { p, n in
            let t = p[key]
            return t.unsqueezed(0).expanded(to: [n] + t.shape)
        }, axis: 0)
    }
}

/// The store behind `TaskSegments.derived` (one computation runs on one thread).
private final class DerivedTensors {
    var values: [String: [Tensor]] = [:]
}

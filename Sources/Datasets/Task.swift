import Tensors

/// One task of a task family: its examples, inputs and targets with the example index first.
///
/// For the 1-D synthetic families, inputs are (20, 1, 70) and targets (20, 1, 68); for the 2-D families,
/// (20, 1, 32, 32) and (20, c, 30, 30).
public struct TaskExamples: Sendable {
    public var inputs: Tensor
    public var targets: Tensor

    public init(inputs: Tensor, targets: Tensor) {
        precondition(inputs.shape.first == targets.shape.first,
                     "TaskExamples: inputs \(inputs.shape) and targets \(targets.shape) need the same number of examples")
        self.inputs = inputs
        self.targets = targets
    }

    public var exampleCount: Int { inputs.shape[0] }

    /// The examples at `indices` (in that order).
    public func select(_ indices: [Int]) -> TaskExamples {
        TaskExamples(inputs: inputs.indexSelect(axis: 0, indices), targets: targets.indexSelect(axis: 0, indices))
    }
}

/// A support set to adapt on and a query set to evaluate the adapted model on, drawn from one task.
public struct Episode: Sendable {
    public var support: TaskExamples
    public var query: TaskExamples

    public init(support: TaskExamples, query: TaskExamples) {
        self.support = support
        self.query = query
    }
}

/// A family of tasks addressed by index (0..<count); the same index always gives the same task.
public protocol TaskFamily: Sendable {
    /// Number of tasks.
    var count: Int { get }
    /// Shape of one example's input and target (without the example axis).
    var inputShape: [Int] { get }
    var targetShape: [Int] { get }
    /// Task `index`, in `0..<count`.
    func task(at index: Int) -> TaskExamples
    /// An episode from task `index` (see the default implementation, which every family's draw must follow).
    /// Families that store their tasks implement it to copy only the drawn examples.
    func episode(at index: Int, supportCount: Int, queryCount: Int, using generator: inout SplitMix64) -> Episode
}

extension Episode {
    /// Which examples of a task of `exampleCount` form an episode's support and query sets: a partial
    /// Fisher–Yates shuffle drawn with `generator`, without repetition.
    public static func drawExamples(from exampleCount: Int, supportCount: Int, queryCount: Int,
                                    using generator: inout SplitMix64) -> (support: [Int], query: [Int]) {
        let n = exampleCount
        precondition(supportCount + queryCount <= n,
                     "episode: \(supportCount) support + \(queryCount) query examples exceed the task's \(n)")
        var order = Array(0..<n)
        for i in 0..<(supportCount + queryCount) {
            let j = i + Int(generator.next() % UInt64(n - i))
            order.swapAt(i, j)
        }
        return (Array(order[..<supportCount]), Array(order[supportCount..<(supportCount + queryCount)]))
    }
}

extension TaskFamily {
    /// An episode from task `index`: `supportCount` support and `queryCount` query examples, drawn without
    /// repetition from the task's examples with `generator`.
    public func episode(at index: Int, supportCount: Int, queryCount: Int, using generator: inout SplitMix64) -> Episode {
        let examples = task(at: index)
        let (support, query) = Episode.drawExamples(from: examples.exampleCount, supportCount: supportCount,
                                                    queryCount: queryCount, using: &generator)
        return Episode(support: examples.select(support), query: examples.select(query))
    }
}

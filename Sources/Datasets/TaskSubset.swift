import Tensors

/// The tasks `indices` of another family, renumbered from 0: a view, nothing is copied.
public struct TaskSubset<Base: TaskFamily>: TaskFamily {
    public let base: Base
    /// Indices into `base`.
    public let indices: Range<Int>

    public init(_ base: Base, indices: Range<Int>) {
        precondition(indices.lowerBound >= 0 && indices.upperBound <= base.count,
                     "TaskSubset: indices \(indices) are outside 0..<\(base.count)")
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var inputShape: [Int] { base.inputShape }
    public var targetShape: [Int] { base.targetShape }

    public func task(at index: Int) -> TaskExamples {
        precondition(0 <= index && index < count, "task(at:): index \(index) is outside 0..<\(count)")
        return base.task(at: indices.lowerBound + index)
    }

    public func episode(at index: Int, supportCount: Int, queryCount: Int, using generator: inout SplitMix64) -> Episode {
        precondition(0 <= index && index < count, "episode(at:): index \(index) is outside 0..<\(count)")
        return base.episode(at: indices.lowerBound + index, supportCount: supportCount, queryCount: queryCount, using: &generator)
    }
}

extension TaskFamily {
    /// Tasks `indices` of this family.
    public func subset(_ indices: Range<Int>) -> TaskSubset<Self> {
        TaskSubset(self, indices: indices)
    }

    /// The first ⌊fraction · count⌋ tasks for meta-training and the rest held out for meta-testing, as the
    /// reference splits its 10,000 tasks (`int(0.8 * n)`: 8,000 and 2,000).
    ///
    /// - Parameter fraction: share of tasks for meta-training, in [0, 1].
    public func trainTest(fraction: Double = 0.8) -> (train: TaskSubset<Self>, test: TaskSubset<Self>) {
        precondition((0...1).contains(fraction), "trainTest: fraction \(fraction) must be in [0, 1]")
        let cutoff = Int(fraction * Double(count))
        return (subset(0..<cutoff), subset(cutoff..<count))
    }
}

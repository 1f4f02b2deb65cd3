import Foundation
import Tensors

/// A task family held in memory as two arrays with the task index first, as the reference's `.npz` files
/// store it: `inputs` (tasks, examples, …inputShape) and `targets` (tasks, examples, …targetShape).
/// `task(at:)` copies one task out (a few microseconds).
public struct ArrayTaskFamily: TaskFamily {
    /// (tasks, examples, …inputShape)
    public let inputs: Tensor
    /// (tasks, examples, …targetShape)
    public let targets: Tensor

    /// Every task's examples one after the other, (tasks · examples, …): `inputs` and `targets` reshaped, no copy.
    private var allExamples: TaskExamples {
        func flat(_ t: Tensor) -> Tensor { t.reshaped([t.shape[0] * t.shape[1]] + Array(t.shape.dropFirst(2))) }
        return TaskExamples(inputs: flat(inputs), targets: flat(targets))
    }

    /// Wraps two arrays whose first two axes (tasks, examples) agree.
    public init(inputs: Tensor, targets: Tensor) {
        precondition(inputs.rank >= 2 && targets.rank >= 2 && inputs.shape.prefix(2) == targets.shape.prefix(2),
                     "ArrayTaskFamily: inputs \(inputs.shape) and targets \(targets.shape) need the same (tasks, examples) axes")
        self.inputs = inputs.detached()
        self.targets = targets.detached()
    }

    public var count: Int { inputs.shape[0] }
    public var examplesPerTask: Int { inputs.shape[1] }
    public var inputShape: [Int] { Array(inputs.shape.dropFirst(2)) }
    public var targetShape: [Int] { Array(targets.shape.dropFirst(2)) }

    public func task(at index: Int) -> TaskExamples {
        precondition(0 <= index && index < count, "task(at:): index \(index) is outside 0..<\(count)")
        return TaskExamples(inputs: Self.slice(inputs, index), targets: Self.slice(targets, index))
    }

    /// The episode `TaskFamily`'s default draws. When the episode takes at least half of the task's examples (the
    /// synthetic families: 20 of 20), the task's rows are read in one sequential pass and the drawn ones picked from
    /// that copy while it is in cache: drawn one by one in random order straight from a family far larger than the
    /// caches (rank5: 32 tasks of 11 KB per step from 118 MB), each row waited for memory in turn (measured in C on
    /// this task layout: 32 tasks' rows in drawn order 56–84 µs, the blocks read sequentially first 47–50 µs; rank5
    /// 1.03× overall). Otherwise only the drawn examples are copied out of the arrays.
    public func episode(at index: Int, supportCount: Int, queryCount: Int, using generator: inout SplitMix64) -> Episode {
        precondition(0 <= index && index < count, "episode(at:): index \(index) is outside 0..<\(count)")
        let (support, query) = Episode.drawExamples(from: examplesPerTask, supportCount: supportCount, queryCount: queryCount,
                                                    using: &generator)
        if 2 * (supportCount + queryCount) >= examplesPerTask {
            let examples = task(at: index)
            return Episode(support: examples.select(support), query: examples.select(query))
        }
        let first = index * examplesPerTask
        return Episode(support: allExamples.select(support.map { first + $0 }), query: allExamples.select(query.map { first + $0 }))
    }

    /// Task `index` of a (tasks, …) array, as a (…) tensor.
    private static func slice(_ array: Tensor, _ index: Int) -> Tensor {
        let shape = Array(array.shape.dropFirst())
        let size = shape.reduce(1, *)
        let range = (index * size)..<((index + 1) * size)
        switch array.storage {
        case .float32(let a): return Tensor(shape: shape, scalars: Array(a[range]))
        case .float64(let a): return Tensor(shape: shape, scalars: Array(a[range]))
        }
    }

    // MARK: - Files

    /// Reads arrays `x` (inputs) and `y` (targets) of the `.npz` file at `url`; other arrays are ignored.
    ///
    /// - Parameters:
    ///   - examplesPerTask, inputShape, targetShape: when given, the shapes `x` (tasks, examplesPerTask,
    ///     …inputShape) and `y` (tasks, examplesPerTask, …targetShape) must have; otherwise only the first two
    ///     axes of `x` and `y` must agree.
    ///   - dtype: element type of the tensors (`<f8` files are converted to Float32 by default, as the
    ///     reference does).
    ///   - allowNonFinite: accept NaN and ±∞ in `x` and `y` (and `<f8` values beyond Float32's range when
    ///     `dtype` is Float32); otherwise they are `DatasetError.nonFiniteValue`.
    public init(contentsOf url: URL, examplesPerTask: Int? = nil, inputShape: [Int]? = nil, targetShape: [Int]? = nil,
                dtype: DType = .float32, allowNonFinite: Bool = false) throws {
        let archive = try NPZArchive(contentsOf: url)
        let x = try archive.array("x"), y = try archive.array("y")
        try Self.checkShapes(x: x.shape, y: y.shape, source: url.lastPathComponent, examplesPerTask: examplesPerTask,
                             inputShape: inputShape, targetShape: targetShape)
        let inputs = try x.tensor().to(dtype), targets = try y.tensor().to(dtype)
        if !allowNonFinite {
            try NonFiniteValues.check(inputs, source: url.lastPathComponent, name: "x")
            try NonFiniteValues.check(targets, source: url.lastPathComponent, name: "y")
        }
        self.init(inputs: inputs, targets: targets)
    }

    /// Checks the shapes of arrays `x` and `y` of the file `source`: when given, `x` must be (tasks,
    /// examplesPerTask, …inputShape) and `y` (tasks, examplesPerTask, …targetShape); their first two axes
    /// must agree. Throws `DatasetError.wrongShape` naming the expected shape.
    static func checkShapes(x: [Int], y: [Int], source: String, examplesPerTask: Int?, inputShape: [Int]?,
                            targetShape: [Int]?) throws {
        func expected(_ shape: [Int]?) -> String {
            let example = examplesPerTask.map(String.init) ?? "examples"
            let rest = shape.map { $0.map(String.init) } ?? ["…"]
            return "(" + (["tasks", example] + rest).joined(separator: ", ") + ")"
        }
        for (actual, name, shape) in [(x, "x", inputShape), (y, "y", targetShape)] {
            var fits = actual.count >= 2
            if let examplesPerTask { fits = fits && actual[1] == examplesPerTask }
            if let shape { fits = fits && Array(actual.dropFirst(2)) == shape }
            if !fits { throw DatasetError.wrongShape(source: source, name: name, expected: expected(shape), actual: actual) }
        }
        guard x.prefix(2) == y.prefix(2) else {
            throw DatasetError.wrongShape(source: source, name: "y", expected: "(\(x[0]), \(x[1]), …) to match x \(formatShape(x))",
                                          actual: y)
        }
    }

    /// Reads a 1-D synthetic family as the reference writes it (and `msr generate`): `x` (tasks, 20, 1, 70)
    /// and `y` (tasks, 20, 1, 68).
    public static func syntheticTranslation(contentsOf url: URL, allowNonFinite: Bool = false) throws -> ArrayTaskFamily {
        typealias S = SyntheticTranslationTasks
        return try ArrayTaskFamily(contentsOf: url, examplesPerTask: S.examplesPerTask,
                                   inputShape: [1, S.inputLength], targetShape: [1, S.outputLength], allowNonFinite: allowNonFinite)
    }

    /// Reads a 2-D synthetic family as the reference writes it with e2cnn's `R2Conv` (and `msr generate`):
    /// `x` (tasks, 20, 1, 32, 32) and `y` (tasks, 20, C_out, 30, 30), with C_out = 24 for `2d_rot8` and 48
    /// for `2d_rot8_flip`. Without `problem`, either channel count is accepted.
    ///
    /// The whole file is held in memory: 17 GB for the reference's 10,000 `2d_rot8` tasks, 7 GB for its
    /// 2,000 `2d_rot8_flip` tasks; `MappedTaskFamily.syntheticRotation(contentsOf:problem:)` reads
    /// uncompressed files in place instead. The reference orders a field's channels as e2cnn's regular
    /// representation does, which need not match `SyntheticRotationProblem`'s order; a model learning the
    /// symmetry does not depend on it.
    public static func syntheticRotation(contentsOf url: URL, problem: SyntheticRotationProblem? = nil,
                                         allowNonFinite: Bool = false) throws -> ArrayTaskFamily {
        typealias S = SyntheticRotationTasks
        let (size, out) = (S.imageSize, S.outputSize)
        let family = try ArrayTaskFamily(contentsOf: url, examplesPerTask: S.examplesPerTask, inputShape: [1, size, size],
                                         targetShape: problem.map { [$0.outputChannels, out, out] }, allowNonFinite: allowNonFinite)
        try S.checkTargetShape(family.targets.shape, source: url.lastPathComponent)
        return family
    }

    /// Writes the family to `url` as an `.npz` file with arrays `x` and `y` (then `extraArrays`), atomically.
    public func write(to url: URL, extraArrays: [(name: String, tensor: Tensor)] = [], compressed: Bool = false) throws {
        try NPZArchive.write([("x", inputs), ("y", targets)] + extraArrays, to: url, compressed: compressed)
    }
}

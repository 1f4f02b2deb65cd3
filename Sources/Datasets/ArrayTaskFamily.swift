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
    public init(contentsOf url: URL, examplesPerTask: Int? = nil, inputShape: [Int]? = nil, targetShape: [Int]? = nil,
                dtype: DType = .float32) throws {
        let archive = try NPZArchive(contentsOf: url)
        let x = try archive.array("x"), y = try archive.array("y")
        func expected(_ name: String, _ shape: [Int]?) -> String {
            let example = examplesPerTask.map(String.init) ?? "examples"
            let rest = shape.map { $0.map(String.init) } ?? ["…"]
            return "(" + (["tasks", example] + rest).joined(separator: ", ") + ")"
        }
        for (array, name, shape) in [(x, "x", inputShape), (y, "y", targetShape)] {
            var fits = array.shape.count >= 2
            if let examplesPerTask { fits = fits && array.shape[1] == examplesPerTask }
            if let shape { fits = fits && Array(array.shape.dropFirst(2)) == shape }
            if !fits {
                throw DatasetError.wrongShape(source: url.lastPathComponent, name: name, expected: expected(name, shape), actual: array.shape)
            }
        }
        guard x.shape.prefix(2) == y.shape.prefix(2) else {
            throw DatasetError.wrongShape(source: url.lastPathComponent, name: "y",
                                          expected: "(\(x.shape[0]), \(x.shape[1]), …) to match x \(formatShape(x.shape))",
                                          actual: y.shape)
        }
        self.init(inputs: try x.tensor().to(dtype), targets: try y.tensor().to(dtype))
    }

    /// Reads a 1-D synthetic family as the reference writes it (and `msr generate`): `x` (tasks, 20, 1, 70)
    /// and `y` (tasks, 20, 1, 68).
    public static func syntheticTranslation(contentsOf url: URL) throws -> ArrayTaskFamily {
        typealias S = SyntheticTranslationTasks
        return try ArrayTaskFamily(contentsOf: url, examplesPerTask: S.examplesPerTask,
                                   inputShape: [1, S.inputLength], targetShape: [1, S.outputLength])
    }

    /// Writes the family to `url` as an `.npz` file with arrays `x` and `y` (then `extraArrays`), atomically.
    public func write(to url: URL, extraArrays: [(name: String, tensor: Tensor)] = [], compressed: Bool = false) throws {
        try NPZArchive.write([("x", inputs), ("y", targets)] + extraArrays, to: url, compressed: compressed)
    }
}

import Dispatch
import Foundation
import Tensors

/// The 1-D synthetic task families of the paper (section 5.1), as the reference `generate_synthetic_data.py`
/// makes them. Each task is a linear map from a signal of length 70 to one of length 68: a locally connected
/// layer (kernel 3, no bias, stride 1, no padding) with one filter per output position,
///
///     y[n, 0, p] = Σ_{j<3} x[n, 0, p + j] · w[p, j],    p = 0..<68
///
/// (cross-correlation, as PyTorch's `conv1d` and the reference's `LocallyConnected1d`; no flip, no scaling).
/// The filter bank `w` (68 × 3) of a task is
///
///     w = connectivity · basis
///
/// with `connectivity` (68 × k) a row-wise softmax of N(0, 1) values drawn once for the whole family and
/// `basis` (k × 3) drawn from N(0, 1) per task; k is the problem's rank. For rank 1 every row of the
/// softmax is 1, so all positions share the filter `basis`: the task is a convolution, as the reference's
/// `rank1` (a random N(0, 1) filter repeated over the 68 positions). Each task has 20 examples with inputs
/// drawn from N(0, 1); inputs are (20, 1, 70), targets (20, 1, 68), both Float32; the filters are computed in
/// Float64 and rounded to Float32 before use, as in the reference.
///
/// Everything follows from `seed`: the connectivity from one SplitMix64 stream, task `i` from its own
/// stream (the basis first, then the inputs), so `task(at:)` makes any task on demand without the others.
/// Making one takes a few tens of microseconds; `materialized()` makes them all once (in parallel) for
/// training loops that need tasks faster.
public struct SyntheticTranslationTasks: TaskFamily {
    public static let inputLength = 70
    public static let outputLength = 68
    public static let kernelSize = 3
    public static let examplesPerTask = 20
    /// The reference's number of tasks (the first 80% for meta-training).
    public static let defaultTaskCount = 10_000

    public let problem: SyntheticTranslationProblem
    public let count: Int
    public let seed: UInt64
    /// Row-stochastic (68 × k), Float64, shared by all tasks.
    public let connectivity: Tensor

    public var inputShape: [Int] { [1, Self.inputLength] }
    public var targetShape: [Int] { [1, Self.outputLength] }

    public init(problem: SyntheticTranslationProblem, count: Int = defaultTaskCount, seed: UInt64 = 0) {
        precondition(count >= 0, "SyntheticTranslationTasks: count \(count) must be ≥ 0")
        self.problem = problem
        self.count = count
        self.seed = seed
        let k = problem.rank, positions = Self.outputLength
        var generator = SplitMix64(seed: Self.streamSeed(seed, stream: 0))
        var c = [Double](repeating: 0, count: positions * k)  // (68, k)
        for p in 0..<positions {
            for i in 0..<k { c[p * k + i] = generator.nextNormal() }
            // Softmax of row p, shifted by its maximum for stability.
            let row = c[(p * k)..<(p * k + k)]
            let top = row.max()!
            let e = row.map { Foundation.exp($0 - top) }
            let sum = e.reduce(0, +)
            for i in 0..<k { c[p * k + i] = e[i] / sum }
        }
        connectivity = Tensor(shape: [positions, k], scalars: c)
    }

    /// A seed for stream `stream` of the family: stream 0 is the connectivity, stream i + 1 task i.
    static func streamSeed(_ seed: UInt64, stream: Int) -> UInt64 {
        // SplitMix64 outputs are a good hash of (seed, stream): the (stream + 1)-th output of SplitMix64(seed).
        var generator = SplitMix64(seed: seed &+ UInt64(stream) &* 0x9E37_79B9_7F4A_7C15)
        return generator.next()
    }

    /// The filter bank of task `index`: (68, 3), Float32.
    public func filterBank(at index: Int) -> Tensor {
        precondition(0 <= index && index < count, "filterBank(at:): index \(index) is outside 0..<\(count)")
        var filters = [Float](repeating: 0, count: Self.outputLength * Self.kernelSize)
        var generator = SplitMix64(seed: Self.streamSeed(seed, stream: index + 1))
        filters.withUnsafeMutableBufferPointer { drawFilterBank(into: $0, using: &generator) }
        return Tensor(shape: [Self.outputLength, Self.kernelSize], scalars: filters)
    }

    /// The filter banks of all tasks: (count, 68, 3), Float32. (The reference stores them as `w`, shaped
    /// (count, 1, 1, 1, 68, 3).)
    public func filterBanks() -> Tensor {
        let size = Self.outputLength * Self.kernelSize
        let filters = [Float](unsafeUninitializedCapacity: count * size) { out, n in
            for index in 0..<count {
                var generator = SplitMix64(seed: Self.streamSeed(seed, stream: index + 1))
                drawFilterBank(into: UnsafeMutableBufferPointer(rebasing: out[(index * size)..<((index + 1) * size)]), using: &generator)
            }
            n = count * size
        }
        return Tensor(shape: [count, Self.outputLength, Self.kernelSize], scalars: filters)
    }

    /// Task `index`: inputs (20, 1, 70), targets (20, 1, 68).
    public func task(at index: Int) -> TaskExamples {
        precondition(0 <= index && index < count, "task(at:): index \(index) is outside 0..<\(count)")
        let n = Self.examplesPerTask
        var inputs = [Float](repeating: 0, count: n * Self.inputLength)
        var targets = [Float](repeating: 0, count: n * Self.outputLength)
        inputs.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in makeTask(index, inputs: x, targets: y) }
        }
        return TaskExamples(inputs: Tensor(shape: [n, 1, Self.inputLength], scalars: inputs),
                            targets: Tensor(shape: [n, 1, Self.outputLength], scalars: targets))
    }

    /// All tasks, generated once into two arrays: the same values as `task(at:)`, each task a copy away.
    public func materialized() -> ArrayTaskFamily {
        let n = Self.examplesPerTask
        let inputSize = n * Self.inputLength, targetSize = n * Self.outputLength
        var inputs = [Float](repeating: 0, count: count * inputSize)
        var targets = [Float](repeating: 0, count: count * targetSize)
        inputs.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in
                let (xBase, yBase) = (x.baseAddress, y.baseAddress)
                let chunks = Swift.max(1, Swift.min(count / 64, 64))
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    for index in (count * chunk / chunks)..<(count * (chunk + 1) / chunks) {
                        makeTask(index, inputs: UnsafeMutableBufferPointer(start: xBase! + index * inputSize, count: inputSize),
                                 targets: UnsafeMutableBufferPointer(start: yBase! + index * targetSize, count: targetSize))
                    }
                }
            }
        }
        return ArrayTaskFamily(inputs: Tensor(shape: [count, n, 1, Self.inputLength], scalars: inputs),
                               targets: Tensor(shape: [count, n, 1, Self.outputLength], scalars: targets))
    }

    // MARK: - Kernels

    /// Draws the basis (k × 3) from `generator` and writes w = connectivity · basis (68 × 3), rounded to Float.
    private func drawFilterBank(into w: UnsafeMutableBufferPointer<Float>, using generator: inout SplitMix64) {
        let k = problem.rank, taps = Self.kernelSize
        var basis = [Double](repeating: 0, count: k * taps)  // (k, 3)
        for i in 0..<(k * taps) { basis[i] = generator.nextNormal() }
        guard case .float64(let c) = connectivity.storage else { preconditionFailure("connectivity is Float64") }
        for p in 0..<Self.outputLength {
            for j in 0..<taps {
                var sum = 0.0
                for i in 0..<k { sum += c[p * k + i] * basis[i * taps + j] }
                w[p * taps + j] = Float(sum)
            }
        }
    }

    /// Writes task `index`'s inputs (20 × 70) and targets (20 × 68).
    private func makeTask(_ index: Int, inputs x: UnsafeMutableBufferPointer<Float>, targets y: UnsafeMutableBufferPointer<Float>) {
        let (length, positions, taps) = (Self.inputLength, Self.outputLength, Self.kernelSize)
        var generator = SplitMix64(seed: Self.streamSeed(seed, stream: index + 1))
        withUnsafeTemporaryAllocation(of: Float.self, capacity: positions * taps) { w in
            drawFilterBank(into: w, using: &generator)
            for i in 0..<x.count { x[i] = Float(generator.nextNormal()) }
            for n in 0..<Self.examplesPerTask {
                for p in 0..<positions {
                    var sum: Float = 0
                    for j in 0..<taps { sum += x[n * length + p + j] * w[p * taps + j] }
                    y[n * positions + p] = sum
                }
            }
        }
    }
}

import Foundation
import NeuralNets
import Tensors

/// The processes ("ranks") that meta-train one model together, data-parallel: every rank draws the same
/// meta-batch from the shared seed, computes the tasks it owns (tasks `rank`, `rank + size`, … of the
/// batch), and one all-reduce per outer step combines their gradients, so that every rank takes the same
/// Adam step. `SingleProcess` is the one-rank group; the `Distributed` module provides MPI.
///
/// The collective calls must be made by every rank in the same order, from one thread (the one that calls
/// the trainer). A failure is fatal to the whole job (MPI's default `MPI_ERRORS_ARE_FATAL`): ranks that
/// went out of step cannot continue, so these calls do not throw.
public protocol GradientCommunicator: Sendable {
    /// This process's index, 0..<size. Rank 0 prints progress and writes reports and checkpoints.
    var rank: Int { get }
    /// Processes in the group.
    var size: Int { get }
    /// Replaces `buffer` on every rank by the element-wise sum of every rank's `buffer` (same count on all).
    func allReduceSum(_ buffer: inout [Float])
    func allReduceSum(_ buffer: inout [Double])
    /// The largest per-step buffer, in bytes, for which gradients travel one slot per task (exact task-order
    /// sums); above it each rank sends the partial sum of its own tasks. See `MetaBatchExchange`.
    var exactExchangeLimitBytes: Int { get }
    /// A short description for messages, e.g. "MPI, 4 ranks (Open MPI v4.1.4)".
    var summary: String { get }
}

extension GradientCommunicator {
    public var exactExchangeLimitBytes: Int { 64 << 20 }
    public var summary: String { size == 1 ? "one process" : "\(size) ranks" }
    /// The tasks of a batch of `count` this rank computes: rank, rank + size, ….
    public func ownedTasks(of count: Int) -> [Int] { Array(stride(from: rank, to: count, by: size)) }
    /// True on the rank that prints and writes files.
    public var isLead: Bool { rank == 0 }
}

/// The group of one: every task is computed here and nothing is exchanged.
public struct SingleProcess: GradientCommunicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: inout [Float]) {}
    public func allReduceSum(_ buffer: inout [Double]) {}
}

/// How the per-task results of one meta-batch, computed on different ranks, become the gradient every rank
/// applies. One all-reduce per outer step carries everything: gradients, the per-task metrics (query loss,
/// accuracy) and a stop flag (so that all ranks stop after the same step, e.g. on Ctrl-C).
///
/// With B tasks per batch, N gradient scalars (the meta-parameters' count), m metrics per task and s bytes per
/// scalar (4 for Float32 models, 8 for Float64):
/// - **task slots** (`exact`): a B × N buffer, zero except in the slots of the tasks this rank owns. After the
///   all-reduce (sum) every slot holds its task's gradient exactly (x + 0 + … + 0 = x), and every rank sums
///   the slots in task order as a single process does (`Tensor.sumInOrder`): the parameters stay
///   bitwise equal to the single-process run's. Buffer: s·(B·N + 3·B·m + 1) bytes (a Float64 metric travels
///   as three Float32 parts that add back exactly; in Float64 buffers as one).
/// - **partial sums** (above `exactExchangeLimitBytes`): each rank sums its own tasks in order and the
///   all-reduce adds the P partial sums: s·(N + 3·B·m + 1) bytes, a different summation order (agreement to
///   about 1e-6 relative per step in Float32). Metrics still travel in slots, so they stay exact.
///
/// An all-reduce of b bytes moves about 2·b·(P − 1)/P bytes in and out of each rank (ring algorithm).
public struct MetaBatchExchange {
    public enum Mode: String, Sendable { case taskSlots, partialSums }

    /// Shapes and element types of the gradients, in the meta-parameters' key order.
    public var shapes: [[Int]]
    public var dtypes: [DType]
    public var taskCount: Int
    public var metricCount: Int
    public var mode: Mode

    /// Whether the buffer holds Float32 (all gradients Float32) or Float64.
    var usesFloat: Bool { dtypes.allSatisfy { $0 == .float32 } }
    var parameterCount: Int { shapes.reduce(0) { $0 + $1.reduce(1, *) } }
    var metricParts: Int { usesFloat ? 3 : 1 }

    public init(template: [Tensor], taskCount: Int, metricCount: Int, limitBytes: Int) {
        shapes = template.map(\.shape)
        dtypes = template.map(\.dtype)
        self.taskCount = taskCount
        self.metricCount = metricCount
        mode = .taskSlots
        if bufferBytes > limitBytes { mode = .partialSums }
    }

    /// Bytes of the buffer all-reduced per outer step.
    public var bufferBytes: Int { scalarCount * (usesFloat ? 4 : 8) }

    var gradientScalars: Int { mode == .taskSlots ? taskCount * parameterCount : parameterCount }
    var scalarCount: Int { gradientScalars + taskCount * metricCount * metricParts + 1 }

    /// One task's computed result: its gradients (in key order) and metrics.
    public typealias TaskResult = (task: Int, gradients: [Tensor], metrics: [Double])

    /// Combines the results of the tasks this rank computed (any order) with the other ranks': the gradient
    /// sum over the batch in task order, every task's metrics, and whether any rank asked to stop.
    public func combine(_ local: [TaskResult], stopRequested: Bool, communicator: any GradientCommunicator)
        -> (gradient: [Tensor], metrics: [[Double]], stop: Bool) {
        if usesFloat {
            return combine(local, stopRequested, Float.self, read: { $0.floats }) { communicator.allReduceSum(&$0) }
        }
        return combine(local, stopRequested, Double.self, read: { $0.scalars }) { communicator.allReduceSum(&$0) }
    }

    private func combine<S: BinaryFloatingPoint & TensorScalar>(
        _ local: [TaskResult], _ stopRequested: Bool, _: S.Type, read: (Tensor) -> [S], reduce: (inout [S]) -> Void)
        -> (gradient: [Tensor], metrics: [[Double]], stop: Bool) {
        let n = parameterCount
        let counts = shapes.map { $0.reduce(1, *) }
        let offsets = counts.indices.map { counts[..<$0].reduce(0, +) }
        var buffer = [S](repeating: 0, count: scalarCount)
        func write(_ tensors: [Tensor], at base: Int) {
            for (j, t) in tensors.enumerated() {
                let x = read(t)
                for i in x.indices { buffer[base + offsets[j] + i] = x[i] }
            }
        }
        let ordered = local.sorted { $0.task < $1.task }
        switch mode {
        case .taskSlots:
            for r in ordered { write(r.gradients, at: r.task * n) }
        case .partialSums:
            if !ordered.isEmpty {
                write(shapes.indices.map { j in Tensor.sumInOrder(ordered.map { $0.gradients[j] }) }, at: 0)
            }
        }
        let metricBase = gradientScalars, parts = metricParts
        for r in ordered {
            for (k, value) in r.metrics.enumerated() {
                let at = metricBase + (r.task * metricCount + k) * parts
                for (p, part) in Self.split(value, parts: parts).enumerated() { buffer[at + p] = S(part) }
            }
        }
        buffer[scalarCount - 1] = stopRequested ? 1 : 0
        reduce(&buffer)

        func tensors(at base: Int) -> [Tensor] {
            shapes.indices.map { j in
                let start = base + offsets[j]
                let t = Tensor(shape: shapes[j], scalars: Array(buffer[start..<start + counts[j]]))
                return dtypes[j] == t.dtype ? t : t.to(dtypes[j])
            }
        }
        let gradient: [Tensor]
        switch mode {
        case .taskSlots:
            let perTask = (0..<taskCount).map { tensors(at: $0 * n) }
            gradient = shapes.indices.map { j in Tensor.sumInOrder(perTask.map { $0[j] }) }
        case .partialSums:
            gradient = tensors(at: 0)
        }
        let metrics = (0..<taskCount).map { t in
            (0..<metricCount).map { k -> Double in
                let at = metricBase + (t * metricCount + k) * parts
                return (0..<parts).reduce(0.0) { $0 + Double(buffer[at + $1]) }
            }
        }
        return (gradient, metrics, buffer[scalarCount - 1] > 0)
    }

    /// `value` as `parts` numbers whose sum, added in order in Float64, is `value` exactly: for 3 parts, the
    /// Float32 rounding, then the rounding of the remainder, then the rest (24 + 24 + 24 bits ≥ 53; exact
    /// for values in Float32's normal range, the losses and accuracies sent here).
    static func split(_ value: Double, parts: Int) -> [Double] {
        guard parts > 1, abs(value) < Double(Float.greatestFiniteMagnitude) else { return [value] + Array(repeating: 0, count: max(parts - 1, 0)) }
        var rest = value
        return (0..<parts).map { _ in let p = Double(Float(rest)); rest -= p; return p }
    }
}

extension GradientCommunicator {
    /// `compute(i)` for i in 0..<count, each computed by the rank that owns i (on `threads` threads), gathered
    /// on every rank by one all-reduce of `count` Float64 slots (exact: each slot has one non-zero term).
    public func distributedMap(_ count: Int, threads: Int, _ compute: (Int) -> Double) -> [Double] {
        distributedMap(groups: (0..<count).map { $0..<($0 + 1) }, threads: threads) { [compute($0.lowerBound)] }
    }

    /// `compute(range)` — one value per index of the range — for consecutive `groups` covering 0..<n, each group
    /// computed by the rank that owns it (on `threads` threads), gathered on every rank by one all-reduce of n
    /// Float64 slots (exact: each slot has one non-zero term). The groups are the same on any rank count.
    public func distributedMap(groups: [Range<Int>], threads: Int, _ compute: (Range<Int>) -> [Double]) -> [Double] {
        if size == 1 { return parallelMap(groups.count, threads: threads) { compute(groups[$0]) }.flatMap { $0 } }
        let owned = ownedTasks(of: groups.count)
        let values = parallelMap(owned.count, threads: threads) { compute(groups[owned[$0]]) }
        var buffer = [Double](repeating: 0, count: groups.last?.upperBound ?? 0)
        for (g, v) in zip(owned, values) { for (i, x) in zip(groups[g], v) { buffer[i] = x } }
        allReduceSum(&buffer)
        return buffer
    }
}

/// A test-only hook for the dead-rank test: with `MSR_TEST_KILL_RANK=r` and `MSR_TEST_KILL_STEP=k` in the
/// environment, rank r kills itself (SIGKILL, as a crashed machine would vanish) after completing outer step k.
enum DeadRankTestHook {
    static let target: (rank: Int, step: Int)? = {
        let env = ProcessInfo.processInfo.environment
        guard let r = env["MSR_TEST_KILL_RANK"].flatMap(Int.init), let s = env["MSR_TEST_KILL_STEP"].flatMap(Int.init) else { return nil }
        return (r, s)
    }()

    static func afterStep(_ step: Int, rank: Int) {
        guard let target, target.rank == rank, target.step == step else { return }
        FileHandle.standardError.write(Data("rank \(rank): MSR_TEST_KILL_STEP reached (step \(step)); killing this rank\n".utf8))
        kill(getpid(), SIGKILL)
    }
}

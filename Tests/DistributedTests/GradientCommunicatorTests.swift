import Datasets
import Foundation
@testable import MetaLearning
import NeuralNets
import Tensors
import XCTest

/// P ranks as P threads of this process, with a shared all-reduce (sums in rank order): tests the data-parallel
/// trainers without MPI.
final class ThreadGroup: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var contributions: [[Double]?]
    private var generation = 0, arrived = 0, departed = 0
    private var result: [Double] = []

    init(size: Int) {
        self.size = size
        contributions = Array(repeating: nil, count: size)
    }

    struct Member: GradientCommunicator {
        let group: ThreadGroup
        let rank: Int
        var size: Int { group.size }
        var limit = 64 << 20
        var exactExchangeLimitBytes: Int { limit }
        func allReduceSum(_ buffer: inout [Float]) {
            let sum = group.allReduce(buffer.map(Double.init), rank: rank)
            buffer = sum.map(Float.init)
        }
        func allReduceSum(_ buffer: inout [Double]) { buffer = group.allReduce(buffer, rank: rank) }
    }

    func member(_ rank: Int, limit: Int = 64 << 20) -> Member { Member(group: self, rank: rank, limit: limit) }

    /// Float buffers are summed in Float, as MPI_FLOAT is (the Double round trip is exact).
    func allReduce(_ values: [Double], rank: Int) -> [Double] {
        condition.lock()
        defer { condition.unlock() }
        while departed > 0 { condition.wait() }  // the previous call's readers are still leaving
        contributions[rank] = values
        arrived += 1
        let myGeneration = generation
        if arrived == size {
            var sum = contributions[0]!
            for r in 1..<size { for i in sum.indices { sum[i] += contributions[r]![i] } }
            result = sum
            arrived = 0
            departed = size
            generation += 1
            condition.broadcast()
        } else {
            while generation == myGeneration { condition.wait() }
        }
        let out = result
        departed -= 1
        if departed == 0 { condition.broadcast() }
        return out
    }
}

/// `body(rank)` on `count` dedicated threads at once (ranks block in the all-reduce, so a pool capped at the
/// core count would deadlock); the results in rank order.
final class ResultBox<T>: @unchecked Sendable { var values: [T?]; init(_ n: Int) { values = Array(repeating: nil, count: n) } }

func onThreads<T>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    let box = ResultBox<T>(count), lock = NSLock(), done = DispatchSemaphore(value: 0)
    for r in 0..<count {
        let thread = Thread {
            let v = body(r)
            lock.withLock { box.values[r] = v }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
    for _ in 0..<count { done.wait() }
    return box.values.map { $0! }
}

final class GradientCommunicatorTests: XCTestCase {
    func experiment(steps: Int, metaBatch: Int) -> RegressionExperiment {
        var c = MetaTrainingConfiguration()
        c.steps = steps
        c.metaBatchSize = metaBatch
        c.outerLearningRate = 0.01
        c.testTasks = 12
        c.evaluationInterval = 3
        return RegressionExperiment(problem: .rank1, model: .msrFC, taskCount: 100, training: c)
    }

    /// Runs `ranks` trainers on threads and returns each rank's state and history.
    func trainTogether(_ e: RegressionExperiment, ranks: Int, limit: Int = 64 << 20) throws -> [(MetaTrainingState, TrainingHistory)] {
        let group = ThreadGroup(size: ranks)
        let base = try e.trainer(threads: 1)
        let results = onThreads(ranks) { r -> Result<(MetaTrainingState, TrainingHistory), Error> in
            var t = base
            t.communicator = group.member(r, limit: limit)
            var state = t.initialState()
            return Result { let history = try t.train(&state); return (state, history) }
        }
        return try results.map { try $0.get() }
    }

    func testRanksTakeTheSingleProcessStepsBitForBit() throws {
        // 7 tasks over 3 ranks: uneven shares (3, 2, 2).
        let e = experiment(steps: 6, metaBatch: 7)
        let trainer = try e.trainer(threads: 1)
        var alone = trainer.initialState()
        let history = try trainer.train(&alone)
        for ranks in [2, 3] {
            for (state, h) in try trainTogether(e, ranks: ranks) {
                for key in alone.metaParameters.keys {
                    XCTAssertEqual(state.metaParameters[key].floats.map(\.bitPattern), alone.metaParameters[key].floats.map(\.bitPattern),
                                   "\(ranks) ranks: \(key)")
                }
                XCTAssertEqual(h.evaluations.map(\.test), history.evaluations.map(\.test), "\(ranks) ranks")
                XCTAssertEqual(h.evaluations.map(\.trainLoss), history.evaluations.map(\.trainLoss), "\(ranks) ranks")
            }
        }
    }

    func testPartialSumsAgreeToFloatRounding() throws {
        let e = experiment(steps: 1, metaBatch: 6)
        let trainer = try e.trainer(threads: 1)
        let p = trainer.initialState().metaParameters
        let (alone, loss) = try trainer.metaGradient(p, step: 0)
        let group = ThreadGroup(size: 2)
        let together = onThreads(2) { r -> Result<(gradient: Parameters, metrics: [Double]), Error> in
            var t = trainer
            t.communicator = group.member(r, limit: 0)
            return Result { try t.metaGradient(p, step: 0) }
        }
        for (g, l) in try together.map({ try $0.get() }) {
            XCTAssertEqual(l, loss)
            for key in p.keys {
                let a = alone[key].scalars, b = g[key].scalars
                let scale = a.map(abs).max()! + 1e-30
                XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()! / scale, 1e-5, key)
            }
        }
    }

    func testExchangeVolume() {
        // rank1 MSR-FC: U (70·68 × 3), v (3), one learned inner rate: N = 14,284 scalars.
        let template = [Tensor.zeros([4760, 3]), Tensor.zeros([3]), Tensor.zeros([1])]
        let slots = MetaBatchExchange(template: template, taskCount: 32, metricCount: 1, limitBytes: 64 << 20)
        XCTAssertEqual(slots.mode, .taskSlots)
        XCTAssertEqual(slots.bufferBytes, 4 * (32 * 14_284 + 3 * 32 + 1))
        let partial = MetaBatchExchange(template: template, taskCount: 32, metricCount: 1, limitBytes: 1 << 20)
        XCTAssertEqual(partial.mode, .partialSums)
        XCTAssertEqual(partial.bufferBytes, 4 * (14_284 + 3 * 32 + 1))
    }

    func testMetricsSplitIntoFloatPartsThatAddBackExactly() {
        var g = SplitMix64(seed: 7)
        for _ in 0..<10_000 {
            let x = Double(bitPattern: g.next() >> 12 | 0x3F00_0000_0000_0000) * (g.next() % 2 == 0 ? 1 : -1)
            let parts = MetaBatchExchange.split(x, parts: 3)
            XCTAssertTrue(parts.allSatisfy { Double(Float($0)) == $0 })
            XCTAssertEqual(parts.reduce(0, +).bitPattern, x.bitPattern)
        }
        XCTAssertEqual(MetaBatchExchange.split(0.1, parts: 1), [0.1])
    }

    func testOwnedTasksAreRoundRobin() {
        let group = ThreadGroup(size: 3)
        XCTAssertEqual(group.member(0).ownedTasks(of: 7), [0, 3, 6])
        XCTAssertEqual(group.member(2).ownedTasks(of: 7), [2, 5])
        XCTAssertEqual(SingleProcess().ownedTasks(of: 3), [0, 1, 2])
    }
}

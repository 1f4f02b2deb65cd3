import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body(i)` for i in 0..<count on up to `threads` threads and returns the results in index order.
///
/// Meant for independent work such as the tasks of a meta-batch: each call records its own graph (the
/// graph and the no-grad scope are per thread). Kernels inside a body may use the threads the workers
/// leave over (`intraOpThreads` = threads / workers, e.g. both for a single episode on 2 threads). Results do not
/// depend on `threads`: every index is computed the same way wherever it runs, and callers combine
/// the results in index order.
public func parallelMap<T>(_ count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           _ body: (Int) -> T) -> [T] {
    if count == 0 { return [] }
    let workers = Swift.max(1, Swift.min(threads, count))
    // Threads the workers leave over go to the kernels inside each body (see `intraOpThreads`).
    let inner = Swift.max(1, threads / workers)
    if workers == 1 { return IntraOp.with(threads: inner) { (0..<count).map(body) } }
    let results = UnsafeMutablePointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil, count: count)
    defer { results.deinitialize(count: count); results.deallocate() }
    // Workers take the next index from a shared counter, so uneven tasks balance out.
    let next = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    next.initialize(to: 0)
    defer { next.deallocate() }
    let lock = NSLock()
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                lock.lock()
                let i = next.pointee
                next.pointee += 1
                lock.unlock()
                if i >= count { return }
                results[i] = IntraOp.with(threads: inner) { body(i) }
            }
        }
    }
    return (0..<count).map { results[$0]! }
}

/// The number of processors available (the default for `threads`).
public var availableProcessorCount: Int { ProcessInfo.processInfo.activeProcessorCount }

// MARK: - Intra-op parallelism

/// How many threads one large kernel (a batched product, a convolution's unfold or fold, a per-channel
/// normalisation, pooling) may split across on the current thread.
///
/// 1 unless set: `parallelMap` gives each body the threads its workers leave over (`threads / workers`,
/// so a meta-batch of one episode on 2 threads lets its kernels use both, while 8 tasks on 2 threads keep
/// every kernel single-threaded), and `withIntraOpThreads` sets it explicitly. Kernels split only over
/// independent outputs (batch elements, output rows, channels, planes), each computed exactly as it is
/// unsplit, so results are bitwise the same for every thread count.
public var intraOpThreads: Int { IntraOp.threads }

/// Runs `body` with `intraOpThreads` set to `threads` (at least 1) on this thread. `minimumWork`, when
/// given, replaces the size below which kernels never split (tests use 0 to split small tensors).
public func withIntraOpThreads<R>(_ threads: Int, minimumWork: Int? = nil, _ body: () throws -> R) rethrows -> R {
    guard let minimumWork else { return try IntraOp.with(threads: threads, body) }
    let saved = pthread_getspecific(IntraOp.minimumWorkKey)
    pthread_setspecific(IntraOp.minimumWorkKey, UnsafeRawPointer(bitPattern: Swift.max(0, minimumWork) + 1))
    defer { pthread_setspecific(IntraOp.minimumWorkKey, saved) }
    return try IntraOp.with(threads: threads, body)
}

enum IntraOp {
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Multiply-adds (or element visits, for memory-bound kernels) below which a kernel never splits:
    /// dispatching to a second thread costs some 10–20 µs. `withIntraOpThreads(_:minimumWork:)`
    /// overrides it per thread (stored + 1; 0 means unset).
    static let defaultMinimumWork = 1 << 20

    static let minimumWorkKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    static var minimumWork: Int {
        let stored = Int(bitPattern: pthread_getspecific(minimumWorkKey))
        return stored == 0 ? defaultMinimumWork : stored - 1
    }

    static var threads: Int {
        @inline(__always) get { Swift.max(1, Int(bitPattern: pthread_getspecific(key))) }
    }

    static func with<R>(threads: Int, _ body: () throws -> R) rethrows -> R {
        let saved = pthread_getspecific(key)
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: Swift.max(1, threads)))
        defer { pthread_setspecific(key, saved) }
        return try body()
    }

    /// The number of parts to split `items` independent pieces of `work` in all into: 1 when the work is
    /// small or only one thread is allowed.
    @inline(__always)
    static func parts(items: Int, work: Int) -> Int {
        let t = threads
        guard t > 1, items > 1, work >= minimumWork else { return 1 }
        return Swift.min(t, items)
    }

    /// The `part`-th of `parts` contiguous, near-equal ranges of 0..<items.
    @inline(__always)
    static func range(_ part: Int, of parts: Int, items: Int) -> Range<Int> {
        (items * part / parts)..<(items * (part + 1) / parts)
    }

    /// Runs `body(range)` over contiguous ranges covering 0..<items, on up to `parts` threads when
    /// `parts > 1`; each range runs with one intra-op thread. The items are cut into up to
    /// `chunksPerPart`·`parts` ranges that the threads take as they come (the calling thread among them), so a helper thread
    /// that the OS schedules late (a busy machine) holds up the caller by one small range at most.
    /// While `KernelProfile` is on, the ranges helper threads take are timed on their own CPU clocks as
    /// parts of the caller's open kernel region; the caller's clock already counts the ranges it runs.
    static func forEachRange(items: Int, parts: Int, chunksPerPart: Int = 4, _ body: (Range<Int>) -> Void) {
        if parts <= 1 {
            body(0..<items)
            return
        }
        let chunks = Swift.min(items, chunksPerPart * parts)
        // The helper threads compute as the caller would: same forced matmul backend (a per-thread setting).
        let backend = MatmulConfiguration.forcedBackend
        // With profiling on, the kind the helpers' ranges count as, and the caller, whose ranges they must
        // not count again (concurrentPerform runs some on the calling thread).
        let profiled = KernelProfile.enclosingKind.map { (kind: $0, caller: pthread_self()) }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                MatmulConfiguration.withBackend(backend) {
                    IntraOp.with(threads: 1) {
                        let part = range(chunk, of: chunks, items: items)
                        if let profiled, pthread_equal(pthread_self(), profiled.caller) == 0 {
                            KernelProfile.timePart(of: profiled.kind) { body(part) }
                        } else {
                            body(part)
                        }
                    }
                }
            }
        }
    }
}

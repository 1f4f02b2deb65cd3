import Dispatch
import Foundation

/// Runs `body(i)` for i in 0..<count on up to `threads` threads and returns the results in index order.
///
/// Meant for independent work such as the tasks of a meta-batch: each call records its own graph (the
/// graph and the no-grad scope are per thread), and each kernel stays single-threaded. Results do not
/// depend on `threads`: every index is computed the same way wherever it runs, and callers combine
/// the results in index order.
public func parallelMap<T>(_ count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           _ body: (Int) -> T) -> [T] {
    if count == 0 { return [] }
    let workers = Swift.max(1, Swift.min(threads, count))
    if workers == 1 { return (0..<count).map(body) }
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
                results[i] = body(i)
            }
        }
    }
    return (0..<count).map { results[$0]! }
}

/// The number of processors available (the default for `threads`).
public var availableProcessorCount: Int { ProcessInfo.processInfo.activeProcessorCount }

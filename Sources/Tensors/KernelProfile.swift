#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a training step's time goes, by kind of kernel: the engine's leaf kernels (none of which calls
/// another) add the time they run to their kind when profiling is on (`KernelProfile.measuring`), and
/// what no kernel claims — the graph's bookkeeping, reference counting, episode sampling, the optimiser's
/// loops — is the rest of the step's CPU time.
///
/// The figures are CPU seconds summed over threads (two threads running products for 1 s each add 2 s),
/// each read from the CPU clock of the thread that did the work, so time a thread spends descheduled on a
/// busy machine is not counted. A kernel split over intra-op threads (`IntraOp.forEachRange`) counts every
/// part once: the parts the calling thread runs fall inside its region, timed on its clock as any kernel
/// is (it uses no CPU while it waits for the helpers), and each part a helper thread runs is a region of
/// its own on the helper's clock, of the kind of the caller's innermost open region, which counts its
/// time but not a call (the helpers' time would otherwise fall in the rest: half of a kernel split over 2
/// threads). Off by default: a kernel then pays one load of a global flag (a split kernel one more, no
/// clock read). On, each kernel call, and each part a helper runs, reads its thread's CPU clock twice and
/// adds under a lock, under 1 µs, against calls of 10 µs and more in a few-shot step.
public enum KernelProfile {
    public enum Kind: Int, CaseIterable, Sendable {
        /// Matrix products (`MatrixMultiply.gemm`: built-in, small or BLAS, and products split over intra-op
        /// threads, whose parts run the packed kernels directly): convolutions as im2col · W, their
        /// gradients, linear layers.
        case products
        /// Unfolding images into the columns a convolution's product reads, and folding them back (its input
        /// gradient); for Winograd convolutions, the weight, input and output transforms around their products.
        case im2col
        /// Batch normalisation: per-channel standardisation, scale and shift, channel sums, and their gradients.
        case batchNorm
        /// Max-pooling windows and the scatter of their gradients.
        case pooling
        /// Strided copies: transposes, slices, concatenation and broadcasting made contiguous.
        case copies
        /// Elementwise arithmetic and activations (add, multiply, ReLU, exp, …) forward and backward.
        case elementwise
        /// Sums and means along axes (losses, bias gradients).
        case reductions
        /// Allocating tensors' buffers (`malloc`), separately from filling them.
        case allocation

        public var name: String {
            switch self {
            case .products: return "products"
            case .im2col: return "im2col/transforms"
            case .batchNorm: return "batch norm"
            case .pooling: return "pooling"
            case .copies: return "copies"
            case .elementwise: return "elementwise"
            case .reductions: return "reductions"
            case .allocation: return "allocation"
            }
        }
    }

    nonisolated(unsafe) static var isOn = false
    nonisolated(unsafe) static var nanoseconds = [UInt64](repeating: 0, count: Kind.allCases.count)
    nonisolated(unsafe) static var calls = [Int](repeating: 0, count: Kind.allCases.count)
    nonisolated(unsafe) static var lock = pthread_mutex_t()
    static let lockReady: Bool = { pthread_mutex_init(&lock, nil); return true }()

    /// The CPU seconds and calls of each kind while `body` ran (all threads), and `body`'s result. Not
    /// reentrant: one profile at a time.
    public static func measuring<R>(_ body: () throws -> R) rethrows -> (result: R, seconds: [Kind: Double], calls: [Kind: Int]) {
        _ = lockReady
        pthread_mutex_lock(&lock)
        for i in nanoseconds.indices { nanoseconds[i] = 0; calls[i] = 0 }
        isOn = true
        pthread_mutex_unlock(&lock)
        defer { isOn = false }
        let result = try body()
        pthread_mutex_lock(&lock)
        isOn = false
        let seconds = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0, Double(nanoseconds[$0.rawValue]) * 1e-9) })
        let counts = Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0, calls[$0.rawValue]) })
        pthread_mutex_unlock(&lock)
        return (result, seconds, counts)
    }

    /// The calling thread's CPU time, ns.
    @inline(__always)
    static func now() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// Each thread's open regions: their kinds and the time their nested regions took, innermost last. A
    /// region is credited with its own time only (its elapsed time less its nested regions'), so that an
    /// elementwise op's allocation counts as allocation and a kernel that calls another is not counted
    /// twice. The kinds tell a split kernel's helper threads whose parts they run (`enclosingKind`).
    final class OpenRegions {
        struct Open {
            let kind: Kind
            var nested: UInt64
        }
        var open: [Open] = []
    }
    static let regionsKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { if let p = $0 { Unmanaged<OpenRegions>.fromOpaque(p).release() } }
        return k
    }()

    static var openRegions: OpenRegions {
        if let p = pthread_getspecific(regionsKey) { return Unmanaged<OpenRegions>.fromOpaque(p).takeUnretainedValue() }
        let r = OpenRegions()
        pthread_setspecific(regionsKey, Unmanaged.passRetained(r).toOpaque())
        return r
    }

    /// A started region: its kind, start and the calls it counts (1 for a kernel call, 0 for a part of one
    /// that a helper thread runs), or none when profiling is off.
    public struct Region {
        let kind: Kind
        let start: UInt64
        let calls: Int
    }

    @inline(__always)
    static func begin(_ kind: Kind, calls: Int = 1) -> Region? {
        guard isOn else { return nil }
        openRegions.open.append(.init(kind: kind, nested: 0))
        return Region(kind: kind, start: now(), calls: calls)
    }

    @inline(__always)
    static func end(_ region: Region?) {
        guard let region else { return }
        let elapsed = now() &- region.start
        let regions = openRegions
        let nested = regions.open.removeLast().nested
        if !regions.open.isEmpty { regions.open[regions.open.count - 1].nested &+= elapsed }
        pthread_mutex_lock(&lock)
        nanoseconds[region.kind.rawValue] &+= elapsed &- Swift.min(nested, elapsed)
        calls[region.kind.rawValue] += region.calls
        pthread_mutex_unlock(&lock)
    }

    /// Runs one kernel call, its own time counted under `kind` while profiling is on.
    @inline(__always)
    static func time<R>(_ kind: Kind, _ body: () throws -> R) rethrows -> R {
        let region = begin(kind)
        defer { end(region) }
        return try body()
    }

    /// The kind of the calling thread's innermost open region while profiling is on; nil when off (one load
    /// of the flag) or outside every region. `IntraOp.forEachRange` reads it before handing parts of a
    /// kernel to helper threads.
    @inline(__always)
    static var enclosingKind: Kind? {
        guard isOn, let p = pthread_getspecific(regionsKey) else { return nil }
        return Unmanaged<OpenRegions>.fromOpaque(p).takeUnretainedValue().open.last?.kind
    }

    /// Runs a part of a kernel that a helper thread took from the calling thread (`IntraOp.forEachRange`),
    /// its own time on this thread's clock counted under the caller's `kind` but not as a call: the caller's
    /// region counts the call and its own parts, and its clock does not see this one.
    @inline(__always)
    static func timePart<R>(of kind: Kind, _ body: () throws -> R) rethrows -> R {
        let region = begin(kind, calls: 0)
        defer { end(region) }
        return try body()
    }
}

extension KernelProfile {
    /// `[T](unsafeUninitializedCapacity:initializingWith:)` with the allocation timed as `allocation` (the
    /// filling is the caller's kind).
    @inline(__always)
    static func uninitializedArray<T>(of _: T.Type, count: Int,
                                      _ fill: (inout UnsafeMutableBufferPointer<T>, inout Int) throws -> Void) rethrows -> [T] {
        let region = begin(.allocation)
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            end(region)
            try fill(&buffer, &initialized)
        }
    }

    /// `[T](repeating: 0, count:)`, timed as `allocation` (zeroing included).
    @inline(__always)
    static func zeroedArray<T: FloatingPoint>(of _: T.Type, count: Int) -> [T] {
        time(.allocation) { [T](repeating: 0, count: count) }
    }
}

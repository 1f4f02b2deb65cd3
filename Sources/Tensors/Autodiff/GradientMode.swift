#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether operations on this thread record the graph. Per thread, so tasks on other threads are unaffected.
enum GradientMode {
    // Stored per thread: the number of enclosing `withoutGradients` scopes.
    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    private static var depth: Int {
        get { Int(bitPattern: pthread_getspecific(key)) }
        set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
    }

    @inline(__always)
    static var isRecording: Bool { pthread_getspecific(key) == nil }

    static func without<R>(_ body: () throws -> R) rethrows -> R {
        depth += 1
        defer { depth -= 1 }
        return try body()
    }

    /// Turns recording on (`recording`) or off for the current thread until `restore`; returns the
    /// previous state. (The straight-line form of `with`/`without`, for loops that should not be closures.)
    @inline(__always)
    static func enter(recording: Bool) -> Int {
        let saved = depth
        if recording { if saved != 0 { depth = 0 } } else { depth = saved + 1 }
        return saved
    }

    @inline(__always)
    static func restore(_ saved: Int) { depth = saved }

    /// Runs `body` with recording on, even inside a `withoutGradients` scope (for `createGraph: true`).
    static func with<R>(_ body: () throws -> R) rethrows -> R {
        let saved = depth
        depth = 0
        defer { depth = saved }
        return try body()
    }
}

/// Runs `body` without recording any operation (PyTorch's `torch.no_grad()`): results are constants and no
/// graph memory is held. Use it for evaluation and for parameter updates.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.without(body)
}

/// Whether operations on the current thread are recorded (false inside `withoutGradients`).
public var isRecordingGradients: Bool { GradientMode.isRecording }

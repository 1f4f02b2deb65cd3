import CVectorMath

/// The element type of a tensor: 32-bit floats for training, 64-bit for gradient checks and fixtures.
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32
    case float64

    /// Bytes per element.
    public var byteCount: Int { self == .float32 ? 4 : 8 }
    public var description: String { rawValue }
}

/// The scalar types a `Tensor` can hold (`Float`, `Double`).
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable {
    static var dtype: DType { get }
    /// Wraps an array into tensor storage.
    static func storage(_ scalars: [Self]) -> Storage
    /// The array inside `storage`; traps if the dtype differs.
    static func scalars(_ storage: Storage) -> [Self]
    /// √self, rounded as `squareRoot()` (IEEE), in a form a loop vectorises: on Linux `squareRoot()` goes
    /// through C's `sqrtf` with errno semantics, one scalar root, a branch and a possible library call per element.
    func vectorizableSquareRoot() -> Self
}

extension Float: TensorScalar {
    public static var dtype: DType { .float32 }
    @inlinable @inline(__always) public func vectorizableSquareRoot() -> Float { msr_sqrtf(self) }
    public static func storage(_ scalars: [Float]) -> Storage { .float32(scalars) }
    public static func scalars(_ storage: Storage) -> [Float] {
        guard case .float32(let a) = storage else { preconditionFailure("expected float32 storage, found \(storage.dtype)") }
        return a
    }
}

extension Double: TensorScalar {
    public static var dtype: DType { .float64 }
    @inlinable @inline(__always) public func vectorizableSquareRoot() -> Double { msr_sqrt(self) }
    public static func storage(_ scalars: [Double]) -> Storage { .float64(scalars) }
    public static func scalars(_ storage: Storage) -> [Double] {
        guard case .float64(let a) = storage else { preconditionFailure("expected float64 storage, found \(storage.dtype)") }
        return a
    }
}

/// Contiguous row-major element storage of a tensor. Immutable once made: every op writes a new one, so a
/// tensor saved by the graph is never changed behind its back.
public enum Storage: Sendable {
    case float32([Float])
    case float64([Double])

    public var dtype: DType {
        switch self {
        case .float32: return .float32
        case .float64: return .float64
        }
    }

    public var count: Int {
        switch self {
        case .float32(let a): return a.count
        case .float64(let a): return a.count
        }
    }

    /// A new storage of `count` elements, each computed by the dtype's closure from the index.
    @inline(__always)
    static func make(_ dtype: DType, count: Int,
                     _ f32: (UnsafeMutableBufferPointer<Float>) -> Void,
                     _ f64: (UnsafeMutableBufferPointer<Double>) -> Void) -> Storage {
        switch dtype {
        case .float32:
            return .float32(KernelProfile.uninitializedArray(of: Float.self, count: count) { b, n in f32(b); n = count })
        case .float64:
            return .float64(KernelProfile.uninitializedArray(of: Double.self, count: count) { b, n in f64(b); n = count })
        }
    }

    static func zeros(_ dtype: DType, count: Int) -> Storage {
        switch dtype {
        case .float32: return .float32(KernelProfile.zeroedArray(of: Float.self, count: count))
        case .float64: return .float64(KernelProfile.zeroedArray(of: Double.self, count: count))
        }
    }

    static func filled(_ dtype: DType, count: Int, value: Double) -> Storage {
        switch dtype {
        case .float32: return .float32([Float](repeating: Float(value), count: count))
        case .float64: return .float64([Double](repeating: value, count: count))
        }
    }

    /// Elementwise map; the two closures are the same function for each dtype.
    @inline(__always)
    func map(_ f32: (Float) -> Float, _ f64: (Double) -> Double) -> Storage {
        switch self {
        case .float32(let a):
            return .float32(KernelProfile.uninitializedArray(of: Float.self, count: a.count) { out, n in
                a.withUnsafeBufferPointer { x in
                    // Raw pointers: buffer-pointer subscripts kept these loops from vectorising.
                    guard let xp = x.baseAddress, let op = out.baseAddress else { return }
                    for i in 0..<x.count { op[i] = f32(xp[i]) }
                }
                n = a.count
            })
        case .float64(let a):
            return .float64(KernelProfile.uninitializedArray(of: Double.self, count: a.count) { out, n in
                a.withUnsafeBufferPointer { x in
                    guard let xp = x.baseAddress, let op = out.baseAddress else { return }
                    for i in 0..<x.count { op[i] = f64(xp[i]) }
                }
                n = a.count
            })
        }
    }

    /// Every element as a Double (for tests, reports and file output).
    public var doubles: [Double] {
        switch self {
        case .float32(let a): return a.map(Double.init)
        case .float64(let a): return a
        }
    }

    /// The same values converted to `dtype`.
    public func converted(to dtype: DType) -> Storage {
        switch (self, dtype) {
        case (.float32, .float32), (.float64, .float64): return self
        case (.float32(let a), .float64): return .float64(a.map(Double.init))
        case (.float64(let a), .float32): return .float32(a.map(Float.init))
        }
    }
}

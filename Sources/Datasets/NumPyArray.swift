import Tensors

/// The element types read from `.npy` files, named by NumPy's `descr` strings (little-endian only).
public enum NumPyDType: String, CaseIterable, Sendable {
    case float32 = "<f4"
    case float64 = "<f8"
    case int64 = "<i8"
    case int32 = "<i4"
    case bool = "|b1"
    case uint8 = "|u1"

    /// Bytes per element.
    public var byteCount: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .bool, .uint8: return 1
        }
    }

    /// The `descr` as this package writes it (`<f4`, `|b1`, …).
    public var descr: String { rawValue }

    /// Reads a `descr`: `<`, `=` (this little-endian machine's order) or `|` (no order) and a type code.
    /// `nil` for types this package does not read (big-endian, complex, strings, objects, records).
    init?(descr: String) {
        guard let order = descr.first, "<=|".contains(order) else { return nil }
        switch descr.dropFirst() {
        case "f4": self = .float32
        case "f8": self = .float64
        case "i8": self = .int64
        case "i4": self = .int32
        case "b1": self = .bool
        case "u1": self = .uint8
        default: return nil
        }
    }

    /// The tensor element type of a floating-point dtype.
    public var tensorDType: DType? {
        switch self {
        case .float32: return .float32
        case .float64: return .float64
        default: return nil
        }
    }

    /// `descr` strings that become tensors.
    static let tensorDescrs = [NumPyDType.float32.descr, NumPyDType.float64.descr]
}

/// An array read from an `.npy` file (or an `.npz` entry): its shape and its elements in C order.
public struct NumPyArray: Sendable {
    /// The elements, row-major, by type.
    public enum Elements: Sendable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])
        case int32([Int32])
        case bool([Bool])
        case uint8([UInt8])
    }

    public let shape: [Int]
    public let elements: Elements
    /// Where the array came from (`rank1.npz: x.npy`), for error messages.
    public let source: String

    public init(shape: [Int], elements: Elements, source: String = "array") {
        self.shape = shape
        self.elements = elements
        self.source = source
    }

    public var dtype: NumPyDType {
        switch elements {
        case .float32: return .float32
        case .float64: return .float64
        case .int64: return .int64
        case .int32: return .int32
        case .bool: return .bool
        case .uint8: return .uint8
        }
    }

    /// The array as a tensor of the same shape; only `<f4` and `<f8` arrays become tensors (no copy).
    public func tensor() throws -> Tensor {
        switch elements {
        case .float32(let a): return Tensor(shape: shape, scalars: a)
        case .float64(let a): return Tensor(shape: shape, scalars: a)
        default:
            throw DatasetError.unsupportedDType(source: source, descr: dtype.descr, supported: NumPyDType.tensorDescrs)
        }
    }

    /// The elements as `Double`s, whatever their type (booleans as 0 and 1).
    public var doubles: [Double] {
        switch elements {
        case .float32(let a): return a.map(Double.init)
        case .float64(let a): return a
        case .int64(let a): return a.map(Double.init)
        case .int32(let a): return a.map(Double.init)
        case .bool(let a): return a.map { $0 ? 1 : 0 }
        case .uint8(let a): return a.map(Double.init)
        }
    }
}

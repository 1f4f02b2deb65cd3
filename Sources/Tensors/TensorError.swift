/// Errors a user of the tensor library can cause: shapes that do not fit an operation.
///
/// Operations check their arguments with the throwing functions of `ShapeCheck`; the operators themselves
/// trap with the same message (as PyTorch raises), so code that takes shapes from users can check first.
public enum TensorError: Error, Equatable, CustomStringConvertible, Sendable {
    /// `op` was given shapes that do not fit together; `detail` says what was expected.
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int], detail: String)
    /// `op` was given one shape it cannot work with.
    case invalidShape(op: String, shape: [Int], detail: String)
    /// `op` was given an argument outside its range (an axis, an index, a size).
    case invalidArgument(op: String, detail: String)
    /// Two tensors of different element types were combined.
    case dtypeMismatch(op: String, lhs: DType, rhs: DType)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs, detail):
            return "\(op): shapes \(lhs) and \(rhs) do not fit: \(detail)"
        case let .invalidShape(op, shape, detail):
            return "\(op): shape \(shape) is not valid: \(detail)"
        case let .invalidArgument(op, detail):
            return "\(op): \(detail)"
        case let .dtypeMismatch(op, lhs, rhs):
            return "\(op): element types \(lhs) and \(rhs) differ; convert one with .to(_:)"
        }
    }
}

/// Traps with the error's message when `check` throws (used by operators, which do not throw).
@inline(__always)
func mustSucceed<R>(_ check: () throws -> R) -> R {
    do { return try check() } catch { preconditionFailure("\(error)") }
}

/// Shape arithmetic and the checks every operation makes on its arguments. The checks throw `TensorError`
/// so that code handling user input can validate first; the operators trap with the same message.
public enum ShapeCheck {
    /// Number of elements of `shape`; throws for negative sizes.
    public static func elementCount(_ shape: [Int], op: String) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw TensorError.invalidShape(op: op, shape: shape, detail: "sizes must be ≥ 0") }
            n *= d
        }
        return n
    }

    /// The broadcast of two shapes (NumPy rules: align trailing dimensions; sizes equal or one of them 1).
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else {
                throw TensorError.shapeMismatch(op: op, lhs: a, rhs: b,
                    detail: "dimension \(i) of the aligned shapes is \(x) and \(y); each must be equal or 1")
            }
            out[i] = x == 1 ? y : x
        }
        return out
    }

    /// Normalises an axis (negative counts from the end) into `0..<rank`.
    public static func axis(_ axis: Int, rank: Int, op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw TensorError.invalidArgument(op: op, detail: "axis \(axis) is out of range for rank \(rank)")
        }
        return a
    }

    /// Checks that shapes can be joined along `axis`: equal ranks, equal sizes off that axis.
    public static func concatenate(_ shapes: [[Int]], axis: Int) throws {
        guard let first = shapes.first else { return }
        for s in shapes.dropFirst() {
            guard s.count == first.count else {
                throw TensorError.shapeMismatch(op: "concatenate", lhs: first, rhs: s, detail: "ranks differ")
            }
            for i in 0..<s.count where i != axis && s[i] != first[i] {
                throw TensorError.shapeMismatch(op: "concatenate", lhs: first, rhs: s, detail: "sizes must agree except along axis \(axis)")
            }
        }
    }

    /// The shape a reshape to `newShape` gives (one entry may be -1: inferred).
    public static func reshape(_ shape: [Int], to newShape: [Int], op: String = "reshape") throws -> [Int] {
        let count = try elementCount(shape, op: op)
        var inferred = -1
        var known = 1
        for (i, d) in newShape.enumerated() {
            if d == -1 {
                guard inferred < 0 else {
                    throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: newShape, detail: "at most one size may be -1")
                }
                inferred = i
            } else if d < 0 {
                throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: newShape, detail: "sizes must be ≥ 0 or -1")
            } else {
                known *= d
            }
        }
        var out = newShape
        if inferred >= 0 {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: newShape,
                                                detail: "\(count) elements cannot be split into that shape")
            }
            out[inferred] = count / known
        } else if known != count {
            throw TensorError.shapeMismatch(op: op, lhs: shape, rhs: newShape,
                                            detail: "\(count) elements cannot be viewed as \(known)")
        }
        return out
    }
}

/// Row-major strides of a shape.
@inline(__always)
func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

@inline(__always)
func product(_ xs: ArraySlice<Int>) -> Int { xs.reduce(1, *) }
@inline(__always)
func product(_ xs: [Int]) -> Int { xs.reduce(1, *) }

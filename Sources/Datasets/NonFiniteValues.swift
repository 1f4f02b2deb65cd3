import Tensors

/// Finding NaN and ±∞ in the arrays of a task family read from a file, so that a family holding them is an
/// error where it is read (`DatasetError.nonFiniteValue`) instead of a training run that turns to NaN.
///
/// Elements are checked as the family will hand them out: a `<f8` value beyond Float32's range counts when
/// the tasks are Float32, since it would become ±∞.
enum NonFiniteValues {
    /// The first element of `bytes` (little-endian `stored` elements, at any alignment) that is not finite as
    /// `dtype`: its index and the stored value.
    static func first(in bytes: UnsafeRawBufferPointer, stored: NumPyDType, as dtype: DType) -> (index: Int, value: Double)? {
        switch stored {
        case .float32:
            // Not finite: all eight exponent bits set. Blocks are scanned without branches, then searched.
            let count = bytes.count / 4, block = 4096
            var start = 0
            while start < count {
                let end = min(count, start + block)
                var found: UInt32 = 0
                for i in start..<end {
                    let bits = bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    found |= bits & 0x7F80_0000 == 0x7F80_0000 ? 1 : 0
                }
                if found != 0, let i = (start..<end).first(where: {
                    !Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)).isFinite
                }) {
                    return (i, Double(Float(bitPattern: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                }
                start = end
            }
            return nil
        case .float64:
            for i in 0..<(bytes.count / 8) {
                let value = Double(bitPattern: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                if dtype == .float32 ? !Float(value).isFinite : !value.isFinite { return (i, value) }
            }
            return nil
        default:
            return nil
        }
    }

    /// Throws `DatasetError.nonFiniteValue` for the first element of array `name` of `source` (its task
    /// being every `elementsPerTask` elements) that is not finite as `dtype`.
    static func check(_ bytes: UnsafeRawBufferPointer, stored: NumPyDType, as dtype: DType, elementsPerTask: Int,
                      source: String, name: String) throws {
        guard let (index, value) = first(in: bytes, stored: stored, as: dtype) else { return }
        let shown = value.isFinite ? "\(value) (beyond Float32's range)" : "\(value)"
        throw DatasetError.nonFiniteValue(source: source, name: name, task: index / max(elementsPerTask, 1), value: shown)
    }

    /// `check` on the elements of `tensor` (tasks, …).
    static func check(_ tensor: Tensor, source: String, name: String) throws {
        let stored: NumPyDType = tensor.dtype == .float32 ? .float32 : .float64
        let perTask = tensor.shape.dropFirst().reduce(1, *)
        try withRawBytes(of: tensor) {
            try check($0, stored: stored, as: tensor.dtype, elementsPerTask: perTask, source: source, name: name)
        }
    }
}

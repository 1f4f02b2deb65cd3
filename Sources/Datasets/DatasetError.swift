/// Errors a user can cause by pointing the package at a file: missing, of the wrong format, cut short or
/// holding arrays of the wrong kind. Each message names the file (and array) and says what was expected.
public enum DatasetError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No file at `path`.
    case fileNotFound(path: String)
    /// `path` could not be read or written; `detail` gives the system's reason.
    case unreadableFile(path: String, detail: String)
    case unwritableFile(path: String, detail: String)
    /// `path` is not a zip archive (an `.npz` file is one).
    case notAZipArchive(path: String)
    /// The archive at `path` has no array `name`; `available` lists the arrays it has.
    case missingArray(name: String, path: String, available: [String])
    /// `source` does not start with the `.npy` magic string `\x93NUMPY`.
    case badMagic(source: String)
    /// The `.npy` header of `source` cannot be understood; `detail` says what was expected.
    case malformedHeader(source: String, detail: String)
    /// `source` holds elements of a type this package does not read (`descr` as NumPy writes it).
    case unsupportedDType(source: String, descr: String, supported: [String])
    /// `source` is stored in Fortran (column-major) order; only C order is read.
    case fortranOrder(source: String)
    /// `source` ends before the data its header announces.
    case truncatedData(source: String, expectedBytes: Int, actualBytes: Int)
    /// Array `name` of `source` has shape `actual`, where `expected` (e.g. "(tasks, 20, 1, 70)") was needed.
    case wrongShape(source: String, name: String, expected: String, actual: [Int])
    /// The safetensors file `source` is not valid; `detail` says what was expected.
    case malformedSafeTensors(source: String, detail: String)
    /// The zip archive `source` is damaged (bad checksum, unreadable entry).
    case corruptArchive(source: String, detail: String)
    /// An array stored deflated (`np.savez_compressed`) where it must be read in place.
    case compressedEntry(path: String, name: String)
    /// Array `name` of the task family in `source` holds `value` (NaN, ±∞, or a number Float32 cannot hold)
    /// in task `task`, where finite numbers were expected.
    case nonFiniteValue(source: String, name: String, task: Int, value: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "\(path): no such file"
        case let .unreadableFile(path, detail):
            return "\(path): cannot be read: \(detail)"
        case let .unwritableFile(path, detail):
            return "\(path): cannot be written: \(detail)"
        case let .notAZipArchive(path):
            return "\(path): not a zip archive (or one cut short); expected an .npz file as written by numpy.savez"
        case let .missingArray(name, path, available):
            let list = available.isEmpty ? "none" : available.sorted().joined(separator: ", ")
            return "\(path): no array '\(name)' (arrays present: \(list))"
        case let .badMagic(source):
            return "\(source): not an .npy array; expected it to start with the magic string \\x93NUMPY"
        case let .malformedHeader(source, detail):
            return "\(source): malformed .npy header: \(detail)"
        case let .unsupportedDType(source, descr, supported):
            return "\(source): element type '\(descr)' is not supported; expected one of \(supported.map { "'\($0)'" }.joined(separator: ", "))"
        case let .fortranOrder(source):
            return "\(source): array is stored in Fortran order; expected C order (save it with np.ascontiguousarray)"
        case let .truncatedData(source, expected, actual):
            return "\(source): truncated: the header announces \(expected) bytes of data, found \(actual)"
        case let .wrongShape(source, name, expected, actual):
            return "\(source): expected \(name) of shape \(expected), found \(formatShape(actual))"
        case let .malformedSafeTensors(source, detail):
            return "\(source): malformed safetensors file: \(detail)"
        case let .corruptArchive(source, detail):
            return "\(source): damaged zip archive: \(detail)"
        case let .compressedEntry(path, name):
            return "\(path): \(name).npy is compressed (np.savez_compressed) and cannot be read in place; save it with np.savez or read it whole"
        case let .nonFiniteValue(source, name, task, value):
            return "\(source): \(name) holds \(value) in task \(task); expected finite numbers (NaN and infinities make training diverge; allow them explicitly to read the file anyway)"
        }
    }
}

/// A shape as NumPy prints it: `(3, 20, 1, 70)`, `(5,)`, `()`.
func formatShape(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

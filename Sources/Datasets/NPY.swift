import Foundation
import Tensors

/// NumPy's `.npy` format (format versions 1.0, 2.0 and 3.0): the magic string `\x93NUMPY`, a version, the
/// header length (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), a header that is a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 20, 1, 70), }` padded with spaces and a newline
/// so that the data starts at a multiple of 64 bytes, then the elements in C order.
///
/// Reads `<f4`, `<f8`, `<i8`, `<i4`, `|b1`, `|u1` arrays of any rank; writes tensors (`<f4`, `<f8`).
/// Specification: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    // MARK: - Reading

    /// Reads the `.npy` file at `url`.
    public static func read(contentsOf url: URL) throws -> NumPyArray {
        try AtomicFile.checkExists(url)
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw DatasetError.unreadableFile(path: url.path, detail: "\(error)")
        }
        return try decode(data, source: url.lastPathComponent)
    }

    /// Decodes an `.npy` file held in memory; `source` names it in error messages.
    public static func decode(_ data: Data, source: String = "array") throws -> NumPyArray {
        var decoder = NPYDecoder(source: source, totalBytes: data.count)
        try data.withUnsafeBytes { try decoder.consume($0) }
        return try decoder.finish()
    }

    // MARK: - Writing

    /// The `.npy` encoding of `tensor` (`<f4` or `<f8`, C order, format 1.0 unless the header needs 2.0).
    public static func encoded(_ tensor: Tensor) -> Data {
        var data = Data(header(shape: tensor.shape, dtype: tensor.dtype))
        withRawBytes(of: tensor) { data.append(contentsOf: $0) }
        return data
    }

    /// Writes `tensor` to `url` as an `.npy` file, atomically, streaming the elements from the tensor.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try AtomicFile.write(to: url) { temporary in
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: temporary.path) else {
                throw DatasetError.unwritableFile(path: url.path, detail: "cannot create \(temporary.path)")
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: header(shape: tensor.shape, dtype: tensor.dtype))
            try withRawBytes(of: tensor) { bytes in
                let chunk = 1 << 22
                var start = 0
                while start < bytes.count {
                    let count = min(chunk, bytes.count - start)
                    try handle.write(contentsOf: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + start),
                                                      count: count, deallocator: .none))
                    start += count
                }
            }
            try handle.synchronize()
        }
    }

    /// The magic string, version, length and header dict of an array, padded so that the data starts at a
    /// multiple of 64 bytes (as NumPy writes them).
    static func header(shape: [Int], dtype: DType) -> [UInt8] {
        let descr = dtype == .float32 ? NumPyDType.float32.descr : NumPyDType.float64.descr
        let dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(formatShape(shape)), }"
        // Version 1.0 stores the header length in 2 bytes; 2.0 in 4.
        var lengthBytes = 2
        var padded = paddedHeader(dict, prefixLength: magic.count + 2 + lengthBytes)
        if padded.count > Int(UInt16.max) {
            lengthBytes = 4
            padded = paddedHeader(dict, prefixLength: magic.count + 2 + lengthBytes)
        }
        var out = magic + [UInt8(lengthBytes == 2 ? 1 : 2), 0]
        for i in 0..<lengthBytes { out.append(UInt8((padded.count >> (8 * i)) & 0xFF)) }
        return out + padded
    }

    private static func paddedHeader(_ dict: String, prefixLength: Int) -> [UInt8] {
        var bytes = Array(dict.utf8)
        let total = prefixLength + bytes.count + 1
        bytes += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64)
        return bytes + [0x0A]
    }
}

/// The raw bytes of a tensor's elements (native order, little-endian on every supported machine).
func withRawBytes<R>(of tensor: Tensor, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    switch tensor.storage {
    case .float32(let a): return try a.withUnsafeBytes(body)
    case .float64(let a): return try a.withUnsafeBytes(body)
    }
}

/// Decodes an `.npy` stream chunk by chunk (as a zip entry is inflated), copying the elements straight into
/// their final array: the data is held once.
struct NPYDecoder {
    let source: String
    /// Size of the whole stream when known beforehand, to report truncation before allocating.
    let totalBytes: Int?

    private var prefix: [UInt8] = []
    private var headerLength: Int?
    private var dataStart: Int?
    private(set) var shape: [Int] = []
    private(set) var dtype = NumPyDType.float32
    private var expectedBytes = 0
    private var receivedBytes = 0
    private var floats: [Float] = []
    private var doubles: [Double] = []
    private var raw: [UInt8] = []

    init(source: String, totalBytes: Int? = nil) {
        self.source = source
        self.totalBytes = totalBytes
    }

    /// Takes the next chunk of the stream.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        var rest = chunk
        if dataStart == nil {
            rest = try consumeHeader(chunk)
            if dataStart == nil { return }
        }
        let count = min(rest.count, expectedBytes - receivedBytes)
        guard count > 0, let source = rest.baseAddress else { return }
        func copy(_ destination: UnsafeMutableRawBufferPointer) {
            (destination.baseAddress! + receivedBytes).copyMemory(from: source, byteCount: count)
        }
        switch dtype {
        case .float32: floats.withUnsafeMutableBytes(copy)
        case .float64: doubles.withUnsafeMutableBytes(copy)
        default: raw.withUnsafeMutableBytes(copy)
        }
        receivedBytes += count
    }

    /// Reads header bytes from `chunk` and returns what follows them.
    private mutating func consumeHeader(_ chunk: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        var used = 0
        while dataStart == nil {
            let needed: Int
            if prefix.count < 10 {
                needed = 10
            } else if headerLength == nil {
                needed = prefix[6] == 1 ? 10 : 12
            } else {
                needed = (prefix[6] == 1 ? 10 : 12) + headerLength!
            }
            let take = min(needed - prefix.count, chunk.count - used)
            prefix.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[used..<(used + take)]))
            used += take
            let checked = min(prefix.count, NPY.magic.count)
            guard prefix[..<checked].elementsEqual(NPY.magic[..<checked]) else { throw DatasetError.badMagic(source: source) }
            guard prefix.count == needed else { break }  // the chunk is used up
            if headerLength == nil {
                if prefix.count == 10 {
                    let (major, minor) = (prefix[6], prefix[7])
                    guard [1, 2, 3].contains(major), minor == 0 else {
                        throw DatasetError.malformedHeader(source: source,
                            detail: "format version \(major).\(minor) is not supported; expected 1.0, 2.0 or 3.0")
                    }
                    if major == 1 { headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 }
                } else {
                    headerLength = (8..<12).reduce(0) { $0 | Int(prefix[$1]) << (8 * ($1 - 8)) }
                }
            } else {
                try parseHeader(Array(prefix[(prefix[6] == 1 ? 10 : 12)...]), version: prefix[6])
                dataStart = prefix.count
            }
        }
        return UnsafeRawBufferPointer(rebasing: chunk[used...])
    }

    private mutating func parseHeader(_ bytes: [UInt8], version: UInt8) throws {
        let (dtype, shape, count, byteCount) = try Self.headerFields(bytes, version: version, source: source)
        if let totalBytes, totalBytes - prefix.count < byteCount {
            throw DatasetError.truncatedData(source: source, expectedBytes: byteCount, actualBytes: totalBytes - prefix.count)
        }
        self.shape = shape
        self.dtype = dtype
        expectedBytes = byteCount
        switch dtype {
        case .float32: floats = [Float](repeating: 0, count: count)
        case .float64: doubles = [Double](repeating: 0, count: count)
        default: raw = [UInt8](repeating: 0, count: byteCount)
        }
    }

    /// The element type, shape, element count and data size announced by the header dict `bytes` (after the
    /// magic string, version and length) of a format-`version` file.
    static func headerFields(_ bytes: [UInt8], version: UInt8, source: String) throws
        -> (dtype: NumPyDType, shape: [Int], count: Int, bytes: Int) {
        // Versions 1.0 and 2.0 write the header in Latin-1, 3.0 in UTF-8.
        let text = version == 3 ? String(decoding: bytes, as: UTF8.self)
                                : String(bytes.map { Character(UnicodeScalar($0)) })
        let literal: PythonLiteral
        do { literal = try PythonLiteral.parse(text) } catch let failure as PythonLiteral.ParseFailure {
            throw DatasetError.malformedHeader(source: source, detail: failure.message)
        }
        guard case .dictionary(let items) = literal else {
            throw DatasetError.malformedHeader(source: source, detail: "expected a dict with 'descr', 'fortran_order' and 'shape'")
        }
        func entry(_ key: String) throws -> PythonLiteral {
            guard let item = items.first(where: { $0.key == .string(key) }) else {
                throw DatasetError.malformedHeader(source: source, detail: "no '\(key)' key; expected 'descr', 'fortran_order' and 'shape'")
            }
            return item.value
        }
        guard case .string(let descr) = try entry("descr") else {
            throw DatasetError.unsupportedDType(source: source, descr: "\(try entry("descr"))",
                                                supported: NumPyDType.allCases.map(\.descr))
        }
        guard let dtype = NumPyDType(descr: descr) else {
            throw DatasetError.unsupportedDType(source: source, descr: descr, supported: NumPyDType.allCases.map(\.descr))
        }
        guard case .boolean(let fortranOrder) = try entry("fortran_order") else {
            throw DatasetError.malformedHeader(source: source, detail: "'fortran_order' must be True or False")
        }
        if fortranOrder { throw DatasetError.fortranOrder(source: source) }
        guard case .sequence(let dimensions) = try entry("shape") else {
            throw DatasetError.malformedHeader(source: source, detail: "'shape' must be a tuple of integers")
        }
        var shape: [Int] = []
        var count = 1
        for dimension in dimensions {
            guard case .integer(let n) = dimension, n >= 0 else {
                throw DatasetError.malformedHeader(source: source, detail: "'shape' must be a tuple of integers ≥ 0")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw DatasetError.malformedHeader(source: source, detail: "shape \(formatShape(shape + [n])) is too large") }
            shape.append(n)
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow else { throw DatasetError.malformedHeader(source: source, detail: "shape \(formatShape(shape)) is too large") }
        return (dtype, shape, count, byteCount)
    }

    /// The array, once the whole stream has been consumed.
    mutating func finish() throws -> NumPyArray {
        guard dataStart != nil else {
            if prefix.count < NPY.magic.count { throw DatasetError.badMagic(source: source) }
            throw DatasetError.malformedHeader(source: source, detail: "the file ends inside the header, after \(prefix.count) bytes")
        }
        guard receivedBytes == expectedBytes else {
            throw DatasetError.truncatedData(source: source, expectedBytes: expectedBytes, actualBytes: receivedBytes)
        }
        let elements: NumPyArray.Elements
        switch dtype {
        case .float32: elements = .float32(floats); floats = []
        case .float64: elements = .float64(doubles); doubles = []
        case .int64: elements = .int64(raw.withUnsafeBytes { b in (0..<(b.count / 8)).map { b.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) } })
        case .int32: elements = .int32(raw.withUnsafeBytes { b in (0..<(b.count / 4)).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) } })
        case .bool: elements = .bool(raw.map { $0 != 0 })
        case .uint8: elements = .uint8(raw)
        }
        return NumPyArray(shape: shape, elements: elements, source: source)
    }
}

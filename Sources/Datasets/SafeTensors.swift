import Foundation
import Tensors

/// Named tensors and a string metadata dictionary in the safetensors format (used for checkpoints).
///
/// Layout: an 8-byte little-endian header length `N`; `N` bytes of UTF-8 JSON
/// `{"__metadata__": {"key": "value"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, …}`
/// padded with spaces to a multiple of 8; then the data buffer, each tensor's little-endian elements at
/// `data_offsets` (begin, end) relative to the buffer's start. The tensors cover the buffer with no gaps or
/// overlaps; this package writes them in sorted name order. Reads and writes `F32` and `F64`.
/// Specification: https://github.com/huggingface/safetensors#format
public struct SafeTensors: Sendable {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public static let metadataKey = "__metadata__"
    static let dtypeNames: [DType: String] = [.float32: "F32", .float64: "F64"]
    /// Largest header accepted, as the reference implementation (100 MB).
    static let maximumHeaderLength = 100_000_000

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    // MARK: - Reading

    /// Reads the safetensors file at `url`.
    public init(contentsOf url: URL) throws {
        try AtomicFile.checkExists(url)
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw DatasetError.unreadableFile(path: url.path, detail: "\(error)")
        }
        try self.init(decoding: data, source: url.lastPathComponent)
    }

    /// Decodes a safetensors file held in memory; `source` names it in error messages.
    public init(decoding data: Data, source: String = "safetensors") throws {
        func malformed(_ detail: String) -> DatasetError { .malformedSafeTensors(source: source, detail: detail) }
        guard data.count >= 8 else { throw malformed("\(data.count) bytes is too short; expected an 8-byte header length first") }
        let headerLength = data.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(min(data.count - 8, SafeTensors.maximumHeaderLength)) else {
            throw malformed("header length \(headerLength) exceeds the \(data.count - 8) bytes after it")
        }
        let start = data.startIndex
        let headerBytes = data[(start + 8)..<(start + 8 + Int(headerLength))]
        guard headerBytes.first == UInt8(ascii: "{") else { throw malformed("expected the JSON header to start with '{'") }
        guard let header = (try? JSONSerialization.jsonObject(with: Data(headerBytes))) as? [String: Any] else {
            throw malformed("the header is not a JSON object")
        }
        let buffer = data[(start + 8 + Int(headerLength))...]

        var metadata: [String: String] = [:]
        if let value = header[SafeTensors.metadataKey] {
            guard let dictionary = value as? [String: Any],
                  let strings = dictionary as? [String: String] else {
                throw malformed("'\(SafeTensors.metadataKey)' must map strings to strings")
            }
            metadata = strings
        }
        var tensors: [String: Tensor] = [:]
        var ranges: [(name: String, range: Range<Int>)] = []
        for (name, value) in header where name != SafeTensors.metadataKey {
            guard let info = value as? [String: Any] else { throw malformed("entry '\(name)' must be an object") }
            guard let dtypeName = info["dtype"] as? String else { throw malformed("entry '\(name)' has no string 'dtype'") }
            guard let dtype = SafeTensors.dtypeNames.first(where: { $0.value == dtypeName })?.key else {
                throw DatasetError.unsupportedDType(source: "\(source): \(name)", descr: dtypeName,
                                                    supported: SafeTensors.dtypeNames.values.sorted())
            }
            guard let shape = SafeTensors.integers(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw malformed("entry '\(name)' needs 'shape', a list of integers ≥ 0")
            }
            guard let offsets = SafeTensors.integers(info["data_offsets"]), offsets.count == 2,
                  0 <= offsets[0], offsets[0] <= offsets[1] else {
                throw malformed("entry '\(name)' needs 'data_offsets', [begin, end] with 0 ≤ begin ≤ end")
            }
            // The element count and byte size, overflow-checked: a shape such as [2^62, 4] names no real tensor.
            var bytes: Int? = shape.contains(0) ? 0 : dtype.byteCount
            for n in shape {
                guard let b = bytes else { break }
                let (product, overflow) = b.multipliedReportingOverflow(by: n)
                bytes = overflow ? nil : product
            }
            guard let bytes else {
                throw malformed("entry '\(name)' has shape \(shape), whose size overflows; expected one that fits the \(buffer.count) bytes of data")
            }
            guard offsets[1] - offsets[0] == bytes else {
                throw malformed("entry '\(name)' of shape \(shape) and dtype \(dtypeName) needs \(bytes) bytes, its data_offsets \(offsets) span \(offsets[1] - offsets[0])")
            }
            guard offsets[1] <= buffer.count else {
                throw DatasetError.truncatedData(source: "\(source): \(name)", expectedBytes: offsets[1], actualBytes: buffer.count)
            }
            ranges.append((name, offsets[0]..<offsets[1]))
            let data = buffer[(buffer.startIndex + offsets[0])..<(buffer.startIndex + offsets[1])]
            tensors[name] = SafeTensors.tensor(shape: shape, dtype: dtype, bytes: data)
        }
        // The entries must tile the buffer: no gaps, no overlaps.
        var end = 0
        for (name, range) in ranges.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) {
            guard range.lowerBound == end else {
                throw malformed("entry '\(name)' starts at byte \(range.lowerBound), expected \(end) (entries must cover the data without gaps or overlaps)")
            }
            end = range.upperBound
        }
        guard end == buffer.count else { throw malformed("the data holds \(buffer.count) bytes but the entries cover \(end)") }
        self.init(tensors: tensors, metadata: metadata)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            guard let number = item as? NSNumber, let n = Int(exactly: number.doubleValue),
                  Double(n) == number.doubleValue else { return nil }
            out.append(n)
        }
        return out
    }

    private static func tensor(shape: [Int], dtype: DType, bytes: Data) -> Tensor {
        let count = shape.reduce(1, *)
        func load<T: TensorScalar>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { out, n in
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(out).copyMemory(from: $0) }
                n = count
            }
        }
        return dtype == .float32 ? Tensor(shape: shape, scalars: load(Float.self)) : Tensor(shape: shape, scalars: load(Double.self))
    }

    // MARK: - Writing

    /// The safetensors encoding: tensors in sorted name order, header padded with spaces to 8 bytes.
    public func encoded() -> Data {
        let names = tensors.keys.sorted()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(SafeTensors.jsonString($0)):\(SafeTensors.jsonString(metadata[$0]!))" }
            entries.append("\(SafeTensors.jsonString(SafeTensors.metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let size = tensor.count * tensor.dtype.byteCount
            entries.append("\(SafeTensors.jsonString(name)):{\"dtype\":\"\(SafeTensors.dtypeNames[tensor.dtype]!)\",\"shape\":[\(tensor.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for name in names { withRawBytes(of: tensors[name]!) { data.append(contentsOf: $0) } }
        return data
    }

    /// Writes the file to `url` atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(encoded(), to: url)
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

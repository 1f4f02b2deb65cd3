import Foundation
import Tensors
import ZIPFoundation

/// NumPy's `.npz` format: a zip archive with one `.npy` entry per array, `NAME.npy` holding array `NAME`.
/// `np.savez` stores the entries, `np.savez_compressed` deflates them, and both mark them Zip64.
///
/// The file is memory-mapped and its directory read (`ZipDirectory`, which bounds every declared size by the
/// file's real size). Arrays are read on demand by name, each inflated chunk by chunk straight into its final
/// array, its size and CRC-32 checked; an array that is not asked for is never read, so arrays of other types
/// (e.g. integer labels) do not get in the way. Reading an array allocates at most its declared contents
/// size, which is at most the file's size for a stored entry and 1032 times its compressed size for a
/// deflated one (`ZipDirectory.maximumDeflateRatio`).
public struct NPZArchive {
    public let url: URL
    /// Names of the arrays (entry names without `.npy`), in archive order.
    public let names: [String]
    private let file: MappedFile
    private let directory: ZipDirectory

    /// Opens the archive at `url` and lists its arrays.
    public init(contentsOf url: URL) throws {
        file = try MappedFile(url)
        directory = try ZipDirectory(file)
        self.url = url
        names = directory.entries.filter { $0.isFile && $0.name.hasSuffix(".npy") }.map { String($0.name.dropLast(4)) }
    }

    /// Array `name` (entry `name.npy`).
    public func array(_ name: String) throws -> NumPyArray {
        guard let entry = directory.entries.first(where: { $0.isFile && $0.name == "\(name).npy" }) else {
            throw DatasetError.missingArray(name: name, path: url.path, available: names)
        }
        var decoder = NPYDecoder(source: "\(url.lastPathComponent): \(name).npy", totalBytes: entry.uncompressedSize)
        try directory.read(entry, of: file) { try decoder.consume($0) }
        return try decoder.finish()
    }

    /// Array `name` as a tensor; it must be `<f4` or `<f8`.
    public func tensor(_ name: String) throws -> Tensor {
        try array(name).tensor()
    }

    // MARK: - Writing

    /// Writes `arrays` (in order) to `url` as an `.npz` file that `numpy.load` reads, atomically; `compressed`
    /// deflates the entries as `np.savez_compressed` does. Elements are streamed from the tensors.
    public static func write(_ arrays: [(name: String, tensor: Tensor)], to url: URL, compressed: Bool = false) throws {
        try write(entries: arrays.map { RawEntry(name: $0.name, tensor: $0.tensor) }, to: url, compressed: compressed)
    }

    /// One entry to write: its path in the archive, its size and a provider of its bytes by range.
    struct RawEntry {
        var name: String
        var size: Int
        var bytes: (_ position: Int, _ count: Int) -> Data

        init(name: String, size: Int, bytes: @escaping (_ position: Int, _ count: Int) -> Data) {
            self.name = name
            self.size = size
            self.bytes = bytes
        }

        /// The entry `name.npy` holding `tensor`, its elements streamed from the tensor.
        init(name: String, tensor: Tensor) {
            let header = NPY.header(shape: tensor.shape, dtype: tensor.dtype)
            let size = header.count + tensor.count * tensor.dtype.byteCount
            self.init(name: "\(name).npy", size: size) { position, count in
                // Bytes position..<position+count of header + elements.
                var chunk = Data(capacity: count)
                if position < header.count {
                    chunk.append(contentsOf: header[position..<min(header.count, position + count)])
                }
                let start = max(position - header.count, 0), end = position + count - header.count
                if end > start { withRawBytes(of: tensor) { chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[start..<end])) } }
                return chunk
            }
        }
    }

    /// Writes raw entries (also used by tests to make malformed files).
    static func write(entries: [RawEntry], to url: URL, compressed: Bool) throws {
        try AtomicFile.write(to: url) { temporary in
            let archive = try Archive(url: temporary, accessMode: .create)
            for entry in entries {
                try archive.addEntry(with: entry.name, type: .file, uncompressedSize: Int64(entry.size),
                                     modificationDate: Date(timeIntervalSince1970: 315_532_800),  // 1980-01-01, as NumPy
                                     compressionMethod: compressed ? .deflate : .none, bufferSize: 1 << 20) { position, count in
                    entry.bytes(Int(position), count)
                }
            }
        }
    }
}

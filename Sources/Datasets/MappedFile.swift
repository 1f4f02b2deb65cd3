import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory (`mmap`): its bytes are read from disk as they are touched, so a
/// file larger than memory can be used. Unmapped when the last reference goes.
final class MappedFile: @unchecked Sendable {
    let url: URL
    /// The whole file; valid while `self` lives.
    let bytes: UnsafeRawBufferPointer

    init(_ url: URL) throws {
        try AtomicFile.checkExists(url)
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            throw DatasetError.unreadableFile(path: url.path, detail: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw DatasetError.unreadableFile(path: url.path, detail: String(cString: strerror(errno)))
        }
        let size = Int(status.st_size)
        self.url = url
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw DatasetError.unreadableFile(path: url.path, detail: "cannot map it into memory: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let start = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: start), bytes.count) }
    }

    /// The little-endian unsigned integer of `width` bytes at `offset` (nil past the end).
    func integer(at offset: Int, width: Int) -> Int? {
        // `offset <= count - width` rather than `offset + width <= count`: offsets read from a file may be
        // near Int.max, where the sum would overflow.
        guard offset >= 0, (0...8).contains(width), offset <= bytes.count - width else { return nil }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return value > UInt64(Int.max) ? nil : Int(value)
    }
}

#if canImport(CZlib)
import CZlib  // zlib, as ZIPFoundation links it on Linux
#elseif canImport(zlib)
import zlib
#endif

/// Reading an entry of a zip archive from its memory-mapped file: stored entries straight from the mapping,
/// deflated ones inflated with zlib a chunk at a time, both checked as NumPy's `zipfile` checks them.
///
/// - The contents must have exactly the size the directory declares (a deflate stream that ends early, runs
///   on, or inflates to more is an error, found before more than one chunk past the declared size is
///   made); `ZipDirectory` has already bounded that size by the file's real size.
/// - Their CRC-32 must match the directory's (a damaged member is never read as if intact).
///
/// Errors are `DatasetError.corruptArchive` naming `archive: entry` and saying what was expected.
extension ZipDirectory {
    /// Passes the contents of `entry` of `file` to `body` in order, in pieces of at most `chunkBytes`, then
    /// checks their size and CRC-32. `body` may throw to stop early.
    func read(_ entry: Entry, of file: MappedFile, chunkBytes: Int = 1 << 20,
              _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let source = "\(file.url.lastPathComponent): \(entry.name)"
        func corrupt(_ detail: String) -> DatasetError { .corruptArchive(source: source, detail: detail) }
        guard !entry.isEncrypted else { throw corrupt("the entry is encrypted; expected a plain zip archive") }
        let data = UnsafeRawBufferPointer(rebasing: file.bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)])
        var checksum: UInt = 0
        var produced = 0
        func emit(_ piece: UnsafeRawBufferPointer) throws {
            guard piece.count <= entry.uncompressedSize - produced else {
                throw corrupt("the data inflates to more than the \(entry.uncompressedSize) bytes its header declares")
            }
            checksum = Self.updatedCRC32(checksum, piece)
            produced += piece.count
            try body(piece)
        }
        switch entry.compressionMethod {
        case 0:
            var start = 0
            while start < data.count {
                let end = min(data.count, start + chunkBytes)
                try emit(UnsafeRawBufferPointer(rebasing: data[start..<end]))
                start = end
            }
        case 8:
            try Self.inflateRaw(data, chunkBytes: chunkBytes, corrupt: corrupt, emit)
        default:
            throw corrupt("compression method \(entry.compressionMethod) is not supported; expected 0 (stored) or 8 (deflated)")
        }
        guard produced == entry.uncompressedSize else {
            throw corrupt("the data holds \(produced) bytes, its header declares \(entry.uncompressedSize)")
        }
        guard UInt32(checksum) == entry.crc32 else {
            throw corrupt("the CRC-32 of the contents is \(hex(UInt32(checksum))), its header records \(hex(entry.crc32)) (damaged?)")
        }
    }

    /// Checks the size and CRC-32 of `entry` without using its contents.
    func verify(_ entry: Entry, of file: MappedFile) throws {
        try read(entry, of: file, chunkBytes: 1 << 24) { _ in }
    }

    /// zlib's CRC-32 of `bytes`, continuing `checksum`, fed in pieces its 32-bit length can hold.
    private static func updatedCRC32(_ checksum: UInt, _ bytes: UnsafeRawBufferPointer) -> UInt {
        var checksum = checksum, start = 0
        while start < bytes.count {
            let count = min(bytes.count - start, 1 << 30)
            checksum = crc32(checksum, (bytes.baseAddress! + start).assumingMemoryBound(to: UInt8.self), UInt32(count))
            start += count
        }
        return checksum
    }

    /// Inflates the raw deflate stream `data`, passing each output chunk (at most `chunkBytes`) to `emit`.
    private static func inflateRaw(_ data: UnsafeRawBufferPointer, chunkBytes: Int, corrupt: (String) -> DatasetError,
                                _ emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw corrupt("zlib cannot start inflating")
        }
        defer { inflateEnd(&stream) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { output.deallocate() }
        var consumed = 0
        while true {
            // zlib takes at most 4 GB at a time; give it what is left of the entry's data, never more.
            let available = min(data.count - consumed, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(mutating: data.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed })
            stream.avail_in = UInt32(available)
            stream.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(chunkBytes)
            let status = inflate(&stream, Z_NO_FLUSH)
            consumed += available - Int(stream.avail_in)
            let made = chunkBytes - Int(stream.avail_out)
            if made > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[..<made])) }
            switch status {
            case Z_STREAM_END:
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR where consumed == data.count:
                // No progress was possible: all the entry's data is in, and the stream has not ended.
                throw corrupt("the deflated data ends before its stream does (cut short?)")
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw corrupt("the deflated data is damaged (zlib: \(reason))")
            }
        }
    }
}

/// `value` as 0x-prefixed hexadecimal, 8 digits.
private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

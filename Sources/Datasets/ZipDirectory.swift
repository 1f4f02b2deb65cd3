/// The entries of a zip archive as its central directory lists them (Zip64 included), with where each
/// entry's data starts in the file: enough to read entries (`ZipDirectory+Reading.swift`) and to use stored
/// (uncompressed) ones in place, as `MappedTaskFamily` does with the arrays of an `.npz` file.
///
/// Layout (PKWARE APPNOTE 4.3): the end-of-central-directory record (signature 0x06054b50) at the end of the
/// file gives the directory's offset and entry count; where they overflow 16/32 bits, the Zip64 record
/// (0x06064b50, found through its locator 0x07064b50 just before) holds 64-bit values. Each directory header
/// (0x02014b50) gives an entry's method, CRC-32, sizes and local-header offset (in its Zip64 extra field,
/// id 1, when they overflow); the data starts after the local header (0x04034b50), its name and extra field.
///
/// Every offset and size read from the file is checked before it is used, with overflow-checked arithmetic:
/// each entry's data must lie inside the file, a stored entry's two sizes must agree, and a deflated entry
/// may not declare more than `maximumDeflateRatio` times its compressed size. So the sizes of an entry that
/// passes bound what reading it allocates by the file's real size.
struct ZipDirectory {
    struct Entry {
        var name: String
        /// 0: stored, 8: deflated.
        var compressionMethod: Int
        /// Bit 0 of the general-purpose flags: the entry is encrypted.
        var isEncrypted: Bool
        /// A folder (name ending in `/`) or a symbolic link (Unix mode), not a regular file.
        var isFile: Bool
        /// The CRC-32 of the contents, as the directory records it.
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        /// Offset of the entry's (possibly compressed) data in the file.
        var dataOffset: Int
    }

    /// The largest expansion of deflate (RFC 1951): a match of at most 258 bytes costs at least two bits (a
    /// length and a distance code), so n compressed bytes inflate to at most 1032·n bytes.
    static let maximumDeflateRatio = 1032

    let entries: [Entry]

    init(_ file: MappedFile) throws {
        let path = file.url.path, source = file.url.lastPathComponent
        func corrupt(_ detail: String) -> DatasetError { .corruptArchive(source: source, detail: detail) }
        /// The integer of `width` bytes at `base + delta`.
        func read(_ base: Int, _ delta: Int, _ width: Int) throws -> Int {
            let (offset, overflow) = base.addingReportingOverflow(delta)
            guard !overflow, let value = file.integer(at: offset, width: width) else {
                throw corrupt("a record at offset \(base) runs past the end of the file (\(file.bytes.count) bytes)")
            }
            return value
        }
        // The end-of-central-directory record: 22 bytes and a comment of up to 65,535.
        let size = file.bytes.count
        guard size >= 22 else { throw DatasetError.notAZipArchive(path: path) }
        var end: Int?
        for offset in stride(from: size - 22, through: max(0, size - 22 - 65_535), by: -1) where file.integer(at: offset, width: 4) == 0x0605_4B50 {
            end = offset
            break
        }
        guard let end else { throw DatasetError.notAZipArchive(path: path) }
        var count = try read(end, 10, 2), directorySize = try read(end, 12, 4), directoryOffset = try read(end, 16, 4)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            guard end >= 20, try read(end - 20, 0, 4) == 0x0706_4B50 else { throw corrupt("no Zip64 locator before the end record") }
            let record = try read(end - 20, 8, 8)
            guard try read(record, 0, 4) == 0x0606_4B50 else { throw corrupt("no Zip64 end record at offset \(record)") }
            count = try read(record, 32, 8)
            directorySize = try read(record, 40, 8)
            directoryOffset = try read(record, 48, 8)
        }
        // Each directory header takes at least 46 bytes.
        guard count <= size / 46 else {
            throw corrupt("the end record lists \(count) entries, more than a file of \(size) bytes can hold")
        }
        var entries: [Entry] = []
        var offset = directoryOffset
        for _ in 0..<count {
            guard try read(offset, 0, 4) == 0x0201_4B50 else { throw corrupt("no directory header at offset \(offset)") }
            // `offset` now lies inside the file, so adding a header's fixed and 16-bit lengths cannot overflow.
            let madeBy = try read(offset, 4, 2), flags = try read(offset, 8, 2), method = try read(offset, 10, 2)
            let crc = try read(offset, 16, 4)
            var compressed = try read(offset, 20, 4), uncompressed = try read(offset, 24, 4)
            let nameLength = try read(offset, 28, 2), extraLength = try read(offset, 30, 2), commentLength = try read(offset, 32, 2)
            let attributes = try read(offset, 38, 4)
            var localHeader = try read(offset, 42, 4)
            guard offset + 46 + nameLength <= size else { throw corrupt("a directory header runs past the end of the file") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: file.bytes[(offset + 46)..<(offset + 46 + nameLength)]), as: UTF8.self)
            // The Zip64 extra field holds, in this order, the values whose 32-bit fields are all ones.
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let (id, length) = (try read(extra, 0, 2), try read(extra, 2, 2))
                if id == 1 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try read(field, 0, 8); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try read(field, 0, 8); field += 8 }
                    if localHeader == 0xFFFF_FFFF { localHeader = try read(field, 0, 8) }
                }
                extra += 4 + length
            }
            guard try read(localHeader, 0, 4) == 0x0403_4B50 else { throw corrupt("no local header for \(name) at offset \(localHeader)") }
            let dataOffset = localHeader + 30 + (try read(localHeader, 26, 2)) + (try read(localHeader, 28, 2))
            guard dataOffset <= size else { throw corrupt("the local header of \(name) runs past the end of the file") }
            try Self.checkSizes(name: name, method: method, compressed: compressed, uncompressed: uncompressed,
                                available: size - dataOffset, corrupt: corrupt)
            // Unix mode (made by 3): the file type in the top bits of the external attributes.
            let isLink = madeBy >> 8 == 3 && (attributes >> 16) & 0o170000 == 0o120000
            entries.append(Entry(name: name, compressionMethod: method, isEncrypted: flags & 1 != 0,
                                 isFile: !name.hasSuffix("/") && !isLink, crc32: UInt32(crc),
                                 compressedSize: compressed, uncompressedSize: uncompressed, dataOffset: dataOffset))
            offset += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// Checks an entry's declared sizes against the `available` bytes from its data to the end of the file.
    private static func checkSizes(name: String, method: Int, compressed: Int, uncompressed: Int, available: Int,
                                   corrupt: (String) -> DatasetError) throws {
        guard compressed <= available else {
            throw corrupt("\(name) declares \(compressed) bytes of data, but only \(available) follow its header (cut short?)")
        }
        switch method {
        case 0:
            guard uncompressed == compressed else {
                throw corrupt("\(name) is stored uncompressed but declares \(uncompressed) bytes of contents in \(compressed) bytes of data; expected equal sizes")
            }
        case 8:
            let (bound, overflow) = compressed.multipliedReportingOverflow(by: maximumDeflateRatio)
            guard overflow || uncompressed <= bound else {
                throw corrupt("\(name) declares \(uncompressed) bytes inflated from \(compressed); deflate expands at most \(maximumDeflateRatio):1")
            }
        default:
            break  // refused when read
        }
    }
}

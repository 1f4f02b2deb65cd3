/// The entries of a zip archive as its central directory lists them (Zip64 included), with where each
/// entry's data starts in the file: enough to use stored (uncompressed) entries in place, as
/// `MappedTaskFamily` does with the arrays of an `.npz` file.
///
/// Layout (PKWARE APPNOTE 4.3): the end-of-central-directory record (signature 0x06054b50) at the end of the
/// file gives the directory's offset and entry count; where they overflow 16/32 bits, the Zip64 record
/// (0x06064b50, found through its locator 0x07064b50 just before) holds 64-bit values. Each directory header
/// (0x02014b50) gives an entry's method, sizes and local-header offset (in its Zip64 extra field, id 1,
/// when they overflow); the data starts after the local header (0x04034b50), its name and extra field.
struct ZipDirectory {
    struct Entry {
        var name: String
        /// 0: stored, 8: deflated.
        var compressionMethod: Int
        var compressedSize: Int
        var uncompressedSize: Int
        /// Offset of the entry's (possibly compressed) data in the file.
        var dataOffset: Int
    }

    let entries: [Entry]

    init(_ file: MappedFile) throws {
        let path = file.url.path, source = file.url.lastPathComponent
        func corrupt(_ detail: String) -> DatasetError { .corruptArchive(source: source, detail: detail) }
        func read(_ offset: Int, _ width: Int) throws -> Int {
            guard let value = file.integer(at: offset, width: width) else { throw corrupt("a record runs past the end of the file") }
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
        var count = try read(end + 10, 2), directorySize = try read(end + 12, 4), directoryOffset = try read(end + 16, 4)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            guard end >= 20, try read(end - 20, 4) == 0x0706_4B50 else { throw corrupt("no Zip64 locator before the end record") }
            let record = try read(end - 20 + 8, 8)
            guard try read(record, 4) == 0x0606_4B50 else { throw corrupt("no Zip64 end record at offset \(record)") }
            count = try read(record + 32, 8)
            directorySize = try read(record + 40, 8)
            directoryOffset = try read(record + 48, 8)
        }
        var entries: [Entry] = []
        var offset = directoryOffset
        for _ in 0..<count {
            guard try read(offset, 4) == 0x0201_4B50 else { throw corrupt("no directory header at offset \(offset)") }
            let method = try read(offset + 10, 2)
            var compressed = try read(offset + 20, 4), uncompressed = try read(offset + 24, 4)
            let nameLength = try read(offset + 28, 2), extraLength = try read(offset + 30, 2), commentLength = try read(offset + 32, 2)
            var localHeader = try read(offset + 42, 4)
            guard offset + 46 + nameLength <= size else { throw corrupt("a directory header runs past the end of the file") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: file.bytes[(offset + 46)..<(offset + 46 + nameLength)]), as: UTF8.self)
            // The Zip64 extra field holds, in this order, the values whose 32-bit fields are all ones.
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let (id, length) = (try read(extra, 2), try read(extra + 2, 2))
                if id == 1 {
                    var field = extra + 4
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try read(field, 8); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try read(field, 8); field += 8 }
                    if localHeader == 0xFFFF_FFFF { localHeader = try read(field, 8) }
                }
                extra += 4 + length
            }
            guard try read(localHeader, 4) == 0x0403_4B50 else { throw corrupt("no local header for \(name) at offset \(localHeader)") }
            let dataOffset = localHeader + 30 + (try read(localHeader + 26, 2)) + (try read(localHeader + 28, 2))
            guard dataOffset + compressed <= size else {
                throw corrupt("the data of \(name) runs past the end of the file (cut short?)")
            }
            entries.append(Entry(name: name, compressionMethod: method, compressedSize: compressed,
                                 uncompressedSize: uncompressed, dataOffset: dataOffset))
            offset += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }
}

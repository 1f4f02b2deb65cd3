import Foundation

/// One entry of a zip archive made by hand (`zipArchive(_:)`), whose header fields a test may set to lie:
/// each `nil` field is written truthfully.
struct HandMadeZipEntry {
    var name: String
    /// The data as stored: the contents for method 0, a raw deflate stream for method 8.
    var data: [UInt8]
    var method: UInt16 = 0
    var crc32: UInt32?
    var compressedSize: UInt64?
    var uncompressedSize: UInt64?
    var localHeaderOffset: UInt64?
    /// Write the sizes and the local-header offset as all ones, with the real values in a Zip64 extra field.
    var zip64 = false
}

/// A zip archive of `entries`: local headers and data, then the central directory and its end record, each
/// field little-endian as PKWARE's APPNOTE lays them out.
func zipArchive(_ entries: [HandMadeZipEntry]) -> Data {
    var out: [UInt8] = []
    func put(_ value: UInt64, _ width: Int, into bytes: inout [UInt8]) {
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
    var directory: [UInt8] = []
    for entry in entries {
        let offset = UInt64(out.count), name = Array(entry.name.utf8)
        let crc = UInt64(entry.crc32 ?? crc32(entry.data))
        let compressed = entry.compressedSize ?? UInt64(entry.data.count)
        let uncompressed = entry.uncompressedSize ?? UInt64(entry.data.count)
        // Local header: signature, version, flags, method, time, date, CRC, sizes, name and extra lengths.
        put(0x0403_4B50, 4, into: &out); put(45, 2, into: &out); put(0, 2, into: &out); put(UInt64(entry.method), 2, into: &out)
        put(0, 4, into: &out); put(crc, 4, into: &out)
        put(min(compressed, 0xFFFF_FFFF), 4, into: &out); put(min(uncompressed, 0xFFFF_FFFF), 4, into: &out)
        put(UInt64(name.count), 2, into: &out); put(0, 2, into: &out)
        out += name + entry.data
        // Directory header: as the local one, plus comment length, disk, attributes and the local offset.
        var extra: [UInt8] = []
        let localOffset = entry.localHeaderOffset ?? offset
        if entry.zip64 {
            put(1, 2, into: &extra); put(24, 2, into: &extra)
            put(uncompressed, 8, into: &extra); put(compressed, 8, into: &extra); put(localOffset, 8, into: &extra)
        }
        let all = UInt64(0xFFFF_FFFF)
        put(0x0201_4B50, 4, into: &directory); put(45, 2, into: &directory); put(45, 2, into: &directory)
        put(0, 2, into: &directory); put(UInt64(entry.method), 2, into: &directory); put(0, 4, into: &directory)
        put(crc, 4, into: &directory)
        put(entry.zip64 ? all : compressed, 4, into: &directory); put(entry.zip64 ? all : uncompressed, 4, into: &directory)
        put(UInt64(name.count), 2, into: &directory); put(UInt64(extra.count), 2, into: &directory)
        put(0, 2, into: &directory); put(0, 2, into: &directory); put(0, 2, into: &directory); put(0, 4, into: &directory)
        put(entry.zip64 ? all : localOffset, 4, into: &directory)
        directory += name + extra
    }
    let directoryOffset = UInt64(out.count)
    out += directory
    // End record: signature, disks, entry counts, directory size and offset, comment length.
    put(0x0605_4B50, 4, into: &out); put(0, 4, into: &out)
    put(UInt64(entries.count), 2, into: &out); put(UInt64(entries.count), 2, into: &out)
    put(UInt64(directory.count), 4, into: &out); put(directoryOffset, 4, into: &out); put(0, 2, into: &out)
    return Data(out)
}

/// CRC-32 (IEEE 802.3, as zip uses it), bit by bit: slow and obviously right.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// The offset of the first occurrence of `pattern` in `data`.
func offset(of pattern: [UInt8], in data: Data) -> Int? {
    let bytes = [UInt8](data)
    guard bytes.count >= pattern.count else { return nil }
    return (0...(bytes.count - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
}

/// The offset of the first central-directory header (signature 0x02014b50) in the zip archive `data`.
func firstDirectoryHeader(in data: Data) -> Int? {
    offset(of: [0x50, 0x4B, 0x01, 0x02], in: data)
}

/// The 4-byte little-endian field at `at` of `data`; `setUInt32Field` overwrites it.
func uint32Field(_ data: Data, at: Int) -> Int {
    (0..<4).reduce(0) { $0 | Int(data[at + $1]) << (8 * $1) }
}

func setUInt32Field(_ data: inout Data, at: Int, to value: Int) {
    for i in 0..<4 { data[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
}

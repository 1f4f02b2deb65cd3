import Datasets
import FuzzSupport

/// `.npz` files, through all three readers: `NPZArchive` (every array), `ArrayTaskFamily` (read whole) and
/// `MappedTaskFamily` (read in place, its first and last task).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.write(FuzzInput.data(bytes, count), to: "input.npz")
    if let archive = try? NPZArchive(contentsOf: url) {
        for name in archive.names { _ = try? archive.array(name) }
    }
    if let family = try? ArrayTaskFamily(contentsOf: url), family.count > 0 {
        _ = family.task(at: family.count - 1)
    }
    if let family = try? MappedTaskFamily(contentsOf: url), family.count > 0 {
        _ = family.task(at: 0)
        _ = family.task(at: family.count - 1)
    }
    return 0
}

FuzzInput.runLibFuzzer(fuzzOneInput)

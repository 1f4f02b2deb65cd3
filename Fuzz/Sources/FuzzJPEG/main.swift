import Datasets
import FuzzSupport

/// JPEG files, decoded to RGB and to grey.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = FuzzInput.data(bytes, count)
    _ = try? JPEGImage(decoding: data, channels: 3, source: "fuzz.jpg")
    _ = try? JPEGImage(decoding: data, channels: 1, source: "fuzz.jpg")
    return 0
}

FuzzInput.runLibFuzzer(fuzzOneInput)

import Datasets
import FuzzSupport

/// PNG files, decoded to grey and to RGB, then preprocessed as Omniglot drawings are.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = FuzzInput.data(bytes, count)
    _ = try? PNGImage(decoding: data, channels: 1, source: "fuzz.png")
    _ = try? PNGImage(decoding: data, channels: 3, source: "fuzz.png")
    _ = try? Omniglot.preprocess(png: data, file: "fuzz.png")
    return 0
}

FuzzInput.runLibFuzzer(fuzzOneInput)

import Datasets
import FuzzSupport

/// safetensors files (checkpoints): `SafeTensors(decoding:)` must return tensors or throw.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? SafeTensors(decoding: FuzzInput.data(bytes, count), source: "fuzz.safetensors")
    return 0
}

FuzzInput.runLibFuzzer(fuzzOneInput)

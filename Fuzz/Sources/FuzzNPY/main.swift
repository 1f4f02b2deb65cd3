import Datasets
import FuzzSupport

/// `.npy` files: `NPY.decode` must return an array or throw, whatever the bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? NPY.decode(FuzzInput.data(bytes, count), source: "fuzz.npy").tensor()
    return 0
}

FuzzInput.runLibFuzzer(fuzzOneInput)

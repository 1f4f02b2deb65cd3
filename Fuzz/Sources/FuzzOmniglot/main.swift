import Datasets
import FuzzSupport

/// Omniglot zip archives: listed (`OmniglotListing`), every drawing read and preprocessed (`Omniglot`), and
/// the same archive read as one-shot runs (`OmniglotOneShotRuns`), another layout of the same zip reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.write(FuzzInput.data(bytes, count), to: "input.zip")
    if let listing = try? OmniglotListing(sources: [url]) {
        _ = try? Omniglot(listing: listing, threads: 1)
    }
    _ = try? OmniglotOneShotRuns(contentsOf: url)
    return 0
}

FuzzInput.runLibFuzzer(fuzzOneInput)

// swift-tools-version: 6.1
//
// Fuzz targets for the file readers of MSR's Datasets module, run with libFuzzer. A package of its own, so
// that the main package's `swift build` and `swift test` neither build nor run them. See README.md.
//
//   swift build -c release -Xswiftc -sanitize=fuzzer,address   # from this folder
//   ./run.sh FuzzNPY 600                                        # one target for ten minutes
import PackageDescription

/// The readers fuzzed, one executable each: the name of the target, `Fuzz<Reader>`.
let readers = ["NPY", "NPZ", "SafeTensors", "PNG", "JPEG", "Omniglot", "MiniImageNet"]

let package = Package(
    name: "MSRFuzz",
    dependencies: [.package(name: "MSR", path: "..")],
    targets: readers.map { reader in
        // `LLVMFuzzerTestOneInput`, and a `main` that runs libFuzzer's driver on it.
        .executableTarget(name: "Fuzz\(reader)", dependencies: ["FuzzSupport", .product(name: "Datasets", package: "MSR")])
    } + [
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        .target(name: "CLibFuzzer"),
    ],
    swiftLanguageModes: [.v5]
)

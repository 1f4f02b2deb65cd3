// swift-tools-version: 6.1
//
// Writes the fuzz targets' seed corpus (../Corpus) with the main package's writers; built without
// sanitizers, apart from the fuzz package (a second `main` cannot link beside libFuzzer). See ../make-seeds.sh.
import PackageDescription

let package = Package(
    name: "MSRFuzzSeeds",
    dependencies: [.package(name: "MSR", path: "../..")],
    targets: [
        .executableTarget(name: "MakeSeeds", dependencies: [
            .product(name: "Datasets", package: "MSR"), .product(name: "Tensors", package: "MSR"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)

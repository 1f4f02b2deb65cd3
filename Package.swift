// swift-tools-version: 6.1
//
// MSR for Swift: Meta-Learning Symmetries by Reparameterization (Zhou, Knowles, Finn; ICLR 2021).
// Module chain (each depends only on the ones above it): Tensors → NeuralNets → Symmetry →
// MetaLearning → Datasets → msr. See README.md and DESIGN notes in the repository.
import PackageDescription

let package = Package(
    name: "MSR",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .executable(name: "msr", targets: ["msr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // MARK: - Public API
        .target(name: "Tensors"),
        .executableTarget(
            name: "msr",
            dependencies: [
                "Tensors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Implementation details
        .target(name: "TestSupport", dependencies: ["Tensors"]),

        // MARK: - Unit test bundles
        .testTarget(
            name: "TensorsTests",
            dependencies: ["Tensors", "TestSupport"],
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)

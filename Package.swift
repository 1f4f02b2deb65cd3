// swift-tools-version: 6.1
//
// MSR for Swift: Meta-Learning Symmetries by Reparameterization (Zhou, Knowles, Finn; ICLR 2021).
//
// Modules, each depending only on those before it:
//   Tensors       tensors, kernels, BLAS bridge, reverse-mode autodiff of any order, seeded random numbers
//   NeuralNets    layers as pure functions of a parameter tree, including the MSR layers
//   Symmetry      groups, symmetry matrices built from them, and how far a weight is from equivariance
//   Datasets      task families (synthetic and files), image class folders, .npy/.npz, safetensors, PNG/JPEG
//   MetaLearning  inner loops, meta-gradients, outer optimisers, evaluation, checkpoints
//   Distributed   data-parallel meta-training over MPI (Open MPI, loaded at run time: no build dependency)
//   msr           the command-line tool
import PackageDescription

let package = Package(
    name: "MSR",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NeuralNets", targets: ["NeuralNets"]),
        .library(name: "Symmetry", targets: ["Symmetry"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "MetaLearning", targets: ["MetaLearning"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .executable(name: "msr", targets: ["msr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // MARK: - Public API
        .target(name: "Tensors", dependencies: ["CVectorMath"]),
        .target(name: "NeuralNets", dependencies: ["Tensors"]),
        .target(name: "Symmetry", dependencies: ["Tensors", "NeuralNets"]),
        .target(
            name: "Datasets",
            dependencies: ["Tensors", "CLibPNG", "CLibJPEG", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.copy("Resources/omniglot")]),
        .target(name: "MetaLearning", dependencies: ["Tensors", "NeuralNets", "Symmetry", "Datasets"]),
        .target(name: "Distributed", dependencies: ["MetaLearning"]),
        .executableTarget(
            name: "msr",
            dependencies: [
                "Tensors", "NeuralNets", "Symmetry", "Datasets", "MetaLearning", "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Implementation details
        // libpng from the system (Debian: libpng-dev), for PNG pictures and image data sets.
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // libjpeg-turbo from the system (Debian: libjpeg62-turbo-dev), for mini-ImageNet's JPEG files.
        .systemLibrary(name: "CLibJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        // Square roots that loops can vectorise and the vector shuffles of GEMM packing, Winograd's gather and max
        // pooling (a header of inline functions, nothing to link).
        .systemLibrary(name: "CVectorMath"),
        .target(name: "TestSupport", dependencies: ["Tensors", "Datasets"]),

        // MARK: - Unit test bundles
        .testTarget(
            name: "TensorsTests",
            dependencies: ["Tensors", "TestSupport"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "NeuralNetsTests", dependencies: ["NeuralNets", "TestSupport"]),
        .testTarget(name: "SymmetryTests", dependencies: ["Symmetry", "Datasets", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], resources: [.copy("Resources")]),
        .testTarget(name: "MetaLearningTests", dependencies: ["MetaLearning", "TestSupport"]),
        .testTarget(name: "msrTests", dependencies: ["msr", "Datasets", "Tensors", "NeuralNets", "MetaLearning", "TestSupport"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "MetaLearning", "msr", "Datasets", "Tensors", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)

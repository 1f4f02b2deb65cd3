import Tensors
import TestSupport
import XCTest

/// Convolutions computed straight from the padded image (`DirectConvolution`), forced on with
/// `ConvolutionAlgorithm.withForced`: values against the definition, gradients of first and second order (the forward
/// and weight gradient run here, the input gradient image by image), the weight gradient against im2col's, thread
/// independence, and the choice by shape.
final class DirectConvolutionTests: XCTestCase {
    func testValuesMatchTheDefinition() {
        // Rows of exactly one vector (8), of a vector and an overlapping one (9, 15, 21, 30), of whole vectors (16) and an
        // odd count of vectors (28: 0, 8, 16, 20); 1–4 input channels; kernels 3×3, 2×5, 1×1 and 5×5 (25 taps, not a
        // multiple of the weight gradient's groups of 3); 1, 3, 5, 6 and 9 output channels (blocks of 4 and 3 with a
        // rest); padding 0, 1, 2 and asymmetric.
        assertConvolutionMatchesDefinition(.direct, [
            ([2, 1, 6, 8], [3, 1, 3, 3], (1, 1)), ([1, 1, 5, 11], [5, 1, 3, 3], (0, 0)), ([3, 2, 7, 15], [6, 2, 3, 3], (1, 1)),
            ([2, 3, 4, 16], [1, 3, 2, 5], (2, 2)), ([1, 4, 6, 21], [9, 4, 1, 1], (0, 0)), ([2, 1, 28, 28], [5, 1, 3, 3], (1, 1)),
            ([1, 1, 9, 30], [3, 1, 5, 5], (2, 2)), ([2, 2, 5, 12], [6, 2, 3, 3], (2, 0)),
        ])
    }

    func testGradientsOfFirstAndSecondOrder() {
        // An overlapping last vector (9 outputs), one whole vector (8), two input channels, a 2×3 kernel.
        assertConvolutionGradients(.direct, [
            ([2, 1, 6, 9], [3, 1, 3, 3], (1, 1)), ([1, 2, 4, 8], [5, 2, 3, 3], (1, 1)), ([1, 1, 4, 10], [4, 1, 2, 3], (1, 0)),
        ])
    }

    /// The weight gradient alone (x a constant) against im2col's ∂W = ∂y · colsᵀ: to 1e-12 of the largest magnitude in
    /// Float64; in Float32 within 2e-6 of the largest magnitude against im2col in Float64 (printed beside im2col's own
    /// Float32 error). Conv4's first layer on 80 images (each lane sums 80 · 28 · 4 products; 8 of its 64 output
    /// channels) and the 2-D families' (20 images, 30 × 30 outputs; 6 of 24 channels), and smaller odd shapes.
    func testWeightGradientMatchesIm2col() {
        let geometries: [ConvolutionGeometry] = [
            ([80, 1, 28, 28], [8, 1, 3, 3], (1, 1)), ([20, 1, 32, 32], [6, 1, 3, 3], (0, 0)), ([3, 3, 7, 13], [7, 3, 3, 3], (1, 2)),
            ([2, 2, 5, 9], [4, 2, 2, 5], (0, 2)),
        ]
        assertWeightGradientMatchesIm2col(.direct, geometries)
    }

    func testResultsDoNotDependOnTheThreadCount() {
        // 21 outputs per row (an overlapping last vector); 14 output channels: 5 blocks of 3 for the weight gradient,
        // which 2 threads split unevenly, and 4 blocks of 4 for the forward, whose 6 images they split.
        assertConvolutionIndependentOfThreads(.direct, x: [6, 1, 13, 21], w: [14, 1, 3, 3])
        assertConvolutionIndependentOfThreads(.direct, x: [3, 2, 9, 16], w: [5, 2, 3, 3])
    }

    /// Without an override: direct for stride-1 windows of at most 27 taps whose output rows are at least 8 wide (Conv4's
    /// and the 2-D families' first layers; mini-ImageNet's 3 input channels), not for more taps, narrower rows or stride 2.
    func testChoiceByShape() {
        func geometry(_ size: Int, kernel: Int = 3, stride: Int = 1, padding: Int = 1) -> WindowGeometry {
            WindowGeometry(height: size, width: size, kernelHeight: kernel, kernelWidth: kernel, strideY: stride, strideX: stride,
                           padY: padding, padX: padding)
        }
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 1, outputs: 64, geometry(28)), .direct)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 20, channels: 1, outputs: 24, geometry(32, padding: 0)), .direct)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 3, outputs: 32, geometry(84)), .direct)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 1, channels: 1, outputs: 1, geometry(8)), .direct)
        XCTAssertNotEqual(ConvolutionAlgorithm.choice(images: 80, channels: 4, outputs: 64, geometry(28)), .direct)
        XCTAssertNotEqual(ConvolutionAlgorithm.choice(images: 80, channels: 1, outputs: 64, geometry(6)), .direct)
        XCTAssertNotEqual(ConvolutionAlgorithm.choice(images: 80, channels: 1, outputs: 64, geometry(28, stride: 2)), .direct)
        XCTAssertNotEqual(ConvolutionAlgorithm.choice(images: 80, channels: 2, outputs: 64, geometry(28, kernel: 5, padding: 2)), .direct)
    }
}

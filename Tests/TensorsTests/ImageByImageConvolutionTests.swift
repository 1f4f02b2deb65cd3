import Tensors
import TestSupport
import XCTest

/// Convolutions computed image by image (`ImageByImageConvolution`), forced on with `ConvolutionAlgorithm.withForced`:
/// values against the definition, gradients of first and second order (the second runs through the weight and
/// input gradients' own backward rules), agreement with im2col · W, thread independence, and the choice by shape.
final class ImageByImageConvolutionTests: XCTestCase {
    func testValuesMatchTheDefinition() {
        // One and several images and channels, kernels of every shape, zero and asymmetric padding.
        assertConvolutionMatchesDefinition(.imageByImage, [
            ([2, 1, 6, 7], [3, 1, 3, 3], (1, 1)), ([1, 2, 5, 9], [5, 2, 3, 2], (0, 1)), ([3, 1, 10, 20], [6, 1, 3, 3], (1, 1)),
            ([2, 3, 7, 18], [4, 3, 2, 5], (2, 0)), ([1, 1, 9, 9], [2, 1, 9, 9], (4, 4)), ([2, 1, 12, 40], [1, 1, 1, 1], (0, 0)),
        ])
    }

    func testGradientsOfFirstAndSecondOrder() {
        // Channels, kernel shapes, padding.
        assertConvolutionGradients(.imageByImage, [
            ([2, 1, 6, 7], [3, 1, 3, 3], (1, 1)), ([1, 2, 5, 9], [5, 2, 3, 2], (0, 1)), ([1, 2, 4, 6], [2, 2, 2, 5], (2, 0)),
        ])
    }

    /// Image by image and im2col · W compute the same convolution: values and both gradients agree to Float32
    /// rounding, and so does a gradient of a gradient (the shape a second-order meta-gradient takes).
    func testAgreesWithIm2colInFloat32() {
        let x = randn([4, 3, 14, 14], seed: 50, dtype: .float32), w = randn([8, 3, 3, 3], seed: 51, dtype: .float32)
        func run(_ algorithm: ConvolutionAlgorithm) -> [Tensor] {
            ConvolutionAlgorithm.withForced(algorithm) {
                let (xl, wl) = (x.requiringGradient(), w.requiringGradient())
                let y = Tensor.conv2d(xl, weight: wl, padding: (1, 1))
                let g = gradients(of: (y.tanh() * y).sum(), wrt: [xl, wl], createGraph: true)
                let second = gradients(of: (g[0] * g[0]).sum() + (g[1] * g[1]).sum(), wrt: [xl, wl])
                return [y] + g + second
            }
        }
        let (direct, im2col) = (run(.imageByImage), run(.im2col))
        for (i, (a, b)) in zip(direct, im2col).enumerated() {
            let scale = b.abs().max().item
            XCTAssertLessThan((a - b).abs().max().item, 1e-5 * scale, "output \(i): image by image and im2col differ")
        }
    }

    func testResultsDoNotDependOnTheThreadCount() {
        assertConvolutionIndependentOfThreads(.imageByImage, x: [6, 2, 13, 21], w: [14, 2, 3, 3])
    }

    /// Without an override: image by image for batches whose columns are large and whose images have many window
    /// positions (Conv4's 28×28 and 14×14 layers on an 80-image episode), im2col for the rest.
    func testChoiceByShape() {
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, taps: 576, positions: 196), .imageByImage)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, taps: 9, positions: 784), .imageByImage)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, taps: 576, positions: 49), .im2col)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 20, taps: 9, positions: 900), .im2col)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 1, taps: 576, positions: 784), .im2col)
    }
}

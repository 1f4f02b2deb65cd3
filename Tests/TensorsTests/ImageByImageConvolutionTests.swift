import Tensors
import TestSupport
import XCTest

/// Convolutions computed image by image (`ImageByImageConvolution`), forced on with `ConvolutionAlgorithm.withForced`:
/// values against the definition, gradients of first and second order (the second runs through the weight and
/// input gradients' own backward rules), agreement with im2col · W, thread independence, and the choice by shape.
final class ImageByImageConvolutionTests: XCTestCase {
    /// Geometries with one and several images and channels, kernels of every shape, zero and asymmetric padding.
    let geometries: [(x: [Int], w: [Int], padding: (Int, Int))] = [
        ([2, 1, 6, 7], [3, 1, 3, 3], (1, 1)),
        ([1, 2, 5, 9], [5, 2, 3, 2], (0, 1)),
        ([3, 1, 10, 20], [6, 1, 3, 3], (1, 1)),
        ([2, 3, 7, 18], [4, 3, 2, 5], (2, 0)),
        ([1, 1, 9, 9], [2, 1, 9, 9], (4, 4)),
        ([2, 1, 12, 40], [1, 1, 1, 1], (0, 0)),
    ]

    func testValuesMatchTheDefinition() {
        for (index, geometry) in geometries.enumerated() {
            let x = randn(geometry.x, seed: UInt64(index)), w = randn(geometry.w, seed: UInt64(index + 10))
            let b = randn([geometry.w[0]], seed: 20)
            let expected = referenceConv2d(x, w, b, stride: (1, 1), padding: geometry.padding)
            ConvolutionAlgorithm.withForced(.imageByImage) {
                let y = Tensor.conv2d(x, weight: w, bias: b, padding: geometry.padding)
                assertClose(y, expected, tolerance: 1e-13, "geometry \(index), Float64")
                let y32 = Tensor.conv2d(x.to(.float32), weight: w.to(.float32), bias: b.to(.float32), padding: geometry.padding)
                assertClose(y32, expected, tolerance: 1e-5, "geometry \(index), Float32")
            }
        }
    }

    func testGradientsOfFirstAndSecondOrder() {
        ConvolutionAlgorithm.withForced(.imageByImage) {
            // Small enough for central differences over every element; channels, kernel shapes, padding.
            let small: [(x: [Int], w: [Int], padding: (Int, Int))] = [
                ([2, 1, 6, 7], [3, 1, 3, 3], (1, 1)), ([1, 2, 5, 9], [5, 2, 3, 2], (0, 1)), ([1, 2, 4, 6], [2, 2, 2, 5], (2, 0)),
            ]
            for (index, geometry) in small.enumerated() {
                let x = randn(geometry.x, seed: UInt64(30 + index)), w = randn(geometry.w, seed: UInt64(40 + index))
                // tanh makes the second derivative of the loss depend on x and w jointly, so the Hessian·v check
                // runs through the gradient of the weight gradient (conv2d and the input gradient again).
                checkGradients([x, w]) { Tensor.conv2d($0[0], weight: $0[1], padding: geometry.padding).tanh() }
            }
        }
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
        let x = randn([6, 2, 13, 21], seed: 60, dtype: .float32), w = randn([14, 2, 3, 3], seed: 61, dtype: .float32)
        func run(threads: Int) -> [[Double]] {
            withIntraOpThreads(threads, minimumWork: 0) {
                ConvolutionAlgorithm.withForced(.imageByImage) {
                    let (xl, wl) = (x.requiringGradient(), w.requiringGradient())
                    let y = Tensor.conv2d(xl, weight: wl, padding: (1, 1))
                    return [y.scalars] + gradients(of: (y * y).sum(), wrt: [xl, wl]).map(\.scalars)
                }
            }
        }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
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

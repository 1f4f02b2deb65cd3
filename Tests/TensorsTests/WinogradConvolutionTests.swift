import Tensors
import TestSupport
import XCTest

/// Convolutions by Winograd's F(2×2, 3×3) (`WinogradConvolution`), forced on with `ConvolutionAlgorithm.withForced`:
/// values against the definition, gradients of first and second order (the input gradient is a Winograd convolution
/// too, with padding 2 − p, and the weight gradient the forward's adjoint, so every derivative runs through them), the
/// weight gradient against im2col's, agreement with im2col · W in Float32, thread independence, and the choice by shape.
final class WinogradConvolutionTests: XCTestCase {
    func testValuesMatchTheDefinition() {
        // Odd and even sizes (tiles cropped at odd edges), padding 0, 1, 2 and asymmetric, one and several images and
        // channels; the 12-image geometries take several chunks of images.
        assertConvolutionMatchesDefinition(.winograd, [
            ([1, 1, 4, 4], [1, 1, 3, 3], (0, 0)), ([2, 3, 7, 7], [4, 3, 3, 3], (1, 1)), ([3, 2, 6, 9], [5, 2, 3, 3], (2, 2)),
            ([1, 4, 5, 8], [3, 4, 3, 3], (1, 0)), ([2, 5, 3, 3], [6, 5, 3, 3], (1, 1)), ([12, 3, 14, 14], [5, 3, 3, 3], (1, 1)),
            ([12, 2, 13, 21], [3, 2, 3, 3], (0, 2)),
            // 8 or more input channels: the weight transform's vector path (8 channels at a time), with and without a rest.
            ([2, 11, 6, 6], [3, 11, 3, 3], (1, 1)), ([1, 16, 5, 5], [2, 16, 3, 3], (0, 0)),
        ])
    }

    func testGradientsOfFirstAndSecondOrder() {
        // Padding 0, 1, 2 (input gradients, Winograd too, with padding 2, 1, 0), odd and even sizes, several channels.
        assertConvolutionGradients(.winograd, [
            ([2, 1, 6, 7], [3, 1, 3, 3], (1, 1)), ([1, 2, 5, 4], [2, 2, 3, 3], (0, 0)), ([1, 2, 3, 4], [2, 2, 3, 3], (2, 1)),
        ])
    }

    /// Winograd and im2col · W compute the same convolution in Float32 on Conv4's 64 → 64 layers (2 of the 80 images):
    /// values, both gradients, and a gradient of a gradient agree to within 5e-5 of the largest magnitude. Each is
    /// also measured against im2col in Float64 (printed): Winograd's sums of transformed products round more than
    /// the direct products, most on the second-order outputs, whose terms cancel.
    func testAgreesWithIm2colInFloat32() {
        for size in [14, 7] {
            let x = randn([2, 64, size, size], seed: 50), w = randn([64, 64, 3, 3], seed: 51)
            func run(_ algorithm: ConvolutionAlgorithm, _ dtype: DType) -> [Tensor] {
                ConvolutionAlgorithm.withForced(algorithm) {
                    let (xl, wl) = (x.to(dtype).requiringGradient(), w.to(dtype).requiringGradient())
                    let y = Tensor.conv2d(xl, weight: wl, padding: (1, 1))
                    let g = gradients(of: (y.tanh() * y).sum(), wrt: [xl, wl], createGraph: true)
                    let second = gradients(of: (g[0] * g[0]).sum() + (g[1] * g[1]).sum(), wrt: [xl, wl])
                    return ([y] + g + second).map { $0.to(.float64) }
                }
            }
            let (winograd, im2col, exact) = (run(.winograd, .float32), run(.im2col, .float32), run(.im2col, .float64))
            func error(_ a: Tensor, _ b: Tensor) -> Double { (a - b).abs().max().item / b.abs().max().item }
            var worst = (vsIm2col: 0.0, winograd: 0.0, im2col: 0.0)
            for i in 0..<exact.count {
                let e = error(winograd[i], im2col[i])
                XCTAssertLessThan(e, 5e-5, "\(size)×\(size), output \(i): Winograd and im2col differ")
                worst = (max(worst.vsIm2col, e), max(worst.winograd, error(winograd[i], exact[i])),
                         max(worst.im2col, error(im2col[i], exact[i])))
            }
            print("Float32, 2×64×\(size)×\(size) → 64, worst error of the largest magnitude over y, ∂x, ∂w and second order: "
                  + "Winograd vs im2col \(worst.vsIm2col); vs Float64: Winograd \(worst.winograd), im2col \(worst.im2col)")
        }
    }

    /// The weight gradient alone (x a constant, so the backward computes ∂w and nothing else) with Winograd forced
    /// against im2col's ∂W = ∂y · colsᵀ: to 1e-12 of the largest magnitude in Float64; in Float32 both are measured
    /// against im2col in Float64 (printed) and Winograd must be within 2e-6 of the largest magnitude. Conv4's 64 → 64
    /// layers (one image), odd sizes (∂y's tiles cropped), padding 0, 1, 2 and asymmetric, several chunks (12 images).
    func testWeightGradientMatchesIm2col() {
        let geometries: [ConvolutionGeometry] = [
            ([1, 64, 14, 14], [64, 64, 3, 3], (1, 1)), ([1, 64, 7, 7], [64, 64, 3, 3], (1, 1)), ([1, 64, 3, 3], [64, 64, 3, 3], (1, 1)),
            ([12, 16, 13, 21], [18, 16, 3, 3], (1, 1)), ([3, 5, 6, 9], [4, 5, 3, 3], (2, 2)), ([1, 3, 5, 8], [2, 3, 3, 3], (0, 1)),
        ]
        assertWeightGradientMatchesIm2col(.winograd, geometries)
    }

    func testResultsDoNotDependOnTheThreadCount() {
        // 77 tiles per image, 3 images per chunk: 4 chunks. 25 tiles per image, 2 images per chunk: 3 chunks, which 2
        // threads split unevenly (the weight gradient's per-chunk slots).
        assertConvolutionIndependentOfThreads(.winograd, x: [12, 16, 13, 21], w: [18, 16, 3, 3])
        assertConvolutionIndependentOfThreads(.winograd, x: [5, 16, 9, 9], w: [17, 16, 3, 3])
    }

    /// Without an override: Winograd for 3×3 stride-1 convolutions with at least 16 input and output channels and
    /// 9 output positions (Conv4's 14×14, 7×7 and 3×3 layers), the earlier choice otherwise.
    func testChoiceByShape() {
        func geometry(_ size: Int, kernel: Int = 3, stride: Int = 1) -> WindowGeometry {
            WindowGeometry(height: size, width: size, kernelHeight: kernel, kernelWidth: kernel, strideY: stride, strideX: stride,
                           padY: 1, padX: 1)
        }
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 64, geometry(14)), .winograd)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 64, geometry(7)), .winograd)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 1, channels: 64, outputs: 64, geometry(7)), .winograd)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 64, geometry(3)), .winograd)
        // Fewer positions (2×2 outputs), Conv4's first layer (one input channel), few outputs, other kernels and strides.
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 64, geometry(2)), .im2col)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 1, outputs: 64, geometry(28)), .direct)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 8, geometry(14)), .imageByImage)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 64, geometry(14, kernel: 5)), .imageByImage)
        XCTAssertEqual(ConvolutionAlgorithm.choice(images: 80, channels: 64, outputs: 64, geometry(14, stride: 2)), .im2col)
    }
}

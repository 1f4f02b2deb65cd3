import Tensors
import TestSupport
import XCTest

final class ConvolutionGradientTests: XCTestCase {
    func testConv2dValues() {
        let configs: [((Int, Int), (Int, Int), [Int])] = [((1, 1), (0, 0), [2, 3, 6, 5]), ((2, 1), (1, 2), [1, 2, 7, 6]), ((2, 2), (1, 1), [2, 1, 5, 5])]
        for (i, (stride, padding, xShape)) in configs.enumerated() {
            let x = randn(xShape, seed: UInt64(i)), w = randn([4, xShape[1], 3, 2], seed: UInt64(i + 5)), b = randn([4], seed: 9)
            let y = Tensor.conv2d(x, weight: w, bias: b, stride: stride, padding: padding)
            assertClose(y, referenceConv2d(x, w, b, stride: stride, padding: padding), tolerance: 1e-13)
            let y32 = Tensor.conv2d(x.to(.float32), weight: w.to(.float32), bias: b.to(.float32), stride: stride, padding: padding)
            assertClose(y32, y, tolerance: 1e-5)
        }
    }

    func testConv2dGradients() {
        let x = randn([2, 2, 5, 4], seed: 1), w = randn([3, 2, 3, 2], seed: 2), b = randn([3], seed: 3)
        checkGradients([x, w, b]) { Tensor.conv2d($0[0], weight: $0[1], bias: $0[2]) }
        checkGradients([x, w]) { Tensor.conv2d($0[0], weight: $0[1], stride: (2, 1), padding: (1, 1)).tanh() }
    }

    /// Image by image, directly and by Winograd the kernel adds the bias as it writes each output: first and second
    /// derivatives in x, w and b (tanh couples them), and the value bit for bit the same as the convolution without
    /// bias followed by `addingChannelBias` (the bias is added after each output's sum, as that op adds it).
    func testBiasAddedByTheKernels() {
        for (algorithm, xShape) in [(ConvolutionAlgorithm.imageByImage, [2, 2, 5, 4]), (.direct, [2, 2, 4, 9]), (.winograd, [2, 2, 5, 4])] {
            let x = randn(xShape, seed: 11), w = randn([3, 2, 3, 3], seed: 12), b = randn([3], seed: 13)
            ConvolutionAlgorithm.withForced(algorithm) {
                checkGradients([x, w, b]) { Tensor.conv2d($0[0], weight: $0[1], bias: $0[2], padding: (1, 1)).tanh() }
                for dtype in [DType.float32, .float64] {
                    let (x, w, b) = (x.to(dtype), w.to(dtype), b.to(dtype))
                    XCTAssertEqual(Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1)).scalars,
                                   Tensor.conv2d(x, weight: w, padding: (1, 1)).addingChannelBias(b).scalars, "\(algorithm), \(dtype)")
                }
            }
        }
    }

    /// With no input channels, or no input pixels inside the padding, no kernel runs and every output is its channel's
    /// bias, on every algorithm that adds the bias in its kernel.
    func testEmptyOperandsStillGiveTheBias() {
        let b = randn([3], seed: 14)
        for algorithm in [ConvolutionAlgorithm.imageByImage, .direct, .winograd] {
            ConvolutionAlgorithm.withForced(algorithm) {
                for (xShape, wShape) in [([2, 0, 4, 10], [3, 0, 3, 3]), ([2, 1, 0, 10], [3, 1, 1, 1])] {
                    let x = Tensor.zeros(xShape, dtype: .float64), w = Tensor.zeros(wShape, dtype: .float64)
                    let y = Tensor.conv2d(x, weight: w, bias: b, padding: (1, 1))
                    assertClose(y, referenceConv2d(x, w, b, stride: (1, 1), padding: (1, 1)), tolerance: 0, "\(algorithm), x \(xShape)")
                    XCTAssertGreaterThan(y.count, 0)
                }
            }
        }
    }

    func testConv1d() {
        let x = randn([2, 2, 9], seed: 4), w = randn([3, 2, 3], seed: 5)
        checkGradients([x, w]) { Tensor.conv1d($0[0], weight: $0[1], padding: 1).sigmoid() }
        // y[n, d, t] = Σ x[n, c, t + j] w[d, c, j]
        let y = Tensor.conv1d(x, weight: w)
        XCTAssertEqual(y.shape, [2, 3, 7])
        let xs = x.scalars, ws = w.scalars
        var expected = 0.0
        for c in 0..<2 { for j in 0..<3 { expected += xs[(1 * 2 + c) * 9 + 4 + j] * ws[(2 * 2 + c) * 3 + j] } }
        XCTAssertEqual(y.scalars[(1 * 3 + 2) * 7 + 4], expected, accuracy: 1e-12)
    }

    func testUnfoldFoldAreAdjoint() {
        // ⟨unfold(x), c⟩ = ⟨x, fold(c)⟩ for every geometry: fold is the adjoint of unfold.
        let x = randn([2, 3, 6, 5], seed: 6)
        for (stride, padding) in [((1, 1), (0, 0)), ((2, 2), (1, 0)), ((1, 2), (2, 1))] {
            let u = x.unfolded(kernel: (3, 2), stride: stride, padding: padding)
            let c = randn(u.shape, seed: 7)
            let f = c.folded(outputSize: (6, 5), kernel: (3, 2), stride: stride, padding: padding)
            XCTAssertEqual((u * c).sum().item, (x * f).sum().item, accuracy: 1e-10)
            checkGradients([x]) { $0[0].unfolded(kernel: (3, 2), stride: stride, padding: padding).squared() }
            checkGradients([c]) { $0[0].folded(outputSize: (6, 5), kernel: (3, 2), stride: stride, padding: padding).squared() }
        }
    }

    /// The locally connected layer of the fixtures: out[n, p] = Σⱼ W[p, j] · x[n, p + j], from unfold.
    func testLocallyConnectedFromUnfold() {
        let x = randn([3, 10], seed: 8), w = randn([8, 3], seed: 9)
        func lc(_ x: Tensor, _ w: Tensor) -> Tensor {
            let cols = x.reshaped([3, 1, 1, 10]).unfolded(kernel: (1, 3))   // (N, 3, 8)
            return (cols * w.transposed()).sum(axis: 1)                       // (N, 8)
        }
        checkGradients([x, w]) { lc($0[0], $0[1]) }
        let y = lc(x, w).scalars, xs = x.scalars, ws = w.scalars
        var expected = 0.0
        for j in 0..<3 { expected += ws[15 + j] * xs[15 + j] }   // p = 5, n = 1
        XCTAssertEqual(y[8 + 5], expected, accuracy: 1e-12)
    }

    func testPooling() {
        let x = randn([2, 3, 4, 6], seed: 10)
        checkGradients([x]) { $0[0].maxPool2d(kernel: (2, 2)) }
        checkGradients([x]) { $0[0].maxPool2d(kernel: (3, 3), stride: (1, 2)).squared() }
        checkGradients([x]) { $0[0].avgPool2d(kernel: (2, 3)).squared() }
        let m = Tensor(shape: [1, 1, 2, 4], values: [1, 5, 2, 0, 3, 4, -1, 7], dtype: .float64)
        XCTAssertEqual(m.maxPool2d(kernel: (2, 2)).scalars, [5, 7])
        XCTAssertEqual(m.avgPool2d(kernel: (2, 2)).scalars, [13.0 / 4, 8.0 / 4])
    }
}

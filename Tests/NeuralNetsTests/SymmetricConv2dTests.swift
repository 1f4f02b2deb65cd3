import NeuralNets
import Tensors
import TestSupport
import XCTest

final class SymmetricConv2dTests: XCTestCase {
    func parameters(_ layer: SymmetricConv2d, seed: UInt64) -> Parameters {
        var g = SplitMix64(seed: seed)
        return layer.initialParameters(dtype: .float64, using: &g)
    }

    /// With A, B, C at their initial identity the layer is a plain convolution with the filter bank.
    func testIdentityFactorsGiveThePlainConvolution() {
        let layer = SymmetricConv2d(2, 3)
        let p = parameters(layer, seed: 1)
        XCTAssertEqual(p["weight"].shape, [3, 2, 3, 3])
        XCTAssertEqual(p[SymmetricConv2d.outputChannelsKey].shape, [3, 3])
        XCTAssertEqual(p[SymmetricConv2d.inputChannelsKey].shape, [2, 2])
        XCTAssertEqual(p[SymmetricConv2d.kernelTapsKey].shape, [9, 9])
        XCTAssertEqual(layer.innerParameterKeys, ["weight"])
        let x = randn([2, 2, 6, 5], seed: 2)
        assertClose(layer.apply(p, x), Tensor.conv2d(x, weight: p["weight"]), tolerance: 1e-14)
    }

    /// w̃[i, k, l] = Σ A[i, j] B[k, m] C[l, n] w[j, m, n], checked element by element.
    func testKroneckerTransformMatchesDefinition() {
        let layer = SymmetricConv2d(2, 3)
        var p = parameters(layer, seed: 3)
        p[SymmetricConv2d.outputChannelsKey] = randn([3, 3], seed: 4)
        p[SymmetricConv2d.inputChannelsKey] = randn([2, 2], seed: 5)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 6)
        let a = p[SymmetricConv2d.outputChannelsKey].scalars, b = p[SymmetricConv2d.inputChannelsKey].scalars
        let c = p[SymmetricConv2d.kernelTapsKey].scalars, w = p["weight"].scalars
        let out = layer.effectiveWeight(p).scalars
        for i in 0..<3 { for k in 0..<2 { for l in 0..<9 {
            var s = 0.0
            for j in 0..<3 { for m in 0..<2 { for n in 0..<9 { s += a[i * 3 + j] * b[k * 2 + m] * c[l * 9 + n] * w[(j * 2 + m) * 9 + n] } } }
            XCTAssertEqual(out[(i * 2 + k) * 9 + l], s, accuracy: 1e-12)
        } } }
    }

    /// A permutation of the taps that rotates a 3×3 kernel by 90°, paired with a cyclic shift of the output
    /// channels, turns one filter into its rotated copies: the kind of sharing MSR-Conv can learn.
    func testTapPermutationRotatesFilters() {
        let layer = SymmetricConv2d(1, 1)
        var p = parameters(layer, seed: 7)
        var rotation = [Double](repeating: 0, count: 81)
        for y in 0..<3 { for x in 0..<3 { rotation[(y * 3 + x) * 9 + (2 - x) * 3 + y] = 1 } }   // w̃[y, x] = w[2 − x, y]
        p[SymmetricConv2d.kernelTapsKey] = Tensor(shape: [9, 9], values: rotation, dtype: .float64)
        let w = p["weight"].scalars, rotated = layer.effectiveWeight(p).scalars
        for y in 0..<3 { for x in 0..<3 { XCTAssertEqual(rotated[y * 3 + x], w[(2 - x) * 3 + y]) } }
    }

    func testGradients() {
        let layer = SymmetricConv2d(1, 2)
        var p = parameters(layer, seed: 8)
        p[SymmetricConv2d.outputChannelsKey] = randn([2, 2], seed: 9)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 10)
        let x = randn([2, 1, 5, 5], seed: 11)
        checkGradients([p["weight"], p[SymmetricConv2d.outputChannelsKey], p[SymmetricConv2d.kernelTapsKey]]) { t in
            var q = p
            q["weight"] = t[0]; q[SymmetricConv2d.outputChannelsKey] = t[1]; q[SymmetricConv2d.kernelTapsKey] = t[2]
            return layer.apply(q, x).tanh()
        }
    }

    /// With stride, padding and a bias, the layer is conv2d(x, w̃, b) with them; the bias is drawn after the
    /// bank as U(±1/√(C·kh·kw)) (what Conv4's MSR blocks drew), and adapted with the bank.
    func testStridePaddingAndBias() {
        let layer = SymmetricConv2d(2, 3, kernelSize: (3, 3), stride: (2, 1), padding: (1, 1), bias: true)
        var p = parameters(layer, seed: 12)
        XCTAssertEqual(layer.innerParameterKeys, ["weight", "bias"])
        var g = SplitMix64(seed: 12)
        _ = defaultUniformInit([3, 2, 3, 3], fanIn: 18, dtype: .float64, using: &g)
        XCTAssertEqual(p["bias"].scalars, defaultUniformInit([3], fanIn: 18, dtype: .float64, using: &g).scalars)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 13)
        let x = randn([2, 2, 5, 4], seed: 14)
        let y = layer.apply(p, x)
        XCTAssertEqual(y.shape, [2, 3, 3, 4])
        assertClose(y, Tensor.conv2d(x, weight: layer.effectiveWeight(p), bias: p["bias"], stride: (2, 1), padding: (1, 1)), tolerance: 0)
    }
}

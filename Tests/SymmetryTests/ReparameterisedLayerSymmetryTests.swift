import NeuralNets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// Symmetry's measures applied to any MSR layer through `ReparameterisedLayer`, found in a network by
/// `reparameterisedLayers()`: with U built from a group, every W = reshape(U·v) and every inner-step
/// direction P·g is equivariant; with a random U neither is.
final class ReparameterisedLayerSymmetryTests: XCTestCase {
    /// MSR-FC with U the stacked shift patterns of a 3-tap convolution: a Toeplitz W for every v.
    func testTranslationOfSymmetricLinearThroughTheProtocol() throws {
        let net = Sequential([Sequential.Child(SymmetricLinear(10, 8, latentSize: 3, bias: false), name: "fc"), Sequential.Child(ReLU())])
        var g = SplitMix64(seed: 1)
        var p = net.initialParameters(dtype: .float64, using: &g)
        let (prefix, layer) = try XCTUnwrap(net.reparameterisedLayers().first)
        XCTAssertEqual(prefix, "fc")
        func meanDefect(_ u: Tensor) -> Double {
            p["fc.symmetryMatrix"] = u
            let ws = layer.effectiveWeights(randomFilterParameters: 5, p.scoped(prefix), using: &g)
            return ws.map(TranslationDefect.toeplitzDistance).reduce(0, +) / 5
        }
        XCTAssertLessThan(meanDefect(try SymmetryMatrix.convolution1D(inputs: 10, outputs: 8, kernel: 3, dtype: .float64)), 1e-12)
        XCTAssertGreaterThan(meanDefect(randn([80, 3], seed: 2)), 0.5)
    }

    /// msr-conv2d-full with U the c4-equivariant banks: W and P·g (P = U·Uᵀ, the group-average projector) are
    /// 90°-equivariant for random v and g; a plain conv's P = I leaves g as unstructured as it is.
    func testC4OfDenseSymmetricConv2dThroughTheProtocol() throws {
        let u = try FilterBankSymmetry.symmetryMatrix(named: "c4", channels: 8, fieldSize: 8, dtype: .float64)   // (72, 18)
        let layer = DenseSymmetricConv2d(1, 8, kernelSize: (3, 3), latentSize: u.shape[1])
        var g = SplitMix64(seed: 3)
        var p = layer.initialParameters(dtype: .float64, using: &g)
        p[DenseSymmetricConv2d.symmetryMatrixKey] = u
        let c4 = try XCTUnwrap(try FilterBankSymmetry.candidates(channels: 8, fieldSize: 8).first { $0.name == "c4" }).action
        for w in layer.effectiveWeights(randomFilterParameters: 3, p, using: &g) {
            XCTAssertLessThan(try FilterBankSymmetry.defect(w, c4), 1e-12)
        }
        let gradient = randn([8, 1, 3, 3], seed: 4)
        XCTAssertLessThan(try FilterBankSymmetry.defect(layer.preconditioned(gradient, p), c4), 1e-12)
        let plain = Conv2d(1, 8, kernelSize: (3, 3))
        XCTAssertGreaterThan(try FilterBankSymmetry.defect(plain.preconditioned(gradient, Parameters()), c4), 0.3)
    }
}

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

    /// MSR-Conv with r = |C4| = 4 Kronecker terms holds the C4 group-average projector exactly: each element g
    /// of c4 moves (channel, tap) pairs by a channel permutation πg and a tap permutation σg, so
    /// (1/4)·Σg ρ(πg) ⊗ 1 ⊗ ρ(σg) is U with Aₜ = ρ(πg)/4, Bₜ = 1, Cₜ = ρ(σg); every bank w̃ = U·w and every
    /// inner-step direction U·Uᵀ·g is then 90°-equivariant. One term (r = 1) with the same factors of the
    /// identity element alone is not (the reason for a sum: a single Kronecker product cannot average
    /// over the group).
    func testFourKroneckerTermsHoldTheC4Projector() throws {
        let c4 = try XCTUnwrap(try FilterBankSymmetry.candidates(channels: 8, fieldSize: 8).first { $0.name == "c4" }).action
        XCTAssertEqual(c4.order, 4)
        let layer = SymmetricConv2d(1, 8, terms: 4)
        var g = SplitMix64(seed: 5)
        var p = layer.initialParameters(dtype: .float64, using: &g)
        for (t, element) in c4.elements.enumerated() {
            let channel = (0..<8).map { element[$0 * 9] / 9 }, tap = (0..<9).map { element[$0] % 9 }
            for d in 0..<8 { for k in 0..<9 { XCTAssertEqual(element[d * 9 + k], channel[d] * 9 + tap[k], "c4 element \(t) is not a product") } }
            var a = [Double](repeating: 0, count: 64), c = [Double](repeating: 0, count: 81)
            for d in 0..<8 { a[d * 8 + channel[d]] = 0.25 }
            for k in 0..<9 { c[k * 9 + tap[k]] = 1 }
            p[SymmetricConv2d.factorKey(SymmetricConv2d.outputChannelsKey, term: t)] = Tensor(shape: [8, 8], values: a, dtype: .float64)
            p[SymmetricConv2d.factorKey(SymmetricConv2d.inputChannelsKey, term: t)] = Tensor.eye(1, dtype: .float64)
            p[SymmetricConv2d.factorKey(SymmetricConv2d.kernelTapsKey, term: t)] = Tensor(shape: [9, 9], values: c, dtype: .float64)
        }
        for seed in 10..<13 as Range<UInt64> {
            p["weight"] = randn([8, 1, 3, 3], seed: seed)
            XCTAssertLessThan(try FilterBankSymmetry.defect(layer.effectiveWeight(p), c4), 1e-12)
            XCTAssertLessThan(try FilterBankSymmetry.defect(layer.preconditioned(randn([8, 1, 3, 3], seed: seed + 10), p), c4), 1e-12)
        }
        // The projector is idempotent: applying U to an equivariant bank leaves it unchanged.
        let projected = layer.effectiveWeight(p)
        var again = p; again["weight"] = projected
        assertClose(layer.effectiveWeight(again), projected, tolerance: 1e-12)
        let single = SymmetricConv2d(1, 8)
        var q = single.initialParameters(dtype: .float64, using: &g)
        q["weight"] = randn([8, 1, 3, 3], seed: 20)
        XCTAssertGreaterThan(try FilterBankSymmetry.defect(single.effectiveWeight(q), c4), 0.3)
    }
}

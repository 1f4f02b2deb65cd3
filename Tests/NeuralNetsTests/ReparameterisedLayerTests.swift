import NeuralNets
import Tensors
import TestSupport
import XCTest

final class ReparameterisedLayerTests: XCTestCase {
    /// Fresh Float64 parameters with the symmetry matrices replaced by random ones (the identity factors of
    /// `SymmetricConv2d` would make P = I and hide a wrong order of factors).
    func parameters(_ layer: any WeightLayer, seed: UInt64) -> Parameters {
        var g = SplitMix64(seed: seed)
        var p = layer.initialParameters(dtype: .float64, using: &g)
        for key in (layer as? any ReparameterisedLayer)?.symmetryMatrixKeys ?? [] {
            p[key] = Tensor.randomNormal(p[key].shape, dtype: .float64, using: &g)
        }
        return p
    }

    let layers: [any WeightLayer] = [
        Linear(5, 3), Conv1d(2, 3, kernelSize: 3), Conv2d(2, 3, kernelSize: (3, 2)), LocallyConnected1d(2, 2, outputSize: 4, kernelSize: 3),
        SymmetricLinear(5, 3, latentSize: 4), SymmetricConv2d(2, 3, kernelSize: (3, 2), bias: true),
        DenseSymmetricConv2d(2, 3, kernelSize: (2, 2), latentSize: 5, bias: true),
    ]

    /// The preconditioner is what one inner step does to W: for L = ⟨G, W(θ)⟩ (so ∇_W L = G), the SGD step
    /// θ ← θ − α·∇_θ L moves W by exactly −α·P·G, for every weight layer, plain and MSR.
    func testPreconditionerIsTheInnerStepOnTheEffectiveWeight() {
        for (i, layer) in layers.enumerated() {
            let p = parameters(layer, seed: UInt64(i))
            let w = layer.effectiveWeight(p)
            let gradient = randn(w.shape, seed: 100 + UInt64(i))
            let leaves = p.requiringGradient()
            let loss = (layer.effectiveWeight(leaves) * gradient).sum()
            let g = gradients(of: loss, wrt: layer.filterParameterKeys.map { leaves[$0] })
            var stepped = p
            for (key, gi) in zip(layer.filterParameterKeys, g) { stepped[key] = p[key] - 0.3 * gi }
            let moved = layer.effectiveWeight(stepped) - w
            assertClose(moved, -0.3 * layer.preconditioned(gradient, p), tolerance: 1e-12, "\(type(of: layer))")
        }
    }

    /// The keys split a layer's parameters: filter parameters are adapted, symmetry matrices never; the rest
    /// (a bias) is not part of W.
    func testKeysSplitTheParameters() {
        for (i, layer) in layers.enumerated() {
            let p = parameters(layer, seed: UInt64(i)), name = "\(type(of: layer))"
            let symmetry = (layer as? any ReparameterisedLayer)?.symmetryMatrixKeys ?? []
            XCTAssertEqual(layer.filterParameterKeys, layer.filterParameterKeys.sorted(), name)
            XCTAssertEqual(symmetry, symmetry.sorted(), name)
            XCTAssertTrue(Set(layer.filterParameterKeys).isSubset(of: layer.innerParameterKeys), name)
            XCTAssertTrue(Set(symmetry).isDisjoint(with: layer.innerParameterKeys), name)
            XCTAssertEqual(Set(p.keys).subtracting(layer.filterParameterKeys).subtracting(symmetry), Set(p.keys).intersection(["bias"]), name)
        }
        XCTAssertEqual(SymmetricLinear(3, 2, latentSize: 1).symmetryMatrixKeys, ["symmetryMatrix"])
        XCTAssertEqual(SymmetricConv2d(1, 2).symmetryMatrixKeys,
                       [SymmetricConv2d.inputChannelsKey, SymmetricConv2d.kernelTapsKey, SymmetricConv2d.outputChannelsKey])
    }

    /// W over random filter parameters: each sample draws v ~ N(0, I) shaped as the layer's v, in order, so
    /// the draws are those an inspection makes by hand.
    func testRandomFilterParameters() {
        let layer = SymmetricLinear(6, 4, latentSize: 3, bias: false)
        let p = parameters(layer, seed: 1)
        var g = SplitMix64(seed: 99), h = SplitMix64(seed: 99)
        let ws = layer.effectiveWeights(randomFilterParameters: 3, p, using: &g)
        XCTAssertEqual(ws.count, 3)
        for w in ws {
            var q = p
            q["filterParameters"] = Tensor.randomNormal([3], dtype: .float64, using: &h)
            XCTAssertEqual(w.scalars, layer.weight(q).scalars)
            XCTAssertEqual(w.shape, [4, 6])
        }
        XCTAssertNotEqual(ws[0].scalars, ws[1].scalars)
    }
}

import NeuralNets
import Tensors
import TestSupport
import XCTest

final class LayerTests: XCTestCase {
    func parameters(_ layer: some Layer, seed: UInt64 = 1) -> Parameters {
        var g = SplitMix64(seed: seed)
        return layer.initialParameters(dtype: .float64, using: &g)
    }

    func testLinearShapesAndFormula() {
        let layer = Linear(4, 3)
        let p = parameters(layer)
        XCTAssertEqual(p["weight"].shape, [3, 4])   // (O, I), as documented
        XCTAssertEqual(p["bias"].shape, [3])
        XCTAssertTrue(p["weight"].scalars.allSatisfy { abs($0) <= 0.5 })   // U(±1/√4)
        let x = randn([2, 1, 4], seed: 2)
        let y = layer.apply(p, x)
        XCTAssertEqual(y.shape, [2, 1, 3])
        let w = p["weight"].scalars, b = p["bias"].scalars, xs = x.scalars
        for n in 0..<2 { for o in 0..<3 {
            var s = b[o]
            for i in 0..<4 { s += w[o * 4 + i] * xs[n * 4 + i] }
            XCTAssertEqual(y.scalars[n * 3 + o], s, accuracy: 1e-12)
        } }
        checkGradients([x, p["weight"], p["bias"]]) { t in
            layer.apply(Parameters(["weight": t[1], "bias": t[2]]), t[0])
        }
        XCTAssertEqual(layer.innerParameterKeys, ["weight", "bias"])
        XCTAssertEqual(Linear(4, 3, bias: false).innerParameterKeys, ["weight"])
    }

    func testConv1dLayer() {
        let layer = Conv1d(2, 3, kernelSize: 3, bias: true)
        let p = parameters(layer)
        XCTAssertEqual(p["weight"].shape, [3, 2, 3])
        let x = randn([2, 2, 9], seed: 3)
        assertClose(layer.apply(p, x), Tensor.conv1d(x, weight: p["weight"], bias: p["bias"]), tolerance: 0)
    }

    /// y[n, d, p] = Σ_{c, j} W[d, c, p, j] · x[n, c, p + j]  (+ b[d, p]).
    func testLocallyConnected1dMatchesDefinition() {
        for (c, d) in [(1, 1), (2, 3)] {
            let layer = LocallyConnected1d(c, d, outputSize: 8, kernelSize: 3)
            let p = parameters(layer)
            XCTAssertEqual(p["weight"].shape, [d, c, 8, 3])
            let x = randn([2, c, 10], seed: 4)
            let y = layer.apply(p, x)
            XCTAssertEqual(y.shape, [2, d, 8])
            let w = p["weight"].scalars, b = p["bias"].scalars, xs = x.scalars
            for n in 0..<2 { for di in 0..<d { for q in 0..<8 {
                var s = b[di * 8 + q]
                for ci in 0..<c { for j in 0..<3 { s += w[((di * c + ci) * 8 + q) * 3 + j] * xs[(n * c + ci) * 10 + q + j] } }
                XCTAssertEqual(y.scalars[(n * d + di) * 8 + q], s, accuracy: 1e-12)
            } } }
            checkGradients([x, p["weight"]]) { t in layer.apply(Parameters(["weight": t[1], "bias": p["bias"]]), t[0]) }
        }
    }

    /// W = reshape(U·v) is row-major (W[o, i] = (U·v)[o·I + i]); with U the stacked one-hot shift patterns
    /// of a 3-tap filter, the layer is exactly a convolution with filter v.
    func testSymmetricLinearWithShiftPatternsIsConvolution() {
        let (inputs, outputs, k) = (10, 8, 3)
        var u = [Double](repeating: 0, count: outputs * inputs * k)
        for o in 0..<outputs { for j in 0..<k { u[((o * inputs) + o + j) * k + j] = 1 } }   // W[o, o + j] = v[j]
        let layer = SymmetricLinear(inputs, outputs, latentSize: k, bias: false)
        let v = randn([k], seed: 5)
        let p = Parameters(["symmetryMatrix": Tensor(shape: [outputs * inputs, k], values: u, dtype: .float64), "filterParameters": v])
        let x = randn([4, 1, inputs], seed: 6)
        assertClose(layer.apply(p, x), Tensor.conv1d(x, weight: v.reshaped([1, 1, k])), tolerance: 1e-14)
        XCTAssertEqual(layer.innerParameterKeys, ["filterParameters"])
        XCTAssertEqual(layer.weight(p).shape, [outputs, inputs])
    }

    func testSymmetricLinearInitialisationAndGradients() {
        let layer = SymmetricLinear(6, 4, latentSize: 3)
        let p = parameters(layer)
        XCTAssertEqual(p["symmetryMatrix"].shape, [24, 3])
        XCTAssertEqual(p["filterParameters"].shape, [3])
        XCTAssertEqual(p["bias"].shape, [4])
        XCTAssertEqual(layer.innerParameterKeys, ["filterParameters", "bias"])
        let x = randn([3, 6], seed: 7)
        checkGradients([p["symmetryMatrix"], p["filterParameters"], x]) { t in
            layer.apply(Parameters(["symmetryMatrix": t[0], "filterParameters": t[1], "bias": p["bias"]]), t[2]).tanh()
        }
    }

    func testParametersTree() {
        var p = Parameters(["b.weight": Tensor(1), "a.bias": Tensor(2), "a.weight": Tensor(3)])
        XCTAssertEqual(p.keys, ["a.bias", "a.weight", "b.weight"])
        XCTAssertEqual(p.scoped("a").keys, ["bias", "weight"])
        XCTAssertEqual(p.scoped("a").prefixed("c").keys, ["c.bias", "c.weight"])
        XCTAssertEqual(p.map(\.key), p.keys)
        p["a.bias"] = Tensor(5)
        XCTAssertEqual(p["a.bias"].item, 5)
        XCTAssertEqual(p.scalarCount, 3)
        XCTAssertTrue(p.requiringGradient()["a.weight"].requiresGradient)
    }
}

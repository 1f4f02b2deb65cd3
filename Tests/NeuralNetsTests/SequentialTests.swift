import NeuralNets
import Tensors
import TestSupport
import XCTest

final class SequentialTests: XCTestCase {
    func parameters(_ layer: some Layer, seed: UInt64 = 1) -> Parameters {
        var g = SplitMix64(seed: seed)
        return layer.initialParameters(dtype: .float64, using: &g)
    }

    /// Children are keyed "<index or name>.<child key>"; inner keys are the children's, namespaced.
    func testKeysAreNamespacedByIndexOrName() {
        let net = Sequential([Sequential.Child(SymmetricLinear(4, 3, latentSize: 2)), Sequential.Child(ReLU()),
                              Sequential.Child(Linear(3, 2), name: "head")])
        let p = parameters(net)
        XCTAssertEqual(p.keys, ["0.bias", "0.filterParameters", "0.symmetryMatrix", "head.bias", "head.weight"])
        XCTAssertEqual(net.innerParameterKeys, ["0.bias", "0.filterParameters", "head.bias", "head.weight"])
        XCTAssertEqual(net.prefix(ofChild: 1), "1")
        XCTAssertEqual(p["0.symmetryMatrix"].shape, [12, 2])
    }

    /// The only unnamed child keeps its own keys: a one-layer network is that layer, draws included.
    func testOnlyChildKeepsItsKeysAndDraws() {
        let layer = SymmetricLinear(70, 68, latentSize: 3, bias: false)
        let net = Sequential([layer])
        let (p, q) = (parameters(net, seed: 4), parameters(layer, seed: 4))
        XCTAssertEqual(p.keys, ["filterParameters", "symmetryMatrix"])
        XCTAssertEqual(p.keys, q.keys)
        for key in p.keys { XCTAssertEqual(p[key].scalars, q[key].scalars, key) }
        XCTAssertEqual(net.innerParameterKeys, layer.innerParameterKeys)
        let x = randn([2, 1, 70], seed: 5)
        XCTAssertEqual(net.apply(p, x).scalars, layer.apply(q, x).scalars)
        // Named, it is prefixed like any child.
        XCTAssertEqual(parameters(Sequential([Sequential.Child(layer, name: "fc")])).keys, ["fc.filterParameters", "fc.symmetryMatrix"])
    }

    /// Parameters are drawn child by child from one generator, and apply chains the children.
    func testDrawsInOrderAndChainsTheChildren() {
        let (a, b) = (Linear(5, 4), Linear(4, 3, bias: false))
        let net = Sequential([a, ReLU(), b])
        let p = parameters(net, seed: 6)
        var g = SplitMix64(seed: 6)
        let pa = a.initialParameters(dtype: .float64, using: &g), pb = b.initialParameters(dtype: .float64, using: &g)
        XCTAssertEqual(p["0.weight"].scalars, pa["weight"].scalars)
        XCTAssertEqual(p["0.bias"].scalars, pa["bias"].scalars)
        XCTAssertEqual(p["2.weight"].scalars, pb["weight"].scalars)
        let x = randn([3, 5], seed: 7)
        XCTAssertEqual(net.apply(p, x).scalars, b.apply(pb, a.apply(pa, x).relu()).scalars)
    }

    /// A child with `adapted` false is left out of the inner keys (ANIL's body), its parameters kept.
    func testUnadaptedChildIsOuterOnly() {
        let net = Sequential([Sequential.Child(Conv2d(1, 2, kernelSize: (3, 3)), name: "body", adapted: false), Sequential.Child(Flatten()),
                              Sequential.Child(Linear(8, 2), name: "head")])
        XCTAssertEqual(net.innerParameterKeys, ["head.bias", "head.weight"])
        XCTAssertEqual(parameters(net).keys, ["body.bias", "body.weight", "head.bias", "head.weight"])
        XCTAssertEqual(net.apply(parameters(net), randn([2, 1, 4, 4], seed: 8)).shape, [2, 2])
    }

    /// First and second derivatives through conv → batch norm → ReLU → max-pool → flatten → linear, with
    /// respect to the input, the filters, the norm's scale and the head, by finite differences (Float64).
    func testGradientsThroughEveryLayerKind() {
        let net = Sequential([Conv2d(1, 2, kernelSize: (3, 3), padding: (1, 1)), BatchNorm(2), ReLU(),
                              Pool2d(.max, kernelSize: (2, 2)), Pool2d(.average, kernelSize: (1, 2)), Flatten(), Linear(8, 3)])
        let p = parameters(net, seed: 9)
        let x = randn([3, 1, 4, 8], seed: 10)   // → (3, 2, 4, 8) → (3, 2, 2, 4) → (3, 2, 2, 2) → (3, 8) → (3, 3)
        XCTAssertEqual(net.apply(p, x).shape, [3, 3])
        checkGradients([x, p["0.weight"], p["1.scale"], p["6.weight"]]) { t in
            var q = p
            q["0.weight"] = t[1]; q["1.scale"] = t[2]; q["6.weight"] = t[3]
            return net.apply(q, t[0])
        }
    }

    /// One inner SGD step through a Sequential of two MSR layers, differentiated with respect to the
    /// meta-parameters (the gradient of a gradient, as MAML's meta-gradient), and its own second order.
    func testMetaGradientThroughAnInnerStep() {
        let net = Sequential([SymmetricLinear(5, 4, latentSize: 3), ReLU(), SymmetricLinear(4, 2, latentSize: 2, bias: false)])
        let p = parameters(net, seed: 11)
        let (support, query) = (randn([4, 5], seed: 12), randn([3, 5], seed: 13))
        let keys = ["0.symmetryMatrix", "0.filterParameters", "2.symmetryMatrix", "2.filterParameters"]
        let inner = net.innerParameterKeys.sorted()
        XCTAssertEqual(inner, ["0.bias", "0.filterParameters", "2.filterParameters"])
        checkGradients(keys.map { p[$0] }) { t in
            var fast = p
            for (key, value) in zip(keys, t) { fast[key] = value }
            // L_support = Σ y², θ ← θ − 0.1·∂L/∂θ for the inner keys, graph kept; then the query output.
            let supportLoss = net.apply(fast, support).squared().sum()
            let g = gradients(of: supportLoss, wrt: inner.map { fast[$0] }, createGraph: true)
            for (key, gi) in zip(inner, g) { fast[key] = fast[key] - 0.1 * gi }
            return net.apply(fast, query)
        }
    }
}

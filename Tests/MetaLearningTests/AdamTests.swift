import MetaLearning
import NeuralNets
import Tensors
import TestSupport
import XCTest

/// Adam as PyTorch's `torch.optim.Adam`: by hand, and its one-pass step against the formula composed of tensor ops.
final class AdamTests: XCTestCase {
    /// Adam's first two steps by hand: m₁ = 0.1g, v₁ = 0.001g², update η·m̂/(√v̂ + ε) = η·sign(g) at t = 1.
    func testAdamMatchesClosedForm() {
        let adam = Adam(learningRate: 0.01)
        var state = Adam.State()
        var p = Parameters(["w": Tensor(shape: [2], values: [1, -2], dtype: .float64)])
        let g1 = Parameters(["w": Tensor(shape: [2], values: [0.5, -4], dtype: .float64)])
        adam.update(&p, gradients: g1, state: &state)
        // t = 1: m̂ = g, v̂ = g², so the update is η·g/(|g| + ε).
        let first = zip([1.0, -2.0], [0.5, -4.0]).map { $0 - 0.01 * $1 / (abs($1) + 1e-8) }
        assertClose(p["w"], Tensor(shape: [2], values: first, dtype: .float64), tolerance: 1e-15)
        let g2 = Parameters(["w": Tensor(shape: [2], values: [1, 2], dtype: .float64)])
        adam.update(&p, gradients: g2, state: &state)
        // t = 2: m = 0.9·0.1g₁ + 0.1g₂, v = 0.999·0.001g₁² + 0.001g₂²
        for (i, (a, b)) in zip([0.5, -4.0], [1.0, 2.0]).enumerated() {
            let m = 0.09 * a + 0.1 * b, v = 0.000999 * a * a + 0.001 * b * b
            let step = 0.01 * (m / (1 - 0.81)) / ((v / (1 - 0.998001)).squareRoot() + 1e-8)
            XCTAssertEqual(p["w"].scalars[i], first[i] - step, accuracy: 1e-14)
        }
        XCTAssertEqual(state.step, 2)
    }

    /// The update in PyTorch's form, θ − s·m/(√v·r + ε) with s = η/(1 − β₁ᵗ) and r = 1/√(1 − β₂ᵗ), as tensor ops with
    /// every constant rounded to the element type (what `applySingle` computes in one pass over the elements).
    func composedStep(_ adam: Adam, g: Tensor, θ: Tensor, m: Tensor?, v: Tensor?, t: Int) -> (Tensor, Tensor, Tensor) {
        let m = (m.map { $0 * adam.beta1 } ?? Tensor.zeros(g.shape, dtype: g.dtype)) + g * (1 - adam.beta1)
        let v = (v.map { $0 * adam.beta2 } ?? Tensor.zeros(g.shape, dtype: g.dtype)) + g.squared() * (1 - adam.beta2)
        let c1 = 1 - Foundation.pow(adam.beta1, Double(t)), c2 = 1 - Foundation.pow(adam.beta2, Double(t))
        return (θ - (m / (v.sqrt() * (1 / c2.squareRoot()) + adam.epsilon)) * (adam.learningRate / c1), m, v)
    }

    /// Five steps with gradients spanning ten orders of magnitude (and zeros): the one-pass step gives the composed
    /// formula's parameter and moments bit for bit, in Float and in Double (same operations, same order, same rounding).
    func testOnePassEqualsComposedOpsBitForBit() {
        for dtype in [DType.float32, .float64] {
            let adam = Adam(learningRate: 3e-3, beta1: 0.85, beta2: 0.995, epsilon: 1e-7)
            var g = SplitMix64(seed: 3)
            var θ = Tensor.randomNormal([37, 5], dtype: dtype, using: &g), expected = θ
            var m: Tensor?, v: Tensor?, em: Tensor?, ev: Tensor?
            for t in 1...5 {
                let scale = Tensor(shape: [37, 5], values: (0..<185).map { i in i % 7 == 0 ? 0 : Foundation.pow(10, Double(i % 11) - 6) }, dtype: dtype)
                let grad = Tensor.randomNormal([37, 5], dtype: dtype, using: &g) * scale
                let r = adam.applySingle(gradient: grad, parameter: θ, firstMoment: m, secondMoment: v, step: t)
                let e = composedStep(adam, g: grad, θ: expected, m: em, v: ev, t: t)
                (θ, m, v) = (r.parameter, r.firstMoment, r.secondMoment)
                (expected, em, ev) = e
                XCTAssertEqual(θ.scalars, expected.scalars, "\(dtype) step \(t): parameter")
                XCTAssertEqual(m?.scalars, em?.scalars, "\(dtype) step \(t): first moment")
                XCTAssertEqual(v?.scalars, ev?.scalars, "\(dtype) step \(t): second moment")
                XCTAssertTrue(r.gradientIsFinite && r.parameterIsFinite)
            }
        }
    }

    /// The step reports a non-finite gradient (∞ or NaN anywhere, even where the update stays finite) and a
    /// non-finite new parameter, per key; `update` lists them.
    func testNonFiniteValuesAreFound() {
        let adam = Adam(learningRate: 0.1)
        let θ = Tensor(shape: [3], values: [1, 2, 3], dtype: .float32)
        for bad in [Double.infinity, -.infinity, .nan] {
            let r = adam.applySingle(gradient: Tensor(shape: [3], values: [0.5, bad, 1], dtype: .float32), parameter: θ,
                                     firstMoment: nil, secondMoment: nil, step: 1)
            XCTAssertFalse(r.gradientIsFinite, "\(bad)")
        }
        let huge = adam.applySingle(gradient: Tensor(shape: [3], values: [1, 1, 1], dtype: .float32),
                                    parameter: Tensor(shape: [3], values: [1, .infinity, 3], dtype: .float32),
                                    firstMoment: nil, secondMoment: nil, step: 1)
        XCTAssertTrue(huge.gradientIsFinite)
        XCTAssertFalse(huge.parameterIsFinite)
        var p = Parameters(["a": θ, "b": θ])
        var state = Adam.State()
        let found = adam.update(&p, gradients: Parameters(["a": Tensor(shape: [3], values: [1, .nan, 1], dtype: .float32),
                                                           "b": Tensor(shape: [3], values: [1, 1, 1], dtype: .float32)]), state: &state)
        XCTAssertEqual(found, Adam.NonFiniteValues(gradients: ["a"], parameters: ["a"]))
    }
}

import Foundation

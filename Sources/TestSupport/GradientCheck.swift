import Tensors
import XCTest

/// Finite-difference checks of first and second derivatives, in Float64.
///
/// For a function f of several tensors, the check forms the scalar L = Σ R ⊙ f(x) with a fixed random R
/// (so every output element matters) and compares:
/// 1. ∂L/∂xᵢ from `gradients(of:wrt:)` with central differences (L(x + h·e) − L(x − h·e)) / 2h;
/// 2. the gradient of S = Σᵢ ⟨∂L/∂xᵢ, Vᵢ⟩ (random directions Vᵢ), taken through the first gradients with
///    `createGraph: true`, with central differences of S computed from first-order gradients. That is a
///    Hessian–vector product, so every second derivative of f is exercised.
///
/// Errors: central differences are exact to O(h²·f‴) ≈ 1e-10 and rounding adds O(ε·|L|/h) ≈ 1e-10 for
/// h = 1e-6 (first order) and 1e-5 (second order), so `tolerance` 1e-6 (relative to max(|ref|, 1)) has
/// ample margin while any wrong rule misses by orders of magnitude.
public func checkGradients(_ inputs: [Tensor], tolerance: Double = 1e-6, secondOrder: Bool = true, seed: UInt64 = 7,
                           file: StaticString = #filePath, line: UInt = #line,
                           _ f: @escaping ([Tensor]) -> Tensor) {
    let xs = inputs.map { $0.to(.float64).detached() }
    var rng = SplitMix64(seed: seed)
    let probe = f(xs)
    let r = Tensor.randomNormal(probe.shape, dtype: .float64, using: &rng)
    func loss(_ xs: [Tensor]) -> Tensor { (f(xs) * r).sum() }
    // Evaluated on leaves with recording on: f may itself take gradients (an inner loop).
    func value(_ xs: [Tensor]) -> Double { loss(xs.map { $0.requiringGradient() }).item }

    // First order.
    let leaves = xs.map { $0.requiringGradient() }
    let analytic = gradients(of: loss(leaves), wrt: leaves)
    let h1 = 1e-6
    for (i, x) in xs.enumerated() {
        let numeric = finiteDifference(xs, i, h: h1, value)
        assertClose(analytic[i], Tensor(shape: x.shape, values: numeric, dtype: .float64), tolerance: tolerance,
                    "first derivative, input \(i)", file: file, line: line)
    }
    guard secondOrder else { return }

    // Second order: S(x) = Σᵢ ⟨∂L/∂xᵢ, Vᵢ⟩.
    let v = xs.map { Tensor.randomNormal($0.shape, dtype: .float64, using: &rng) }
    func s(_ xs: [Tensor], createGraph: Bool) -> (Tensor, [Tensor]) {
        let leaves = xs.map { $0.requiringGradient() }
        let g = gradients(of: loss(leaves), wrt: leaves, createGraph: createGraph)
        var total = Tensor(0, dtype: .float64)
        for (gi, vi) in zip(g, v) { total = total + (gi * vi).sum() }
        return (total, leaves)
    }
    let (sValue, sLeaves) = s(xs, createGraph: true)
    let second = gradients(of: sValue, wrt: sLeaves)
    let h2 = 1e-5
    for (i, x) in xs.enumerated() {
        let numeric = finiteDifference(xs, i, h: h2) { s($0, createGraph: false).0.item }
        assertClose(second[i], Tensor(shape: x.shape, values: numeric, dtype: .float64), tolerance: tolerance,
                    "second derivative (Hessian·v), input \(i)", file: file, line: line)
    }
}

/// Central differences of `value` with respect to every element of input `i`.
public func finiteDifference(_ xs: [Tensor], _ i: Int, h: Double, _ value: ([Tensor]) -> Double) -> [Double] {
    let base = xs[i].scalars
    var out = [Double](repeating: 0, count: base.count)
    for e in 0..<base.count {
        var plus = base, minus = base
        plus[e] += h
        minus[e] -= h
        var xp = xs, xm = xs
        xp[i] = Tensor(shape: xs[i].shape, values: plus, dtype: .float64)
        xm[i] = Tensor(shape: xs[i].shape, values: minus, dtype: .float64)
        out[e] = (value(xp) - value(xm)) / (2 * h)
    }
    return out
}

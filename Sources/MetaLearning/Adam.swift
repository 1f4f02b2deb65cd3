import NeuralNets
import Tensors

/// Adam (Kingma & Ba, 2015), as PyTorch's `torch.optim.Adam` without weight decay:
///
///     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
///
/// `learningRate` η, `beta1` β₁ and `beta2` β₂ (decay rates of the first and second moment estimates,
/// in [0, 1)), `epsilon` ε (added to the denominator for numerical stability).
public struct Adam: Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double

    /// Per-parameter state: the step count t and the moment estimates m, v.
    public struct State: Sendable {
        public var step: Int = 0
        public var firstMoment: Parameters = Parameters()
        public var secondMoment: Parameters = Parameters()
        public init() {}
    }

    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// One step for one parameter: returns the new parameter and its moments.
    ///
    /// One pass over the elements (the optimiser runs on every meta-parameter after every outer step, and
    /// composed tensor ops made it eight passes and seven temporaries over U), computing each element with
    /// the formula's operations in its order and rounding — the same values as `m·β₁ + g·(1 − β₁)`, … as
    /// tensor ops, with every constant rounded to the element type first.
    public func applySingle(gradient g: Tensor, parameter θ: Tensor, firstMoment m: Tensor?, secondMoment v: Tensor?,
                            step t: Int) -> (parameter: Tensor, firstMoment: Tensor, secondMoment: Tensor) {
        precondition(θ.shape == g.shape && θ.dtype == g.dtype, "Adam: gradient \(g.shape) \(g.dtype) for parameter \(θ.shape) \(θ.dtype)")
        switch g.dtype {
        case .float32: return step(Float.self, g, θ, m, v, t)
        case .float64: return step(Double.self, g, θ, m, v, t)
        }
    }

    private func step<T: TensorScalar>(_: T.Type, _ g: Tensor, _ θ: Tensor, _ m: Tensor?, _ v: Tensor?, _ t: Int)
        -> (parameter: Tensor, firstMoment: Tensor, secondMoment: Tensor) {
        let n = g.count
        let gs = T.scalars(g.storage), θs = T.scalars(θ.storage)
        // No moments yet (t = 1): they start at zero, as `m·β₁` of a zero tensor would.
        let ms = m.map { T.scalars($0.storage) } ?? [T](repeating: 0, count: n)
        let vs = v.map { T.scalars($0.storage) } ?? [T](repeating: 0, count: n)
        precondition(ms.count == n && vs.count == n, "Adam: moments of \(ms.count), \(vs.count) elements for a parameter of \(n)")
        let b1 = T(beta1), b2 = T(beta2), a1 = T(1 - beta1), a2 = T(1 - beta2)
        let c1 = T(1 - Foundation.pow(beta1, Double(t))), c2 = T(1 - Foundation.pow(beta2, Double(t)))
        let eps = T(epsilon), lr = T(learningRate)
        // The three results are written once each, never zero-filled first (three U-sized fills per step otherwise).
        var newM: [T] = [], newV: [T] = [], newθ: [T] = []
        gs.withUnsafeBufferPointer { g in θs.withUnsafeBufferPointer { θ in
        ms.withUnsafeBufferPointer { m in vs.withUnsafeBufferPointer { v in
        newM = [T](unsafeUninitializedCapacity: n) { mOut, mCount in
        newV = [T](unsafeUninitializedCapacity: n) { vOut, vCount in
        newθ = [T](unsafeUninitializedCapacity: n) { θOut, θCount in
            for i in 0..<n {
                let gi = g[i]
                let mi = m[i] * b1 + gi * a1
                let vi = v[i] * b2 + gi * gi * a2
                mOut[i] = mi
                vOut[i] = vi
                θOut[i] = θ[i] - (mi / c1) / ((vi / c2).vectorizableSquareRoot() + eps) * lr
            }
            θCount = n
        }
            vCount = n
        }
            mCount = n
        } } } } }
        return (Tensor(shape: θ.shape, scalars: newθ), Tensor(shape: g.shape, scalars: newM), Tensor(shape: g.shape, scalars: newV))
    }

    /// One step for every parameter that has a gradient.
    public func update(_ parameters: inout Parameters, gradients: Parameters, state: inout State) {
        state.step += 1
        for (key, g) in gradients {
            let r = applySingle(gradient: g, parameter: parameters[key].detached(),
                                firstMoment: state.firstMoment.contains(key) ? state.firstMoment[key] : nil,
                                secondMoment: state.secondMoment.contains(key) ? state.secondMoment[key] : nil,
                                step: state.step)
            parameters[key] = r.parameter
            state.firstMoment[key] = r.firstMoment
            state.secondMoment[key] = r.secondMoment
        }
    }
}

import Foundation

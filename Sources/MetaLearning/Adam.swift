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

    /// One step for one parameter: returns the new parameter and its moments, and whether the gradient and the new
    /// parameter hold only finite values (the trainer's divergence guard).
    ///
    /// One pass over the elements (the optimiser runs on every meta-parameter after every outer step, and
    /// composed tensor ops made it eight passes and seven temporaries over U), arranged as PyTorch arranges the
    /// update but with its division by √(1 − β₂ᵗ) as a multiplication by the reciprocal — one division and one square
    /// root per element:
    ///
    ///     θ ← θ − s · m / (√v · r + ε),   s = η / (1 − β₁ᵗ),  r = 1 / √(1 − β₂ᵗ)
    ///
    /// (the same as the formula above up to rounding), every constant rounded to the element type first; the same
    /// values as those operations composed of tensor ops.
    public func applySingle(gradient g: Tensor, parameter θ: Tensor, firstMoment m: Tensor?, secondMoment v: Tensor?,
                            step t: Int) -> (parameter: Tensor, firstMoment: Tensor, secondMoment: Tensor,
                                             gradientIsFinite: Bool, parameterIsFinite: Bool) {
        precondition(θ.shape == g.shape && θ.dtype == g.dtype, "Adam: gradient \(g.shape) \(g.dtype) for parameter \(θ.shape) \(θ.dtype)")
        switch g.dtype {
        case .float32: return step(Float.self, g, θ, m, v, t)
        case .float64: return step(Double.self, g, θ, m, v, t)
        }
    }

    private func step<T: TensorScalar>(_: T.Type, _ g: Tensor, _ θ: Tensor, _ m: Tensor?, _ v: Tensor?, _ t: Int)
        -> (parameter: Tensor, firstMoment: Tensor, secondMoment: Tensor, gradientIsFinite: Bool, parameterIsFinite: Bool) {
        let n = g.count
        let gs = T.scalars(g.storage), θs = T.scalars(θ.storage)
        // No moments yet (t = 1): they start at zero, as `m·β₁` of a zero tensor would.
        let ms = m.map { T.scalars($0.storage) } ?? [T](repeating: 0, count: n)
        let vs = v.map { T.scalars($0.storage) } ?? [T](repeating: 0, count: n)
        precondition(ms.count == n && vs.count == n, "Adam: moments of \(ms.count), \(vs.count) elements for a parameter of \(n)")
        let b1 = T(beta1), b2 = T(beta2), a1 = T(1 - beta1), a2 = T(1 - beta2)
        let c1 = 1 - Foundation.pow(beta1, Double(t)), c2 = 1 - Foundation.pow(beta2, Double(t))
        let stepSize = T(learningRate / c1), r = T(1 / c2.squareRoot()), eps = T(epsilon)
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
                θOut[i] = θ[i] - stepSize * (mi / (vi.vectorizableSquareRoot() * r + eps))
            }
            θCount = n
        }
            vCount = n
        }
            mCount = n
        } } } } }
        // The finiteness checks as separate passes: a running check inside the loop above kept it from vectorising.
        let parameter = Tensor(shape: θ.shape, scalars: newθ)
        return (parameter, Tensor(shape: g.shape, scalars: newM), Tensor(shape: g.shape, scalars: newV), g.isFinite, parameter.isFinite)
    }

    /// Keys whose gradient or whose updated parameter holds a non-finite value, in sorted order.
    public struct NonFiniteValues: Sendable, Equatable {
        public var gradients: [String]
        public var parameters: [String]

        public init(gradients: [String] = [], parameters: [String] = []) {
            self.gradients = gradients
            self.parameters = parameters
        }
    }

    /// One step for every parameter that has a gradient. Returns the keys whose gradient or new value is not finite
    /// (all parameters are updated regardless; the trainer discards such a step).
    @discardableResult
    public func update(_ parameters: inout Parameters, gradients: Parameters, state: inout State) -> NonFiniteValues {
        state.step += 1
        var found = NonFiniteValues()
        for key in gradients.keys {
            let r = applySingle(gradient: gradients[key], parameter: parameters[key].detached(),
                                firstMoment: state.firstMoment.contains(key) ? state.firstMoment[key] : nil,
                                secondMoment: state.secondMoment.contains(key) ? state.secondMoment[key] : nil,
                                step: state.step)
            parameters[key] = r.parameter
            state.firstMoment[key] = r.firstMoment
            state.secondMoment[key] = r.secondMoment
            if !r.gradientIsFinite { found.gradients.append(key) }
            if !r.parameterIsFinite { found.parameters.append(key) }
        }
        return found
    }
}

import Foundation

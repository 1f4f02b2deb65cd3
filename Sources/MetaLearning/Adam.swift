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
    public func applySingle(gradient g: Tensor, parameter θ: Tensor, firstMoment m: Tensor?, secondMoment v: Tensor?,
                            step t: Int) -> (parameter: Tensor, firstMoment: Tensor, secondMoment: Tensor) {
        withoutGradients {
            let m = (m.map { $0 * beta1 } ?? Tensor.zeros(g.shape, dtype: g.dtype)) + g * (1 - beta1)
            let v = (v.map { $0 * beta2 } ?? Tensor.zeros(g.shape, dtype: g.dtype)) + g.squared() * (1 - beta2)
            let c1 = 1 - Foundation.pow(beta1, Double(t)), c2 = 1 - Foundation.pow(beta2, Double(t))
            let update = (m / c1) / ((v / c2).sqrt() + epsilon) * learningRate
            return (θ - update, m, v)
        }
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

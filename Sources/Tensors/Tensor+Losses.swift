/// Normalisation, softmax and losses, composed from differentiable primitives (no backward rules of their own).
extension Tensor {
    /// log softmax along `axis`: x − m − log Σ exp(x − m), with m = max x held constant for stability
    /// (the result does not depend on m, so treating it as a constant leaves every derivative exact).
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let m = max(axis: axis, keepDims: true).detached()
        let z = self - m
        return z - z.exp().sum(axis: axis, keepDims: true).log()
    }

    /// softmax along `axis`.
    public func softmax(axis: Int = -1) -> Tensor { logSoftmax(axis: axis).exp() }

    /// Mean cross-entropy of logits (N, classes) against integer labels (N).
    public static func crossEntropy(logits: Tensor, labels: [Int]) -> Tensor {
        guard logits.rank == 2, logits.shape[0] == labels.count else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "crossEntropy", lhs: logits.shape, rhs: [labels.count], detail: "expected logits (N, classes) and N labels"))")
        }
        let classes = logits.shape[1]
        var oneHot = [Double](repeating: 0, count: logits.count)
        for (i, y) in labels.enumerated() {
            precondition(y >= 0 && y < classes, "crossEntropy: label \(y) is outside 0..<\(classes)")
            oneHot[i * classes + y] = 1
        }
        let target = Tensor(shape: logits.shape, values: oneHot, dtype: logits.dtype)
        return -(logits.logSoftmax(axis: 1) * target).sum() / Double(labels.count)
    }

    /// Mean squared error over every element.
    public static func meanSquaredError(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        guard prediction.shape == target.shape else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "meanSquaredError", lhs: prediction.shape, rhs: target.shape, detail: "prediction and target must have the same shape"))")
        }
        return (prediction - target).squared().mean()
    }

    /// Batch normalisation with the batch's statistics: per channel (axis 1), subtract the mean and divide
    /// by √(biased variance + ε) over every other axis, then scale by γ and shift by β (both (C)).
    public static func batchNorm(_ x: Tensor, scale gamma: Tensor, shift beta: Tensor, epsilon: Double = 1e-5) -> Tensor {
        guard x.rank >= 2, gamma.shape == [x.shape[1]], beta.shape == [x.shape[1]] else {
            preconditionFailure("\(TensorError.shapeMismatch(op: "batchNorm", lhs: x.shape, rhs: gamma.shape, detail: "expected x (N, C, …) with scale and shift of shape (C)"))")
        }
        let axes = [0] + Array(2..<x.rank)
        var paramShape = [Int](repeating: 1, count: x.rank)
        paramShape[1] = x.shape[1]
        let centred = x - x.mean(axes: axes, keepDims: true)
        let variance = centred.squared().mean(axes: axes, keepDims: true)
        return centred / (variance + epsilon).sqrt() * gamma.reshaped(paramShape) + beta.reshaped(paramShape)
    }
}

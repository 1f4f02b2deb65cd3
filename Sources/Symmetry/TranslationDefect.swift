import Tensors

/// How far a weight matrix is from a 1-D convolution: the relative distance of W (O × I) from the nearest
/// Toeplitz matrix (one whose rows are shifted copies of each other, W[o, i] depending only on i − o).
///
/// The nearest Toeplitz matrix in the Frobenius norm replaces every entry by the mean of its diagonal
/// (the orthogonal projection onto the Toeplitz subspace, which is also the average of W over the
/// translation group acting on both indices). The defect is ‖W − T(W)‖ / ‖W‖: 0 for a convolution,
/// near 1 − (O + I − 1)/(O·I)-ish for an unstructured random matrix.
public enum TranslationDefect {
    /// ‖W − T(W)‖ / ‖W‖ for a matrix W of shape (O, I).
    public static func toeplitzDistance(_ w: Tensor) -> Double {
        precondition(w.rank == 2, "toeplitzDistance: expected a matrix (O, I), got \(w.shape)")
        let (rows, cols) = (w.shape[0], w.shape[1])
        let x = w.scalars
        // Diagonal d = i − o + (rows − 1) ∈ 0..<(rows + cols − 1).
        var sums = [Double](repeating: 0, count: rows + cols - 1), counts = sums
        for o in 0..<rows { for i in 0..<cols { sums[i - o + rows - 1] += x[o * cols + i]; counts[i - o + rows - 1] += 1 } }
        var residual = 0.0, norm = 0.0
        for o in 0..<rows {
            for i in 0..<cols {
                let d = i - o + rows - 1
                let r = x[o * cols + i] - sums[d] / counts[d]
                residual += r * r
                norm += x[o * cols + i] * x[o * cols + i]
            }
        }
        return norm > 0 ? (residual / norm).squareRoot() : 0
    }

    /// Mean Toeplitz distance of W = reshape(U·v) over `samples` random v ~ N(0, I): how much of what a
    /// symmetry matrix U (O·I × K) can express is convolution-like.
    public static func meanToeplitzDistance(symmetryMatrix u: Tensor, outputs: Int, inputs: Int, samples: Int = 100,
                                            seed: UInt64 = 0) -> Double {
        precondition(u.rank == 2 && u.shape[0] == outputs * inputs,
                     "meanToeplitzDistance: U must be (O·I, K) = (\(outputs * inputs), K), got \(u.shape)")
        var g = SplitMix64(seed: seed)
        var total = 0.0
        withoutGradients {
            for _ in 0..<samples {
                let v = Tensor.randomNormal([u.shape[1], 1], dtype: u.dtype, using: &g)
                total += toeplitzDistance(Tensor.matmul(u.detached(), v).reshaped([outputs, inputs]))
            }
        }
        return total / Double(samples)
    }
}

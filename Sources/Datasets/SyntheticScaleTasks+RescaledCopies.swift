import Tensors

extension SyntheticScaleTasks {
    /// How close each field of a bank of 9×9 filters is to one continuous filter at the family's scales: for
    /// every scale step k → k + 1 (k < S − 1), the mean over the fields of the relative error
    ///
    ///     ‖w[f·S + k + 1] − T_k · w[f·S + k]‖ / ‖w[f·S + k + 1]‖,    T_k = B_{k+1} · B_k⁺,
    ///
    /// where B_k (81, 6) holds the Hermite–Gaussian basis sampled at scale s_k (`sampledBasis`) and B_k⁺ is its
    /// least-squares pseudo-inverse: channel k's filter read as the continuous filter ψ = Σᵢ aᵢ bᵢ that fits it
    /// best, then sampled one scale up. 0 for every bank of the family (to Float32 rounding); 1.64 on
    /// average for independent random filters of the basis at each channel's scale (measured over 20 banks). A grid resampling would not do here: magnifying the family's own sampled 9×9 filters by √2
    /// with a bilinear, Keys cubic or Lanczos-3 kernel misses the next scale's filter by 0.28 / 0.22 / 0.19
    /// (mean relative error, 1 → √2) and 0.20 / 0.12 / 0.04 (√2 → 2), measured once in NumPy on 20 random
    /// filters: the scale-1 filters are barely band-limited at the grid's spacing. The basis is the
    /// continuous filter the family samples.
    ///
    /// - Parameter bank: (9, 1, 9, 9) filter weights (any dtype).
    /// - Returns: S − 1 = 2 errors, for the steps 1 → √2 and √2 → 2.
    public static func rescaledCopiesErrors(_ bank: Tensor) -> [Double] {
        let taps = kernelSize * kernelSize, m = HermiteGaussianBasis.count
        precondition(bank.shape == [outputChannels, 1, kernelSize, kernelSize],
                     "rescaledCopiesErrors: a bank of shape \(bank.shape), not (\(outputChannels), 1, \(kernelSize), \(kernelSize))")
        let w = bank.scalars, basis = sampledBasis  // (S, 6, 81)
        func column(_ k: Int, _ i: Int, _ t: Int) -> Double { basis[(k * m + i) * taps + t] }
        return (0..<(scaleCount - 1)).map { k in
            // Gram matrix B_kᵀ·B_k (6, 6).
            var gram = [Double](repeating: 0, count: m * m)
            for i in 0..<m { for j in 0..<m { for t in 0..<taps { gram[i * m + j] += column(k, i, t) * column(k, j, t) } } }
            var total = 0.0
            for f in 0..<fieldCount {
                let (from, to) = (channel(field: f, scale: k) * taps, channel(field: f, scale: k + 1) * taps)
                var rhs = [Double](repeating: 0, count: m)
                for i in 0..<m { for t in 0..<taps { rhs[i] += column(k, i, t) * w[from + t] } }
                let a = solveSymmetric(gram, rhs, n: m)
                var error = 0.0, norm = 0.0
                for t in 0..<taps {
                    var predicted = 0.0
                    for i in 0..<m { predicted += a[i] * column(k + 1, i, t) }
                    error += (w[to + t] - predicted) * (w[to + t] - predicted)
                    norm += w[to + t] * w[to + t]
                }
                total += norm > 0 ? (error / norm).squareRoot() : 0
            }
            return total / Double(fieldCount)
        }
    }

    /// Solves g·x = b for a symmetric positive definite n×n matrix g (row-major), by Cholesky.
    static func solveSymmetric(_ g: [Double], _ b: [Double], n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = g[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? s.squareRoot() : s / l[j * n + j]
            }
        }
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= l[i * n + k] * y[k] }
            y[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y
    }
}

import Tensors

/// How far a weight is from equivariance under a candidate group, and how much of a learned symmetry
/// matrix's column space is equivariant.
public enum EquivarianceDefect {
    /// The group average W̄ = (1/|G|) Σ_g π₂(g)⁻¹·W·π₁(g), the orthogonal projection of W onto the
    /// G-equivariant maps. W is (O, I) with O = output.degree, I = input.degree.
    public static func groupAverage(_ w: [Double], input: PermutationGroup, output: PermutationGroup) -> [Double] {
        let (o, i) = (output.degree, input.degree)
        var avg = [Double](repeating: 0, count: o * i)
        for (g1, g2) in zip(input.elements, output.elements) {
            // (π₂(g)⁻¹ W π₁(g))[a, b] = W[π₂(g)(a), π₁(g)(b)]
            for a in 0..<o { for b in 0..<i { avg[a * i + b] += w[g2[a] * i + g1[b]] } }
        }
        let scale = 1 / Double(input.order)
        return avg.map { $0 * scale }
    }

    /// ‖W − W̄‖ / ‖W‖: 0 for an equivariant W, near 1 for an unstructured one.
    public static func defect(_ w: Tensor, input: PermutationGroup, output: PermutationGroup) throws -> Double {
        guard w.count == input.degree * output.degree else {
            throw SymmetryError.mismatchedGroups("W has \(w.count) entries; the actions need (O, I) = (\(output.degree), \(input.degree))")
        }
        guard input.order == output.order else {
            throw SymmetryError.mismatchedGroups("\(input.name) and \(output.name) have different orders")
        }
        let x = w.scalars
        let avg = groupAverage(x, input: input, output: output)
        var r = 0.0, n = 0.0
        for (a, b) in zip(x, avg) { r += (a - b) * (a - b); n += a * a }
        return n > 0 ? (r / n).squareRoot() : 0
    }

    /// Mean defect of W = reshape(U·v) over random v ~ N(0, I).
    public static func meanDefect(symmetryMatrix u: Tensor, input: PermutationGroup, output: PermutationGroup,
                                  samples: Int = 50, seed: UInt64 = 0) throws -> Double {
        var g = SplitMix64(seed: seed)
        var total = 0.0
        for _ in 0..<samples {
            let v = Tensor.randomNormal([u.shape[1], 1], dtype: u.dtype, using: &g)
            total += try defect(withoutGradients { Tensor.matmul(u.detached(), v) }, input: input, output: output)
        }
        return total / Double(samples)
    }

    /// The fraction of U's column space inside the equivariant subspace: ‖P·U‖²_F / ‖U‖²_F, P the projection
    /// onto G-equivariant W (applied to each column reshaped as W). 1 when every column is equivariant.
    public static func equivariantFraction(symmetryMatrix u: Tensor, input: PermutationGroup, output: PermutationGroup) -> Double {
        let (rows, k) = (u.shape[0], u.shape[1])
        let x = u.scalars
        var inside = 0.0, total = 0.0
        for c in 0..<k {
            let column = (0..<rows).map { x[$0 * k + c] }
            let projected = groupAverage(column, input: input, output: output)
            inside += projected.reduce(0) { $0 + $1 * $1 }
            total += column.reduce(0) { $0 + $1 * $1 }
        }
        return total > 0 ? inside / total : 1
    }
}

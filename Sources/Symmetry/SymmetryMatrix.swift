import Tensors

/// Building symmetry matrices U from a group (the paper's Proposition 1): with G acting on the inputs by π₁
/// and on the outputs by π₂, every W = reshape(U·v) commutes with the action, π₂(g)·W = W·π₁(g) for all
/// g, and every such W arises that way.
public enum SymmetryMatrix {
    /// The general construction: one column per orbit of G on (output index, input index) pairs,
    /// (o, i) ~ (π₂(g)(o), π₁(g)(i)); the column is the orbit's indicator. W is then constant on orbits, which
    /// is exactly the equivariance constraint W[π₂(g)o, π₁(g)i] = W[o, i], so U has as many columns as the
    /// space of equivariant maps has dimensions.
    ///
    /// Shapes: U (O·I, number of orbits), rows in W's row-major order (o·I + i).
    public static func equivariant(input: PermutationGroup, output: PermutationGroup, dtype: DType = .float32) throws -> Tensor {
        let orbits = try orbitLabels(input: input, output: output)
        let columns = (orbits.max() ?? -1) + 1
        var u = [Double](repeating: 0, count: orbits.count * columns)
        for (row, c) in orbits.enumerated() { u[row * columns + c] = 1 }
        return Tensor(shape: [orbits.count, columns], values: u, dtype: dtype)
    }

    /// The orbit of each (o, i) pair (index o·I + i), numbered in order of first appearance.
    public static func orbitLabels(input: PermutationGroup, output: PermutationGroup) throws -> [Int] {
        guard input.order == output.order else {
            throw SymmetryError.mismatchedGroups("\(input.name) has \(input.order) elements and \(output.name) \(output.order); give the same group's two actions, element by element")
        }
        let (o, i) = (output.degree, input.degree)
        var label = [Int](repeating: -1, count: o * i)
        var next = 0
        for start in 0..<(o * i) where label[start] < 0 {
            let (so, si) = (start / i, start % i)
            for (g1, g2) in zip(input.elements, output.elements) { label[g2[so] * i + g1[si]] = next }
            next += 1
        }
        return label
    }

    /// The paper's construction for the G-convolution (§4.1): U stacks the permutation matrices π(g),
    /// one block per group element, so that W = reshape(U·v) has row g equal to π(g)·v — a filter v over the
    /// n inputs, moved by every element (output indexed by group elements).
    ///
    /// Shapes: U (|G|·n, n); W (|G|, n) with W[g, :] = v ∘ π(g)⁻¹, i.e. W[g, π(g)(j)] = v[j].
    public static func groupConvolution(_ group: PermutationGroup, dtype: DType = .float32) -> Tensor {
        let n = group.degree, m = group.order
        var u = [Double](repeating: 0, count: m * n * n)
        for (g, p) in group.elements.enumerated() {
            for j in 0..<n { u[((g * n) + p[j]) * n + j] = 1 }   // row (g, p[j]) of W takes v[j]
        }
        return Tensor(shape: [m * n, n], values: u, dtype: dtype)
    }
}

extension SymmetryMatrix {
    /// The symmetry matrix of a 1-D convolution with `kernel` taps and no padding from `inputs` to
    /// `outputs = inputs − kernel + 1` positions: column j puts tap j at W[o, o + j], so reshape(U·v) is
    /// the convolution (cross-correlation) with filter v. The translation prior of a fully connected layer.
    ///
    /// Shapes: U (outputs·inputs, kernel).
    public static func convolution1D(inputs: Int, outputs: Int, kernel: Int, dtype: DType = .float32) throws -> Tensor {
        guard kernel >= 1, outputs == inputs - kernel + 1 else {
            throw SymmetryError.invalidArgument("a \(kernel)-tap convolution maps \(inputs) inputs to \(inputs - kernel + 1) outputs, not \(outputs)")
        }
        var u = [Double](repeating: 0, count: outputs * inputs * kernel)
        for o in 0..<outputs { for j in 0..<kernel { u[(o * inputs + o + j) * kernel + j] = 1 } }
        return Tensor(shape: [outputs * inputs, kernel], values: u, dtype: dtype)
    }
}

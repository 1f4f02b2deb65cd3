import Symmetry
import Tensors
import TestSupport
import XCTest

final class SymmetryMatrixTests: XCTestCase {
    /// Rank of a dense matrix by Gaussian elimination with partial pivoting (independent of the library).
    func rank(_ rows: [[Double]], tolerance: Double = 1e-9) -> Int {
        var a = rows
        guard let columns = a.first?.count else { return 0 }
        var r = 0
        for c in 0..<columns where r < a.count {
            guard let pivot = (r..<a.count).max(by: { abs(a[$0][c]) < abs(a[$1][c]) }), abs(a[pivot][c]) > tolerance else { continue }
            a.swapAt(r, pivot)
            for i in (r + 1)..<a.count where a[i][c] != 0 {
                let f = a[i][c] / a[r][c]
                for j in c..<columns { a[i][j] -= f * a[r][j] }
            }
            r += 1
        }
        return r
    }

    /// Dimension of {W : W[π₂(g)o, π₁(g)i] = W[o, i] for every generator-like element g}: the null space of
    /// the stacked constraint matrix, computed directly from the definition.
    func equivariantDimension(input: PermutationGroup, output: PermutationGroup) -> Int {
        let (o, i) = (output.degree, input.degree)
        var constraints: [[Double]] = []
        for (g1, g2) in zip(input.elements, output.elements).dropFirst() {
            for a in 0..<o { for b in 0..<i {
                var row = [Double](repeating: 0, count: o * i)
                row[g2[a] * i + g1[b]] += 1
                row[a * i + b] -= 1
                if row.contains(where: { $0 != 0 }) { constraints.append(row) }
            } }
        }
        return o * i - rank(constraints)
    }

    func check(input: PermutationGroup, output: PermutationGroup, file: StaticString = #filePath, line: UInt = #line) throws {
        let u = try SymmetryMatrix.equivariant(input: input, output: output, dtype: .float64)
        XCTAssertEqual(u.shape[0], input.degree * output.degree, file: file, line: line)
        XCTAssertEqual(u.shape[1], equivariantDimension(input: input, output: output), "columns ≠ dimension of equivariant maps", file: file, line: line)
        // reshape(U·v) commutes with the action for random v: defect at rounding level.
        XCTAssertLessThan(try EquivarianceDefect.meanDefect(symmetryMatrix: u, input: input, output: output, samples: 5), 1e-14, file: file, line: line)
        XCTAssertEqual(EquivarianceDefect.equivariantFraction(symmetryMatrix: u, input: input, output: output), 1, accuracy: 1e-12, file: file, line: line)
        // A random W is clearly not equivariant.
        let w = randn([output.degree, input.degree], seed: 3)
        XCTAssertGreaterThan(try EquivarianceDefect.defect(w, input: input, output: output), 0.3, file: file, line: line)
    }

    func testTranslations1D() throws {
        let t = PermutationGroup.cyclicShifts(7)
        XCTAssertEqual(t.order, 7)
        try check(input: t, output: t)
        XCTAssertEqual(try SymmetryMatrix.equivariant(input: t, output: t).shape[1], 7)   // circulant matrices
    }

    func testD4OnA3x3Grid() throws {
        let d4 = PermutationGroup.dihedral4(grid: 3)
        XCTAssertEqual(d4.order, 8)
        XCTAssertEqual(PermutationGroup.rotations90(grid: 3).order, 4)
        try check(input: d4, output: d4)
    }

    /// A lifting layer: C4 rotating the pixels of one input channel, and acting on 4 output channels × pixels
    /// by the same rotation together with a cyclic shift of the channels (a product group, diagonal action).
    func testProductGroupLiftingLayer() throws {
        let rotations = PermutationGroup.rotations90(grid: 3)
        let channels = PermutationGroup.cyclicRegular(4)
        // Both groups list their elements as r⁰, r¹, r², r³ (closure from one generator), so element k of
        // the channel shifts pairs with element k of the rotations.
        XCTAssertEqual(rotations.elements[2], rotations.elements[1].map { rotations.elements[1][$0] })
        let output = try channels.product(rotations, pairing: Array(0..<4), name: "C4 on channels × pixels")
        try check(input: rotations, output: output)
        let full = try channels.product(rotations)
        XCTAssertEqual(full.order, 16)
    }

    /// The G-convolution U of cyclic shifts is a circular 1-D convolution: y = reshape(U·v)·x equals conv1d
    /// of the circularly padded x with filter v.
    func testTranslationGroupConvolutionIsConv1d() {
        let n = 6
        let u = SymmetryMatrix.groupConvolution(.cyclicShifts(n), dtype: .float64)
        XCTAssertEqual(u.shape, [n * n, n])
        let v = randn([n], seed: 4), x = randn([3, 1, n], seed: 5)
        let w = Tensor.matmul(u, v.reshaped([n, 1])).reshaped([n, n])
        let y = Tensor.matmul(x, w, transposeB: true)                           // (3, 1, n)
        let padded = Tensor.concatenate([x, x.sliced(axis: 2, 0..<(n - 1))], axis: 2)
        assertClose(y, Tensor.conv1d(padded, weight: v.reshaped([1, 1, n])), tolerance: 1e-14)
    }

    func testBadInputsAreErrors() {
        XCTAssertThrowsError(try PermutationGroup(name: "bad", degree: 3, generators: [[0, 0, 1]])) { error in
            XCTAssertTrue("\(error)".contains("not a permutation of 0..<3"))
        }
        // S_8 has 40320 elements: above a limit of 1000.
        let transposition = [1, 0, 2, 3, 4, 5, 6, 7], cycle = [1, 2, 3, 4, 5, 6, 7, 0]
        XCTAssertThrowsError(try PermutationGroup(name: "S8", degree: 8, generators: [transposition, cycle], limit: 1000)) { error in
            XCTAssertEqual(error as? SymmetryError, .groupTooLarge(name: "S8", limit: 1000))
        }
        XCTAssertThrowsError(try SymmetryMatrix.equivariant(input: .cyclicShifts(3), output: .cyclicShifts(4)))
    }
}

import Tensors
import TestSupport
import XCTest

final class SegmentedMatmulTests: XCTestCase {
    /// Segment boundaries from row counts.
    func ranges(_ rows: [Int]) -> [Range<Int>] {
        var start = 0
        return rows.map { n in defer { start += n }; return start..<(start + n) }
    }

    /// The segmented product, its gradients with respect to a and to every copy, against each segment computed
    /// alone (its rows times a leaf of its own): bitwise equal in Float32, for one product over all rows (the
    /// packed kernel) and one per segment (k = 3 runs the unpacked loops), both transpositions, unequal and
    /// empty segments. A second derivative through a's gradient is compared too.
    func testEqualsEachSegmentAloneBitwise() {
        for (rows, n, k) in [([16, 16], 60, 30), ([16, 16, 8], 40, 3), ([6, 0, 13], 70, 19), ([1, 2], 5, 4)] {
            for transposeB in [false, true] {
                let m = rows.reduce(0, +)
                let a = randn([m, k], seed: 1, dtype: .float32)
                let b = randn(transposeB ? [n, k] : [k, n], seed: 2, dtype: .float32)
                let r = randn([m, n], seed: 3, dtype: .float32)
                let label = "rows \(rows), n \(n), k \(k), transposeB \(transposeB)"
                // Together: one leaf of b per segment.
                let aLeaf = a.requiringGradient()
                let copies = rows.map { _ in b.requiringGradient() }
                let y = Tensor.matmul(aLeaf, segmentsOf: copies, rowsPerSegment: rows, transposeB: transposeB)
                let gTogether = gradients(of: (y * r).sum(), wrt: [aLeaf] + copies, createGraph: true)
                // Second order: the gradient of ⟨∂L/∂a, a⟩ with respect to each copy.
                let second = gradients(of: (gTogether[0] * a).sum(), wrt: copies)
                for (s, range) in ranges(rows).enumerated() {
                    let aS = a.sliced(axis: 0, range).requiringGradient(), bS = b.requiringGradient()
                    let yS = Tensor.matmul(aS, bS, transposeB: transposeB)
                    XCTAssertEqual(y.sliced(axis: 0, range).detached().scalars, yS.scalars, "values, segment \(s), \(label)")
                    let gAlone = gradients(of: (yS * r.sliced(axis: 0, range)).sum(), wrt: [aS, bS], createGraph: true)
                    XCTAssertEqual(gTogether[0].sliced(axis: 0, range).detached().scalars, gAlone[0].scalars, "∂a, segment \(s), \(label)")
                    XCTAssertEqual(gTogether[1 + s].scalars, gAlone[1].scalars, "∂b, segment \(s), \(label)")
                    let secondAlone = gradients(of: (gAlone[0] * a.sliced(axis: 0, range)).sum(), wrt: [bS])
                    XCTAssertEqual(second[s].scalars, secondAlone[0].scalars, "second derivative, segment \(s), \(label)")
                }
            }
        }
    }

    /// With one tensor passed as every copy, the product is plain a · op(b): first and second derivatives by
    /// finite differences (Float64).
    func testGradientsByFiniteDifferences() {
        let a = randn([7, 4], seed: 4), b = randn([4, 3], seed: 5)
        checkGradients([a, b]) { Tensor.matmul($0[0], segmentsOf: [$0[1], $0[1], $0[1]], rowsPerSegment: [2, 4, 1]).tanh() }
        checkGradients([a, b.transposed()]) {
            Tensor.matmul($0[0], segmentsOf: [$0[1], $0[1]], rowsPerSegment: [3, 4], transposeB: true).tanh()
        }
    }

    func testSegmentProduct() {
        let x = randn([7, 4], seed: 6), y = randn([7, 3], seed: 7)
        let expected = Tensor.matmul(x.sliced(axis: 0, 2..<5), y.sliced(axis: 0, 2..<5), transposeA: true)
        XCTAssertEqual(Tensor.segmentProduct(x, y, rows: 2..<5).scalars, expected.scalars)
        XCTAssertEqual(Tensor.segmentProduct(x, y, rows: 3..<3).scalars, [Double](repeating: 0, count: 12))
        checkGradients([x, y]) { Tensor.segmentProduct($0[0], $0[1], rows: 2..<5).tanh() }
        checkGradients([x, y]) { Tensor.segmentProduct($0[0], $0[1], rows: 0..<7).tanh() }
    }
}

@testable import Tensors
import XCTest

/// `TiledDots`: C = A·Bᵀ for few columns and long rows, against the Double triple loop (`MatrixMultiplyTests`),
/// with either multiply-add, every tile shape (the 3 × 3 tiles and the 1- and 2-wide ones at C's edges), row
/// lengths with and without a tail, padded leading dimensions; and the exactness of splitting C's rows, which
/// `gemmSplittingRows` and the image-by-image weight gradient rely on for thread-independent results.
final class TiledDotsTests: XCTestCase {
    static let paths = TiledDots.testingPaths

    func testMatchesTheDefinitionForEveryTileShape() {
        var seed: UInt64 = 100
        for m in [1, 2, 3, 4, 5, 7] {
            for n in [2, 3, 4, 5, 9, 16] {
                for (k, pad) in [(128, 0), (135, 2), (257, 1)] {
                    for accumulate in [false, true] {
                        seed += 1
                        let problem = MatrixMultiplyTests.Problem(transposeA: false, transposeB: true, accumulate: accumulate,
                                                                  m: m, n: n, k: k, pad: pad, seed: seed)
                        for path in Self.paths { checkGemm(problem, path: path) }
                        checkGemm(problem, path: "built-in")
                    }
                }
            }
        }
    }

    func testTakesOnlyThinProductsOfContiguousRows() {
        XCTAssertTrue(TiledDots.applies(transposeA: false, transposeB: true, n: 9, k: 900))    // 2-D families' ∂W
        XCTAssertTrue(TiledDots.applies(transposeA: false, transposeB: true, n: 9, k: 784))    // Omniglot layer 1's ∂W
        XCTAssertFalse(TiledDots.applies(transposeA: true, transposeB: true, n: 9, k: 900))
        XCTAssertFalse(TiledDots.applies(transposeA: false, transposeB: false, n: 9, k: 900))
        XCTAssertFalse(TiledDots.applies(transposeA: false, transposeB: true, n: 17, k: 900))
        XCTAssertFalse(TiledDots.applies(transposeA: false, transposeB: true, n: 9, k: 127))
        XCTAssertFalse(TiledDots.applies(transposeA: false, transposeB: true, n: 1, k: 900))  // matrix·vector
        XCTAssertNil(_GemmTesting.gemm(path: "tiled-dots-fused", transposeA: false, transposeB: false, m: 2, n: 2, k: 200,
                                       a: [Float](repeating: 1, count: 400), lda: 200, b: [Float](repeating: 1, count: 400),
                                       ldb: 2, c: [Float](repeating: 7, count: 4), ldc: 2, accumulate: false),
                     "a product it does not take is refused, not computed")
    }

    /// Rows of C computed in blocks of 1, 2, 4, 5 and 6 equal the whole product bit for bit: each element is summed
    /// the same way in every tile.
    func testSplittingRowsGivesIdenticalValues() {
        let (m, n, k) = (24, 9, 900)
        var generator = SplitMix64(seed: 3)
        let a = (0..<(m * k)).map { _ in Float(generator.nextUniform() * 2 - 1) }
        let b = (0..<(n * k)).map { _ in Float(generator.nextUniform() * 2 - 1) }
        for path in Self.paths {
            guard let whole = _GemmTesting.gemm(path: path, transposeA: false, transposeB: true, m: m, n: n, k: k, a: a, lda: k,
                                                b: b, ldb: k, c: [Float](repeating: 0, count: m * n), ldc: n, accumulate: false)
            else { return XCTFail("\(path) unavailable") }
            for block in [1, 2, 4, 5, 6] {
                var split = [Float](repeating: 0, count: m * n)
                for first in stride(from: 0, to: m, by: block) {
                    let rows = min(block, m - first)
                    let part = _GemmTesting.gemm(path: path, transposeA: false, transposeB: true, m: rows, n: n, k: k,
                                                 a: Array(a[(first * k)...]), lda: k, b: b, ldb: k,
                                                 c: [Float](repeating: 0, count: rows * n), ldc: n, accumulate: false)!
                    split.replaceSubrange((first * n)..<((first + rows) * n), with: part)
                }
                XCTAssertEqual(split, whole, "\(path), rows in blocks of \(block)")
            }
        }
    }
}

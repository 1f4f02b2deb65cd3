@testable import Tensors
import XCTest

/// The built-in kernel chosen from the probe's times: the narrowest tile among those within 25% of the fastest.
final class GemmKernelSelectionTests: XCTestCase {
    func testTheNarrowestTileWithinTenPercentOfTheFastestIsChosen() {
        // Zen 4: the 6×32 tile up to 15% faster on the probe, not clearly: the 6×16 one.
        XCTAssertEqual(GemmKernelSelection.choice(times: [1.0, 1.15], tileColumns: [32, 16]), 1)
        // A 512-bit FMA machine: the wide tile clearly faster.
        XCTAssertEqual(GemmKernelSelection.choice(times: [1.0, 1.3], tileColumns: [32, 16]), 0)
        XCTAssertEqual(GemmKernelSelection.choice(times: [1.3, 1.0], tileColumns: [16, 32]), 1)
        // Several close: the narrowest of them, not a narrower one outside the margin.
        XCTAssertEqual(GemmKernelSelection.choice(times: [1.0, 1.24, 1.02, 1.5], tileColumns: [32, 16, 16, 8]), 1)
        XCTAssertEqual(GemmKernelSelection.choice(times: [2.0], tileColumns: [16]), 0)
    }

    /// The 6×16 tiles hand a product to their 4×24 sibling only where it computes at most 90% of the padded elements.
    func testFittedTileWhereItPadsClearlyLess() {
        // MSR-FC's query product, 19 × 68: 20 × 72 against 24 × 72 elements.
        XCTAssertEqual(FloatGemmKernel.fused6x16.fitted(m: 19, n: 68), .fused4x24)
        XCTAssertEqual(FloatGemmKernel.separate6x16.fitted(m: 19, n: 68), .separate4x24)
        XCTAssertEqual(FloatGemmKernel.fused6x16.fitted(m: 4, n: 48), .fused4x24)      // 4 × 48 against 6 × 48
        // Conv4's 64 × 196 (64 × 200 against 66 × 200), ∂Wᵀ's 70 × 68 (72 × 72 both), multiples of 6: kept.
        XCTAssertEqual(FloatGemmKernel.fused6x16.fitted(m: 64, n: 196), .fused6x16)
        XCTAssertEqual(FloatGemmKernel.fused6x16.fitted(m: 70, n: 68), .fused6x16)
        XCTAssertEqual(FloatGemmKernel.fused6x16.fitted(m: 12, n: 64), .fused6x16)
        // Kernels without a sibling keep every product.
        XCTAssertEqual(FloatGemmKernel.fused6x32.fitted(m: 19, n: 68), .fused6x32)
        XCTAssertEqual(FloatGemmKernel.separate6x8.fitted(m: 1, n: 68), .separate6x8)
        XCTAssertFalse(FloatGemmKernel.allCases.filter(\.isProcessWide).contains(.fused4x24))
    }

    /// A 4×24 tile and its 6×16 sibling give bitwise the same product (same multiply-add, same blocks of k, the same
    /// order for every element), so handing a product over changes its speed only: every transpose combination,
    /// accumulate on and off, padded leading dimensions, blocks of k (300 = 150 + 150) and of n (2100 > 2040 and 2048).
    func testFittedTilesAreBitwiseTheirSiblings() {
        // (19, 53, 70) and (9, 8, 13): narrow remainders of 5 and 8 columns on both tiles.
        for (m, n, k) in [(19, 68, 70), (4, 48, 9), (1, 1, 1), (7, 33, 19), (13, 17, 300), (5, 2100, 3), (70, 68, 19),
                          (19, 53, 70), (9, 8, 13)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for accumulate in [false, true] {
                    let problem = MatrixMultiplyTests.Problem(transposeA: ta, transposeB: tb, accumulate: accumulate,
                                                              m: m, n: n, k: k, pad: 1, seed: UInt64(m * 1000 + n + k))
                    let (a, b, c) = (problem.a.map(Float.init), problem.b.map(Float.init), problem.c.map(Float.init))
                    for (wide, fitted) in [("fma-6x16-simd8", "fma-4x24-simd8"), ("muladd-6x16-simd8", "muladd-4x24-simd8")] {
                        func run(_ path: String) -> [Float]? {
                            _GemmTesting.gemm(path: path, transposeA: ta, transposeB: tb, m: m, n: n, k: k, a: a, lda: problem.lda,
                                              b: b, ldb: problem.ldb, c: c, ldc: problem.ldc, accumulate: accumulate)
                        }
                        XCTAssertEqual(run(wide).map { $0.map(\.bitPattern) }, run(fitted).map { $0.map(\.bitPattern) },
                                       "\(fitted) against \(wide), \(problem.label)")
                    }
                }
            }
        }
    }

    /// `MSR_GEMM_KERNEL` picks a candidate by name; a name no candidate has is ignored.
    func testRequestedKernelByName() {
        let saved = getenv("MSR_GEMM_KERNEL").map { String(cString: $0) }
        defer { if let saved { setenv("MSR_GEMM_KERNEL", saved, 1) } else { unsetenv("MSR_GEMM_KERNEL") } }
        _ = (GemmKernelSelection.float, GemmKernelSelection.double, GemmKernelSelection.floatIsRequested)  // chosen before the variable changes
        setenv("MSR_GEMM_KERNEL", "fma-6x16-simd8", 1)
        XCTAssertEqual(GemmKernelSelection.requested(FloatGemmKernel.allCases), .fused6x16)
        XCTAssertEqual(GemmKernelSelection.requested(DoubleGemmKernel.allCases), .fused6x16)
        XCTAssertNil(GemmKernelSelection.requested([FloatGemmKernel.fused6x32, .separate6x8]), "not among the candidates")
        setenv("MSR_GEMM_KERNEL", "fma-7x7", 1)
        XCTAssertNil(GemmKernelSelection.requested(FloatGemmKernel.allCases))
        unsetenv("MSR_GEMM_KERNEL")
        XCTAssertNil(GemmKernelSelection.requested(FloatGemmKernel.allCases))
    }
}

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

    /// `MSR_GEMM_KERNEL` picks a candidate by name; a name no candidate has is ignored.
    func testRequestedKernelByName() {
        let saved = getenv("MSR_GEMM_KERNEL").map { String(cString: $0) }
        defer { if let saved { setenv("MSR_GEMM_KERNEL", saved, 1) } else { unsetenv("MSR_GEMM_KERNEL") } }
        _ = (GemmKernelSelection.float, GemmKernelSelection.double)  // chosen before the variable changes
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

// Run-time choice of the built-in micro-kernel for the instruction set this binary was compiled for.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The built-in single-precision GEMM kernels (tile `rows × columns`, SIMD width, multiply-add style).
///
/// The 4×24 tiles are not timed for the process (`GemmKernelSelection.float`; `MSR_GEMM_KERNEL` may still name one):
/// the 6×16 tile of the same multiply-add hands a product to its 4×24 sibling where that computes clearly fewer padded
/// elements of C (`fitted`); the two give bitwise-identical products, so the choice changes speed only.
enum FloatGemmKernel: String, CaseIterable, Sendable {
    case fused6x16 = "fma-6x16-simd8"
    case fused6x32 = "fma-6x32-simd16"
    case separate6x8 = "muladd-6x8-simd4"
    case separate6x16 = "muladd-6x16-simd8"
    case fused4x24 = "fma-4x24-simd8"
    case separate4x24 = "muladd-4x24-simd8"

    var isFused: Bool { self == .fused6x16 || self == .fused6x32 || self == .fused4x24 }
    /// Columns of its register tile (the packed panel width).
    var tileColumns: Int {
        switch self {
        case .separate6x8: return 8
        case .fused6x16, .separate6x16: return 16
        case .fused4x24, .separate4x24: return 24
        case .fused6x32: return 32
        }
    }

    /// Candidates for the whole process (the 4×24 tiles run only the products their 6×16 sibling hands them).
    var isProcessWide: Bool { self != .fused4x24 && self != .separate4x24 }

    /// The kernel for an `m × n` product: the 6×16 tile's 4×24 sibling where it computes at most 90% of the elements
    /// the 6×16 tile would (rows rounded up to whole tiles, columns to whole panels or a narrow one), this kernel
    /// otherwise. MSR-FC's query products, 19 × 68: 20 × 72 elements against 24 × 72 (0.83) — measured 32 of them
    /// (19×70·70×68) 89 → 75 µs on the AVX-512 EPYC (best of 7 × 2000 calls); Conv4's 64 × 196: 64 × 200 against 66 × 200 (0.97, kept).
    func fitted(m: Int, n: Int) -> FloatGemmKernel {
        let sibling: FloatGemmKernel
        switch self {
        case .fused6x16: sibling = .fused4x24
        case .separate6x16: sibling = .separate4x24
        default: return self
        }
        // The tiles' geometry does not depend on the multiply-add.
        let wide = PackedGemm<Tile6x2<SIMD8<Float>, FusedMultiplyAdd>>.paddedElements(m: m, n: n)
        let narrow = PackedGemm<Tile4x3<SIMD8<Float>, FusedMultiplyAdd>>.paddedElements(m: m, n: n)
        return 10 * narrow <= 9 * wide ? sibling : self
    }

    /// `C ← op(A)·op(B) + (accumulate ? C : 0)` with this kernel (see `PackedGemm`).
    func gemm(m: Int, n: Int, k: Int, a: StridedMatrix<Float>, b: StridedMatrix<Float>,
              c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        func run<K: GemmMicroKernel>(_: K.Type) where K.Scalar == Float {
            PackedGemm<K>.gemm(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        }
        switch self {
        case .fused6x16: run(Tile6x2<SIMD8<Float>, FusedMultiplyAdd>.self)
        case .fused6x32: run(Tile6x2<SIMD16<Float>, FusedMultiplyAdd>.self)
        case .separate6x8: run(Tile6x2<SIMD4<Float>, SeparateMultiplyAdd>.self)
        case .separate6x16: run(Tile6x2<SIMD8<Float>, SeparateMultiplyAdd>.self)
        case .fused4x24: run(Tile4x3<SIMD8<Float>, FusedMultiplyAdd>.self)
        case .separate4x24: run(Tile4x3<SIMD8<Float>, SeparateMultiplyAdd>.self)
        }
    }
}

/// The built-in double-precision GEMM kernels.
enum DoubleGemmKernel: String, CaseIterable, Sendable {
    case fused6x8 = "fma-6x8-simd4"
    case fused6x16 = "fma-6x16-simd8"
    case separate6x4 = "muladd-6x4-simd2"
    case separate6x8 = "muladd-6x8-simd4"

    var isFused: Bool { self == .fused6x8 || self == .fused6x16 }
    /// Columns of its register tile (the packed panel width).
    var tileColumns: Int {
        switch self {
        case .separate6x4: return 4
        case .fused6x8, .separate6x8: return 8
        case .fused6x16: return 16
        }
    }

    /// `C ← op(A)·op(B) + (accumulate ? C : 0)` with this kernel (see `PackedGemm`).
    func gemm(m: Int, n: Int, k: Int, a: StridedMatrix<Double>, b: StridedMatrix<Double>,
              c: UnsafeMutablePointer<Double>, ldc: Int, accumulate: Bool) {
        func run<K: GemmMicroKernel>(_: K.Type) where K.Scalar == Double {
            PackedGemm<K>.gemm(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        }
        switch self {
        case .fused6x8: run(Tile6x2<SIMD4<Double>, FusedMultiplyAdd>.self)
        case .fused6x16: run(Tile6x2<SIMD8<Double>, FusedMultiplyAdd>.self)
        case .separate6x4: run(Tile6x2<SIMD2<Double>, SeparateMultiplyAdd>.self)
        case .separate6x8: run(Tile6x2<SIMD4<Double>, SeparateMultiplyAdd>.self)
        }
    }
}

/// Picks the built-in kernels once per process.
///
/// Swift cannot test target features at compile time, and `addingProduct` compiles to a hardware FMA
/// only when the build targets a CPU with FMA (e.g. `-Xswiftc -target-cpu -Xswiftc x86-64-v3`); in a
/// default x86-64 build it becomes one `fmaf` library call per lane (≈50× slower). So:
///
/// 1. a ~10 µs probe times a chain of `SIMD8.addingProduct` against `a + b·c`; fused kernels are used
///    only when fused is not clearly slower (this fixes the rounding behaviour for the whole process);
/// 2. among the kernels of that family (bitwise-identical results), the fastest on a small packed
///    product is taken, e.g. the 6×32 `SIMD16` tile only pays off when compiled for AVX-512 — and then only
///    when it is clearly faster (by 25%) than a narrower tile: a narrow tile pads less of a narrow product
///    (MSR's n = 30 or 68), and where the two are close (Zen 4 runs 512-bit vectors as two 256-bit halves) the
///    timing's noise picked either one from process to process. Measured on a Zen 4 EPYC (session 9): the 6×16
///    tile ran rank1, rank5 and the few-shot methods 1–5% faster than the 6×32 one, which the probe had been
///    picking about half the time.
///
/// `MSR_GEMM_FMA=on|off` overrides step 1, `MSR_GEMM_KERNEL=<name>` (e.g. `fma-6x16-simd8`) step 2 for whichever
/// element type has a kernel of that name in the chosen family.
enum GemmKernelSelection {
    static let fusedIsFast: Bool = {
        if let setting = getenv("MSR_GEMM_FMA").map({ String(cString: $0).lowercased() }) {
            if ["on", "1", "yes", "true"].contains(setting) { return true }
            if ["off", "0", "no", "false"].contains(setting) { return false }
        }
        var fused = Double.infinity, separate = Double.infinity
        for _ in 0..<3 {
            fused = Swift.min(fused, time { multiplyAddChain(FusedMultiplyAdd.self, seed: $0) })
            separate = Swift.min(separate, time { multiplyAddChain(SeparateMultiplyAdd.self, seed: $0) })
        }
        return fused < 2.5 * separate
    }()

    /// The kernel `MSR_GEMM_KERNEL` names, when it is one of `candidates`.
    static func requested<Kernel: RawRepresentable>(_ candidates: [Kernel]) -> Kernel? where Kernel.RawValue == String {
        guard let name = getenv("MSR_GEMM_KERNEL").map({ String(cString: $0) }) else { return nil }
        return candidates.first { $0.rawValue == name }
    }

    /// The Float kernel of the process: `MSR_GEMM_KERNEL`'s when it names one of the chosen multiply-add (the 4×24
    /// tiles included), else the fastest process-wide candidate.
    static let float: FloatGemmKernel = {
        if let kernel = requested(floatFamily) { return kernel }
        return fastest(floatFamily.filter(\.isProcessWide), tileColumns: \.tileColumns) { kernel, a, b, c, m, n, k in
            kernel.gemm(m: m, n: n, k: k, a: StridedMatrix(a, ld: k, transposed: false),
                        b: StridedMatrix(b, ld: n, transposed: false), c: c, ldc: n, accumulate: false)
        }
    }()

    /// The Float kernels of the chosen multiply-add.
    static var floatFamily: [FloatGemmKernel] { FloatGemmKernel.allCases.filter { $0.isFused == fusedIsFast } }

    /// Whether `MSR_GEMM_KERNEL` fixed the Float kernel (then no product is handed to a sibling tile).
    static let floatIsRequested: Bool = requested(floatFamily) != nil

    /// The Float kernel for an `m × n` product: the process's, or its sibling where that pads clearly less
    /// (`FloatGemmKernel.fitted`) unless `MSR_GEMM_KERNEL` fixed the kernel — for A/B measurements of one tile.
    static func float(m: Int, n: Int) -> FloatGemmKernel {
        floatIsRequested ? float : float.fitted(m: m, n: n)
    }

    static let double: DoubleGemmKernel = {
        let candidates = DoubleGemmKernel.allCases.filter { $0.isFused == fusedIsFast }
        if let kernel = requested(candidates) { return kernel }
        return fastest(candidates, tileColumns: \.tileColumns) { kernel, a, b, c, m, n, k in
            kernel.gemm(m: m, n: n, k: k, a: StridedMatrix(a, ld: k, transposed: false),
                        b: StridedMatrix(b, ld: n, transposed: false), c: c, ldc: n, accumulate: false)
        }
    }()

    /// The candidate with the narrowest tile among those within 25% of the smallest best-of-7 time on a
    /// 48×256·256×96 product (about 0.5 ms in all). Candidates run round-robin after one warm-up call each,
    /// so clock ramp-up and first-touch costs do not favour the later ones. Unoptimised builds skip the
    /// timing and take the first.
    static func fastest<Kernel, T: BinaryFloatingPoint>(
        _ candidates: [Kernel], tileColumns: (Kernel) -> Int,
        _ run: (Kernel, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, Int, Int, Int) -> Void
    ) -> Kernel {
        guard candidates.count > 1, !_isDebugAssertConfiguration() else { return candidates[0] }
        let m = 48, n = 96, k = 256
        let a = UnsafeMutablePointer<T>.allocate(capacity: m * k)
        let b = UnsafeMutablePointer<T>.allocate(capacity: k * n)
        let c = UnsafeMutablePointer<T>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(m * k) { a[i] = T(i % 7) * 0.25 }
        for i in 0..<(k * n) { b[i] = T(i % 5) * 0.5 }
        for kernel in candidates { run(kernel, a, b, c, m, n, k) }
        var best = [Double](repeating: .infinity, count: candidates.count)
        for _ in 0..<7 {
            for (index, kernel) in candidates.enumerated() {
                best[index] = Swift.min(best[index], time { _ in run(kernel, a, b, c, m, n, k) })
            }
        }
        return candidates[choice(times: best, tileColumns: candidates.map(tileColumns))]
    }

    /// Index of the candidate with the fewest tile columns among those within 25% of the smallest time (the first
    /// such on a tie).
    static func choice(times: [Double], tileColumns: [Int]) -> Int {
        let fastest = times.min()!
        let close = times.indices.filter { times[$0] <= 1.25 * fastest }
        return close.min { tileColumns[$0] < tileColumns[$1] }!
    }

    /// Seconds taken by `body` (monotonic clock); `body` gets a value the optimiser cannot see through.
    static func time(_ body: (Float) -> Void) -> Double {
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        body(Float(start.tv_nsec & 1) + 1)
        clock_gettime(CLOCK_MONOTONIC, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
    }

    /// A dependent chain of 512 `x ← x + a·b` on `SIMD8<Float>`; the result is consumed opaquely.
    @inline(never)
    static func multiplyAddChain<MA: GemmMultiplyAdd>(_: MA.Type, seed: Float) {
        var x = SIMD8<Float>(repeating: seed)
        let a = SIMD8<Float>(repeating: seed * 0.5), b = SIMD8<Float>(repeating: seed * 0.25)
        for _ in 0..<512 { x = MA.multiplyAdd(x, a, b) }
        sink = x.sum()
    }

    nonisolated(unsafe) static var sink: Float = 0
}

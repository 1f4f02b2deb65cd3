// Optional CBLAS bridge, loaded with dlopen at first use; the package never links against BLAS.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A CBLAS library found at run time, exposing `cblas_sgemm` / `cblas_dgemm`.
///
/// Search order: `libopenblas.so.0`, `libopenblas.so`, `libcblas.so.3`, `libblas.so.3` (the first that
/// exports `cblas_sgemm` and `cblas_dgemm`). The environment variable `MSR_BLAS` overrides it:
/// `off`, `0` or `none` disable BLAS; any other value is taken as the library path or name to open.
/// BLAS runs single-threaded: parallelism belongs to the caller (independent tasks run concurrently),
/// and threads inside small products only slow them. Before the first `dlopen`,
/// `OPENBLAS_NUM_THREADS=1` is set unless the environment already has it: a pthreads OpenBLAS
/// otherwise starts a worker pool at load time whose idle threads spin in `sched_yield`, which
/// halved the speed of the built-in kernel running beside them (measured on a 2-vCPU VM).
/// `openblas_set_num_threads(1)` is then called when the library exports it.
struct BLASLibrary: @unchecked Sendable {
    /// `cblas_?gemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)`, 32-bit ints.
    typealias SGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias DGEMM = @convention(c) (
        Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32,
        UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112

    /// The name the library was opened under.
    let name: String
    let sgemm: SGEMM
    let dgemm: DGEMM

    /// The library loaded by the first access (thread-safe lazy initialisation), or nil.
    static let shared: BLASLibrary? = load()

    static let defaultCandidates = ["libopenblas.so.0", "libopenblas.so", "libcblas.so.3", "libblas.so.3"]

    static func load() -> BLASLibrary? {
        var candidates = defaultCandidates
        if let setting = getenv("MSR_BLAS").map({ String(cString: $0) }), !setting.isEmpty {
            switch setting.lowercased() {
            case "off", "0", "none", "false", "no": return nil
            case "on", "1", "auto", "yes", "true": break
            default: candidates = [setting]
            }
        }
        setenv("OPENBLAS_NUM_THREADS", "1", 0)
        for name in candidates {
            if let library = open(name) { return library }
        }
        return nil
    }

    static func open(_ name: String) -> BLASLibrary? {
        #if os(Windows)
        return nil
        #else
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { return nil }
        guard let s = dlsym(handle, "cblas_sgemm"), let d = dlsym(handle, "cblas_dgemm") else {
            dlclose(handle)
            return nil
        }
        if let setThreads = dlsym(handle, "openblas_set_num_threads") {
            unsafeBitCast(setThreads, to: SetThreads.self)(1)
        }
        // The handle is intentionally never closed: the function pointers live as long as the process.
        return BLASLibrary(name: name, sgemm: unsafeBitCast(s, to: SGEMM.self),
                           dgemm: unsafeBitCast(d, to: DGEMM.self))
        #endif
    }

    /// Whether CBLAS (32-bit integers, row-major) accepts these sizes and leading dimensions.
    @inline(__always)
    static func accepts(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                        lda: Int, ldb: Int, ldc: Int) -> Bool {
        let limit = Int(Int32.max)
        guard m > 0, n > 0, k > 0, m <= limit, n <= limit, k <= limit,
              lda <= limit, ldb <= limit, ldc <= limit else { return false }
        return lda >= (transposeA ? m : k) && ldb >= (transposeB ? k : n) && ldc >= n
    }
}

// Public switches for the matrix-multiply backend (for tools, benchmarks and tests).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which implementation computes a matrix product.
public enum MatmulBackend: String, Sendable, CaseIterable {
    /// The pure-Swift packed SIMD kernels (always available).
    case builtIn = "built-in"
    /// A CBLAS library loaded at run time (see `MatmulConfiguration.blasLibraryName`).
    case blas
}

/// Reports and overrides how `MatrixMultiply.gemm` computes products.
///
/// By default BLAS is used when a library was found (environment `MSR_BLAS`, see `BLASLibrary`) and
/// the product has at least `MatrixMultiply.blasMinimumWork` (512) multiply-adds and `n > 1`, unless the built-in
/// kernels measured clearly faster than that library at first use and the product is large
/// (`MatrixMultiply.builtInBeatsBLAS`); all other products use the built-in kernels.
public enum MatmulConfiguration {
    /// The name of the loaded BLAS library (e.g. `libopenblas.so.0`), or nil when none is loaded.
    /// The first access performs the `dlopen`.
    public static var blasLibraryName: String? { BLASLibrary.shared?.name }

    /// Whether the built-in kernels measured clearly faster than the loaded BLAS (then large products
    /// stay built-in). Measured at the first access; false when no BLAS is loaded.
    public static var builtInOutperformsBLAS: Bool { MatrixMultiply.builtInBeatsBLAS }

    /// The built-in micro-kernels chosen for this process, e.g. `"fma-6x16-simd8 / fma-6x8-simd4"`
    /// (Float / Double). Names starting with `muladd` mean the binary was not compiled for FMA.
    public static var builtInKernelNames: String {
        "\(GemmKernelSelection.float.rawValue) / \(GemmKernelSelection.double.rawValue)"
    }

    /// The backend forced on the current thread by `withBackend`, or nil (automatic choice).
    public static var forcedBackend: MatmulBackend? {
        switch Int(bitPattern: pthread_getspecific(backendKey)) {
        case 1: return .builtIn
        case 2: return .blas
        default: return nil
        }
    }

    /// Runs `body` with every `MatrixMultiply.gemm` on the current thread using `backend`
    /// (nil restores the automatic choice). Forcing `.blas` without a loaded library falls back to the
    /// built-in kernels. Nested calls restore the outer setting; other threads are unaffected.
    public static func withBackend<R>(_ backend: MatmulBackend?, _ body: () throws -> R) rethrows -> R {
        let saved = pthread_getspecific(backendKey)
        let code: Int
        switch backend {
        case nil: code = 0
        case .builtIn?: code = 1
        case .blas?: code = 2
        }
        pthread_setspecific(backendKey, UnsafeRawPointer(bitPattern: code))
        defer { pthread_setspecific(backendKey, saved) }
        return try body()
    }

    /// The backend `MatrixMultiply.gemm` uses on this thread for an `m×k · k×n` product.
    public static func backend(m: Int, n: Int, k: Int) -> MatmulBackend {
        guard BLASLibrary.shared != nil else { return .builtIn }
        if let forced = forcedBackend { return forced }
        let work = m * n * k
        // Matrix·vector: the built-in dot-product loop measured faster than sgemm (19 vs 14 GFLOP/s).
        // Vector·matrix, outer products and thin products: the unpacked loops measured 1.5–3× faster
        // than sgemm (1×70·70×68: 0.33 vs 1.1 µs; 4760×1·1×3 outer product: 0.5 vs 6.6 µs).
        if work < MatrixMultiply.blasMinimumWork || MatrixMultiply.prefersSmallGemm(m: m, n: n, k: k) { return .builtIn }
        if work >= MatrixMultiply.builtInPreferredWork && MatrixMultiply.builtInBeatsBLAS { return .builtIn }
        return .blas
    }

    /// Thread-specific slot holding 0 (automatic), 1 (built-in) or 2 (BLAS).
    static let backendKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

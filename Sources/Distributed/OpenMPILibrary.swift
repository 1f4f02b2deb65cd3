#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Open MPI's C entry points, found at run time with `dlopen`/`dlsym`, so that the package builds and runs
/// without MPI and links against nothing of it.
///
/// In Open MPI, the handles `MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_DOUBLE` and `MPI_SUM` are the addresses of
/// global objects (`ompi_mpi_comm_world`, `ompi_mpi_float`, …), and `MPI_IN_PLACE` is `(void *) 1`; MPICH
/// uses integer handles instead, so this bridge is for Open MPI only (libmpi.so.40).
struct OpenMPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitializedFunction = @convention(c) (UnsafeMutablePointer<Int32>) -> Int32
    typealias InitThreadFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32,
                                                   UnsafeMutablePointer<Int32>) -> Int32
    typealias CommIntFunction = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias AllreduceFunction = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias BcastFunction = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias BarrierFunction = @convention(c) (Handle) -> Int32
    typealias AbortFunction = @convention(c) (Handle, Int32) -> Int32
    typealias FinalizeFunction = @convention(c) () -> Int32
    typealias LibraryVersionFunction = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    /// `MPI_THREAD_FUNNELED`: only the thread that initialised MPI calls it (the trainer's thread; the task
    /// threads of `parallelMap` never do).
    static let threadFunneled: Int32 = 1
    /// `MPI_IN_PLACE` in Open MPI's mpi.h.
    static let inPlace = UnsafeRawPointer(bitPattern: 1)
    /// Open MPI's soname on Debian and most distributions.
    static let defaultPath = "libmpi.so.40"

    let path: String
    let initialized: InitializedFunction
    let finalized: InitializedFunction
    let initThread: InitThreadFunction
    let commRank: CommIntFunction
    let commSize: CommIntFunction
    let allreduce: AllreduceFunction
    let bcast: BcastFunction
    let barrier: BarrierFunction
    let abort: AbortFunction
    let finalize: FinalizeFunction
    let libraryVersion: LibraryVersionFunction
    let commWorld: Handle
    let float: Handle
    let double: Handle
    let sum: Handle

    /// Opens Open MPI (`path`, default `$MSR_MPI_LIBRARY` or libmpi.so.40). `RTLD_GLOBAL` because Open MPI's
    /// plug-ins (mca_*.so) resolve their symbols in libmpi's global namespace.
    init(path: String? = nil) throws {
        let path = path ?? Self.defaultPath
        guard let library = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            // MPICH's soname is libmpi.so.12: say which MPI is needed rather than only "not found".
            let mpich = path == Self.defaultPath && dlopen("libmpi.so.12", RTLD_NOW | RTLD_LOCAL) != nil
            throw DistributedError.mpiUnavailable(path: path, reason: reason, foundMPICH: mpich)
        }
        self.path = path
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(library, name) else { throw DistributedError.notOpenMPI(path: path, missingSymbol: name) }
            return p
        }
        func function<F>(_ name: String, as _: F.Type) throws -> F { unsafeBitCast(try symbol(name), to: F.self) }
        // Open MPI's handles first: a library without them (MPICH, a stub) is not Open MPI.
        commWorld = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        sum = try symbol("ompi_mpi_op_sum")
        initialized = try function("MPI_Initialized", as: InitializedFunction.self)
        finalized = try function("MPI_Finalized", as: InitializedFunction.self)
        initThread = try function("MPI_Init_thread", as: InitThreadFunction.self)
        commRank = try function("MPI_Comm_rank", as: CommIntFunction.self)
        commSize = try function("MPI_Comm_size", as: CommIntFunction.self)
        allreduce = try function("MPI_Allreduce", as: AllreduceFunction.self)
        bcast = try function("MPI_Bcast", as: BcastFunction.self)
        barrier = try function("MPI_Barrier", as: BarrierFunction.self)
        abort = try function("MPI_Abort", as: AbortFunction.self)
        finalize = try function("MPI_Finalize", as: FinalizeFunction.self)
        libraryVersion = try function("MPI_Get_library_version", as: LibraryVersionFunction.self)
    }

    /// e.g. "Open MPI v4.1.4, package: Debian OpenMPI, …" (first line).
    var versionString: String {
        var text = [CChar](repeating: 0, count: 8192)  // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI
        var length: Int32 = 0
        guard libraryVersion(&text, &length) == 0 else { return "Open MPI" }
        let s = String(cString: text)
        return String(s.prefix { $0 != "," && $0 != "\n" })
    }
}

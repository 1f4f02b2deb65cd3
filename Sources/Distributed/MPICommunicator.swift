import Foundation
import MetaLearning

/// The ranks of an `mpirun` job (`MPI_COMM_WORLD`), through Open MPI loaded at run time.
///
/// Start it once per process with `MPICommunicator.start()`, call the collectives from the thread that
/// started it, and end with `finalize()` (or `abort(_:)`). Errors inside MPI calls end the whole job (Open
/// MPI's default `MPI_ERRORS_ARE_FATAL`): when a rank dies, `mpirun` stops the others.
public final class MPICommunicator: GradientCommunicator, @unchecked Sendable {
    let library: OpenMPILibrary
    public let rank: Int
    public let size: Int
    public let exactExchangeLimitBytes: Int
    public let summary: String
    private var finished = false

    /// Elements per MPI call (MPI counts are 32-bit).
    static let chunk = 1 << 28

    private init(library: OpenMPILibrary, rank: Int, size: Int, exactExchangeLimitBytes: Int) {
        self.library = library
        self.rank = rank
        self.size = size
        self.exactExchangeLimitBytes = exactExchangeLimitBytes
        summary = "MPI, \(size) rank\(size == 1 ? "" : "s") (\(library.versionString))"
    }

    /// Joins the job that `mpirun` started (`MPI_Init_thread`, funneled).
    ///
    /// - Parameters:
    ///   - libraryPath: Open MPI's library; default `$MSR_MPI_LIBRARY`, else libmpi.so.40.
    ///   - environment: where to look for the launcher's variables and `MSR_MPI_EXACT_LIMIT_BYTES` (the
    ///     largest per-step buffer sent one slot per task; default 64 MiB, 0 forces partial sums).
    public static func start(libraryPath: String? = nil,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPICommunicator {
        let library = try OpenMPILibrary(path: libraryPath ?? environment["MSR_MPI_LIBRARY"])
        // mpirun (Open MPI's ORTE or PMIx launchers, Slurm's srun with PMIx) sets these; a process started by
        // hand would become a lone "singleton" rank, which is never what --distributed mpi means.
        guard ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains(where: { environment[$0] != nil }) else {
            throw DistributedError.notStartedByLauncher
        }
        var flag: Int32 = 0
        _ = library.initialized(&flag)
        if flag == 0 {
            var provided: Int32 = 0
            let code = library.initThread(nil, nil, OpenMPILibrary.threadFunneled, &provided)
            guard code == 0 else { throw DistributedError.callFailed(function: "MPI_Init_thread", code: code) }
        }
        var rank: Int32 = 0, size: Int32 = 0
        var code = library.commRank(library.commWorld, &rank)
        guard code == 0 else { throw DistributedError.callFailed(function: "MPI_Comm_rank", code: code) }
        code = library.commSize(library.commWorld, &size)
        guard code == 0 else { throw DistributedError.callFailed(function: "MPI_Comm_size", code: code) }
        let limit = environment["MSR_MPI_EXACT_LIMIT_BYTES"].flatMap(Int.init) ?? (64 << 20)
        return MPICommunicator(library: library, rank: Int(rank), size: Int(size), exactExchangeLimitBytes: limit)
    }

    public func allReduceSum(_ buffer: inout [Float]) { allReduceSum(&buffer, type: library.float) }
    public func allReduceSum(_ buffer: inout [Double]) { allReduceSum(&buffer, type: library.double) }

    private func allReduceSum<T>(_ buffer: inout [T], type: OpenMPILibrary.Handle) {
        precondition(!finished, "MPICommunicator used after finalize()")
        buffer.withUnsafeMutableBufferPointer { b in
            var start = 0
            while start < b.count {
                let n = min(Self.chunk, b.count - start)
                let code = library.allreduce(OpenMPILibrary.inPlace, b.baseAddress! + start, Int32(n), type, library.sum, library.commWorld)
                // Unreachable with MPI_ERRORS_ARE_FATAL (MPI ends the job first); kept for other handlers.
                if code != 0 { abort(message: "MPI_Allreduce failed with error code \(code)") }
                start += n
            }
        }
    }

    /// Replaces `buffer` on every rank by rank `root`'s (same count on all).
    public func broadcast(_ buffer: inout [Double], from root: Int = 0) {
        buffer.withUnsafeMutableBufferPointer { b in
            let code = library.bcast(b.baseAddress, Int32(b.count), library.double, Int32(root), library.commWorld)
            if code != 0 { abort(message: "MPI_Bcast failed with error code \(code)") }
        }
    }

    /// Waits until every rank has called it.
    public func barrier() {
        let code = library.barrier(library.commWorld)
        if code != 0 { abort(message: "MPI_Barrier failed with error code \(code)") }
    }

    /// Ends MPI on this rank; call once, on every rank, after the last collective.
    public func finalize() {
        guard !finished else { return }
        finished = true
        var done: Int32 = 0
        _ = library.finalized(&done)
        if done == 0 { _ = library.finalize() }
    }

    /// Prints `message` (prefixed by the rank) to standard error and ends every rank of the job.
    public func abort(message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("error (rank \(rank) of \(size)): \(message)\n".utf8))
        _ = library.abort(library.commWorld, code)
        exit(code)
    }
}

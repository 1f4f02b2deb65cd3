/// Why a distributed run could not start.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// The MPI library could not be loaded.
    case mpiUnavailable(path: String, reason: String, foundMPICH: Bool)
    /// The library loaded but lacks an Open MPI symbol (another MPI, or a stub).
    case notOpenMPI(path: String, missingSymbol: String)
    /// The process was started directly, not by `mpirun`.
    case notStartedByLauncher
    /// An MPI call failed with this code.
    case callFailed(function: String, code: Int32)

    public var description: String {
        switch self {
        case let .mpiUnavailable(path, reason, foundMPICH):
            return "--distributed mpi needs Open MPI's \(path), which could not be loaded (\(reason))"
                + (foundMPICH ? "; MPICH (libmpi.so.12) is installed, but only Open MPI is supported" : "")
                + ". Install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or point MSR_MPI_LIBRARY at its libmpi.so.40."
        case let .notOpenMPI(path, missing):
            return "--distributed mpi needs Open MPI, but \(path) has no \(missing) (MPICH and other MPIs are not supported). "
                + "Install Open MPI (apt-get install openmpi-bin libopenmpi-dev) or set MSR_MPI_LIBRARY to Open MPI's libmpi.so.40."
        case .notStartedByLauncher:
            return "--distributed mpi: this process was not started by mpirun. Run it as `mpirun -np P msr train … --distributed mpi` "
                + "(add --allow-run-as-root as root, --oversubscribe for more ranks than cores)."
        case let .callFailed(function, code):
            return "\(function) failed with MPI error code \(code)"
        }
    }
}

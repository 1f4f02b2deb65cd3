import Foundation
import MetaLearning

/// How the tasks of each meta-batch are spread over processes: `--distributed mpi`.
public enum DistributedBackend: String, CaseIterable, Sendable {
    /// The ranks of an `mpirun` job, through Open MPI (loaded at run time; see `MPICommunicator`).
    case mpi

    /// Runs `body` with the communicator of `backend` (`SingleProcess` when nil) and ends MPI afterwards.
    ///
    /// When `body` throws on a job of several ranks, the error is printed with the rank and the whole job is
    /// aborted (`MPI_Abort`): the other ranks would otherwise wait for this one in their next all-reduce.
    public static func run<T>(_ backend: DistributedBackend?, _ body: (any GradientCommunicator) throws -> T) throws -> T {
        guard backend == .mpi else { return try body(SingleProcess()) }
        let communicator = try MPICommunicator.start()
        let result: T
        do {
            result = try body(communicator)
        } catch {
            if communicator.size == 1 { communicator.finalize(); throw error }
            communicator.abort(message: "\(error)")
        }
        communicator.finalize()
        return result
    }
}

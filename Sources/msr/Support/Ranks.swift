import Distributed
import Foundation
import MetaLearning

/// Runs `body` once per process: on every rank of an MPI job with `--distributed mpi` (each rank computes its
/// share of every meta-batch), or once without. Only rank 0 writes to standard output, so a table or a
/// result line appears once, not once per rank; errors still reach standard error from any rank.
func runOnRanks(_ backend: DistributedBackend?, _ body: (any GradientCommunicator) throws -> Void) throws {
    try DistributedBackend.run(backend) { communicator in
        if !communicator.isLead {
            fflush(stdout)
            _ = freopen("/dev/null", "w", stdout)
        }
        try body(communicator)
    }
}

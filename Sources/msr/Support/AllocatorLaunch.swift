import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts the tool once more, at once, with glibc's per-thread cache of freed blocks holding 200 blocks of each size
/// instead of 7 (`GLIBC_TUNABLES=glibc.malloc.tcache_count=200`), a setting glibc reads only when a process starts.
///
/// A meta-training step makes and frees hundreds of small objects of a few sizes (graph nodes, shapes, closures'
/// contexts, tensor buffers): freed in bursts beyond 7 per size, they went to glibc's shared lists and came back
/// through `malloc_consolidate` and `unlink_chunk` (about 2% of a rank1 step, and 9% in malloc and free in all). Measured
/// side by side on the AVX-512 EPYC (6 interleaved pairs, CPU time and steps/s agreeing): rank1 MSR-FC 1.06×,
/// rank5 1.03×, few-shot unchanged. `Tensors`' `AllocatorTuning` sets what can be set after start (mmap and trim
/// thresholds).
///
/// Skipped when `MSR_MALLOC_TUNING=off` (as `AllocatorTuning`), when `GLIBC_TUNABLES` already names a tcache
/// setting (the user's own choice), off glibc, and in the restarted process itself (`MSR_ALLOCATOR_RESTARTED`). If
/// the restart fails the tool simply goes on as it is.
enum AllocatorLaunch {
    static let setting = "glibc.malloc.tcache_count=200"
    static let restartedVariable = "MSR_ALLOCATOR_RESTARTED"

    /// The `GLIBC_TUNABLES` value to restart with, or nil to go on without restarting, given the environment.
    static func tunables(environment: [String: String]) -> String? {
        if let tuning = environment["MSR_MALLOC_TUNING"]?.lowercased(), ["off", "0", "no", "false"].contains(tuning) { return nil }
        if environment[restartedVariable] != nil { return nil }
        let existing = environment["GLIBC_TUNABLES"] ?? ""
        if existing.contains("glibc.malloc.tcache") { return nil }
        return existing.isEmpty ? setting : existing + ":" + setting
    }

    /// Restarts this process (`/proc/self/exe`, the same arguments) with `tunables(environment:)` set; returns only
    /// when there is nothing to do or the restart failed.
    static func restartIfUseful() {
        #if os(Linux) && canImport(Glibc)
        guard let value = tunables(environment: ProcessInfo.processInfo.environment) else { return }
        setenv("GLIBC_TUNABLES", value, 1)
        setenv(restartedVariable, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the restart failed. Go on in this process, as it was.
        unsetenv(restartedVariable)
        #endif
    }
}

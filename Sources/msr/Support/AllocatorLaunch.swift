import Foundation
import Tensors
#if canImport(Glibc)
import Glibc
#endif

/// Starts the tool once more, at once, with glibc's per-thread cache of freed blocks holding 200 blocks of each size
/// instead of 7 (`GLIBC_TUNABLES=glibc.malloc.tcache_count=200`), a setting glibc reads only when a process starts.
///
/// A meta-training step makes and frees hundreds of small objects of a few sizes (graph nodes, shapes, closures'
/// contexts, tensor buffers): freed in bursts beyond 7 per size, they went to glibc's shared lists and came back
/// through `malloc_consolidate` and `unlink_chunk` (about 2% of a rank1 step, and 9% in malloc and free in all).
/// Measured side by side on the AVX-512 EPYC (6 interleaved pairs, CPU time and steps/s agreeing): rank1 MSR-FC
/// 1.06×, rank5 1.03×, few-shot unchanged. `Tensors`' `AllocatorTuning` sets what can be set after start (mmap and
/// trim thresholds).
///
/// Only for the commands that train or evaluate (`restartingCommands`); skipped when `MSR_MALLOC_TUNING=off` (as
/// `AllocatorTuning`), when `GLIBC_TUNABLES` already names a tcache setting (the user's own choice), in the
/// restarted process itself (`MSR_ALLOCATOR_RESTARTED`), off glibc and on glibc before 2.30 (whose per-size counts
/// were one byte wide). If the restart fails the tool goes on as it is, its environment as it was.
enum AllocatorLaunch {
    static let setting = "glibc.malloc.tcache_count=200"
    static let restartedVariable = "MSR_ALLOCATOR_RESTARTED"
    /// The subcommands whose runs make and free many small blocks (a debugger's view of `msr plot` stays one process).
    static let restartingCommands: Set<String> = ["train", "eval", "reproduce", "bench", "snap"]

    /// The `GLIBC_TUNABLES` value to restart with, or nil to go on without restarting, given the environment, the
    /// command line and glibc's version (major, minor).
    static func tunables(environment: [String: String], arguments: [String] = ["msr", "train"],
                         glibcVersion: (Int, Int)? = (2, 36)) -> String? {
        if AllocatorTuning.isTurnedOff(by: environment["MSR_MALLOC_TUNING"]) { return nil }
        if environment[restartedVariable] != nil { return nil }
        guard arguments.count > 1, restartingCommands.contains(arguments[1]) else { return nil }
        guard let (major, minor) = glibcVersion, (major, minor) >= (2, 30) else { return nil }
        let existing = environment["GLIBC_TUNABLES"] ?? ""
        if existing.contains("glibc.malloc.tcache") { return nil }
        return existing.isEmpty ? setting : existing + ":" + setting
    }

    /// glibc's version, from `gnu_get_libc_version` (looked up: not in Swift's Glibc module); nil off glibc.
    static var glibcVersion: (Int, Int)? {
        #if canImport(Glibc)
        typealias Version = @convention(c) () -> UnsafePointer<CChar>
        guard let symbol = dlsym(nil, "gnu_get_libc_version") else { return nil }
        let parts = String(cString: unsafeBitCast(symbol, to: Version.self)()).split(separator: ".").compactMap { Int($0) }
        return parts.count >= 2 ? (parts[0], parts[1]) : nil
        #else
        return nil
        #endif
    }

    /// Restarts this process (`/proc/self/exe`, the same arguments) with `tunables(…)` set; returns only when there
    /// is nothing to do or the restart failed (the environment then restored).
    static func restartIfUseful() {
        #if os(Linux) && canImport(Glibc)
        guard let value = tunables(environment: ProcessInfo.processInfo.environment, arguments: CommandLine.arguments,
                                   glibcVersion: glibcVersion) else { return }
        let previous = getenv("GLIBC_TUNABLES").map { String(cString: $0) }
        setenv("GLIBC_TUNABLES", value, 1)
        setenv(restartedVariable, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Still here: the restart failed. Go on in this process, with the environment it had.
        if let previous { setenv("GLIBC_TUNABLES", previous, 1) } else { unsetenv("GLIBC_TUNABLES") }
        unsetenv(restartedVariable)
        #endif
    }
}

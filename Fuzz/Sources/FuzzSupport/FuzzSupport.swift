import CLibFuzzer
import Foundation

/// What the fuzz targets share: running libFuzzer, turning its input into `Data`, and a scratch file for
/// readers that take a path.
public enum FuzzInput {
    /// Runs libFuzzer on this process's command line with `target` (the target's `LLVMFuzzerTestOneInput`)
    /// and exits with its status.
    public static func runLibFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, target))
    }

    /// The input bytes, copied.
    public static func data(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Data {
        guard let bytes else { return Data() }
        return Data(bytes: bytes, count: count)
    }

    /// A file of this process, in memory where the system has /dev/shm, named `name`; rewritten per input,
    /// and removed (with the process's other scratch files and folders) when the process exits.
    public static func scratchURL(_ name: String) -> URL {
        removeAtExit
        let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return URL(fileURLWithPath: folder).appendingPathComponent("msr-fuzz-\(getpid())-\(name)")
    }

    /// Writes `data` to the scratch file `name` and returns its URL.
    public static func write(_ data: Data, to name: String) -> URL {
        let url = scratchURL(name)
        try! data.write(to: url)
        return url
    }

    /// Registers, once, the removal of this process's scratch files (and folders) at exit.
    private static let removeAtExit: Void = {
        atexit {
            let prefix = FuzzInput.scratchURL("").lastPathComponent, folder = FuzzInput.scratchURL("").deletingLastPathComponent()
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }()
}

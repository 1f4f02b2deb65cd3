import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file atomically: the content goes to a temporary file in the destination's directory, which is
/// then renamed over the destination. A reader sees the old file or the whole new one, never a partial one;
/// if writing fails, the destination is untouched and the temporary file is removed.
public enum AtomicFile {
    /// Calls `write` with a fresh temporary path beside `url`, then renames it to `url`.
    public static func write(to url: URL, _ write: (URL) throws -> Void) throws {
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError.unwritableFile(path: url.path, detail: "the directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try write(temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw DatasetError.unwritableFile(path: url.path, detail: String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            if let error = error as? DatasetError { throw error }
            throw DatasetError.unwritableFile(path: url.path, detail: "\(error)")
        }
    }

    /// Creates the directory `url` and any missing parents (an existing one is fine); a failure is
    /// `unwritableFile` with the system's reason (`Not a directory`, `Permission denied`), not Foundation's dump.
    public static func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            let ns = error as NSError
            let posix = (ns.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError } ?? ns
            let reason = posix.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(posix.code))) : ns.localizedDescription
            throw DatasetError.unwritableFile(path: url.path, detail: reason)
        }
    }

    /// Atomically writes `data` to `url`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { temporary in
            guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
                throw DatasetError.unwritableFile(path: url.path, detail: "cannot create \(temporary.path)")
            }
        }
    }

    /// Throws `fileNotFound` unless a regular file exists at `url`.
    static func checkExists(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError.fileNotFound(path: url.path)
        }
        if isDirectory.boolValue {
            throw DatasetError.unreadableFile(path: url.path, detail: "it is a directory")
        }
    }
}

import Foundation
import ZIPFoundation

/// The files of a data set given either as a zip archive or as an unpacked folder: their paths relative to
/// the archive's root (or the folder), `/`-separated, and their bytes on demand.
///
/// macOS resource forks (`__MACOSX/`, `._name`) and hidden files are left out.
struct FileTree {
    private enum Storage {
        case zip(Archive, [String: Entry])
        case folder(URL)
    }

    /// The zip archive or folder, as the user named it.
    let url: URL
    /// Paths of the regular files, sorted.
    let paths: [String]
    private let storage: Storage

    /// Opens `url`, a zip archive or a folder; `expected` describes the data set for error messages.
    init(_ url: URL, expected: String) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ImageDatasetError.sourceNotFound(path: url.path, expected: expected)
        }
        if isDirectory.boolValue {
            guard let enumerator = FileManager.default.enumerator(atPath: url.path) else {
                throw ImageDatasetError.unexpectedLayout(path: url.path, expected: expected, detail: "the folder cannot be listed")
            }
            var found: [String] = []
            while let path = enumerator.nextObject() as? String {
                let full = url.appendingPathComponent(path).path
                var isFolder: ObjCBool = false
                if FileTree.isVisible(path), FileManager.default.fileExists(atPath: full, isDirectory: &isFolder),
                   !isFolder.boolValue {
                    found.append(path)
                }
            }
            paths = found.sorted()
            storage = .folder(url)
        } else {
            let archive: Archive
            do { archive = try Archive(url: url, accessMode: .read) } catch {
                throw ImageDatasetError.unexpectedLayout(path: url.path, expected: expected,
                                                         detail: "neither a folder nor a readable zip archive")
            }
            var entries: [String: Entry] = [:]
            for entry in archive where entry.type == .file && FileTree.isVisible(entry.path) {
                entries[entry.path] = entry
            }
            paths = entries.keys.sorted()
            storage = .zip(archive, entries)
        }
    }

    private static func isVisible(_ path: String) -> Bool {
        !path.split(separator: "/").contains { $0 == "__MACOSX" || $0.hasPrefix(".") }
    }

    /// How a file of the tree is named in messages: `archive.zip: inner/path` or the full path.
    func name(of path: String) -> String {
        switch storage {
        case .zip: return "\(url.path): \(path)"
        case .folder: return url.appendingPathComponent(path).path
        }
    }

    /// The bytes of file `path` (one of `paths`).
    func data(at path: String) throws -> Data {
        switch storage {
        case let .folder(root):
            let file = root.appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw ImageDatasetError.sourceNotFound(path: file.path, expected: "a file")
            }
            return data
        case let .zip(archive, entries):
            guard let entry = entries[path] else {
                throw ImageDatasetError.sourceNotFound(path: name(of: path), expected: "an entry of the zip archive")
            }
            var data = Data(capacity: Int(clamping: entry.uncompressedSize))
            do {
                _ = try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: false) { data.append($0) }
            } catch Archive.ArchiveError.invalidCRC32 {
                throw ImageDatasetError.badImage(file: name(of: path), detail: "the zip entry's checksum does not match its contents")
            } catch {
                throw ImageDatasetError.badImage(file: name(of: path), detail: "the zip entry cannot be read (\(error))")
            }
            return data
        }
    }
}

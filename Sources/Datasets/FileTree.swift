import Foundation

/// The files of a data set given either as a zip archive or as an unpacked folder: their paths relative to
/// the archive's root (or the folder), `/`-separated, and their bytes on demand.
///
/// macOS resource forks (`__MACOSX/`, `._name`) and hidden files are left out. A zip archive is mapped and
/// read by `ZipDirectory`, so each file's size and CRC-32 are checked as it is read.
struct FileTree {
    private enum Storage {
        case zip(MappedFile, ZipDirectory, [String: ZipDirectory.Entry])
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
            let file: MappedFile, directory: ZipDirectory
            do {
                file = try MappedFile(url)
                directory = try ZipDirectory(file)
            } catch DatasetError.corruptArchive(_, let detail) {
                throw ImageDatasetError.unexpectedLayout(path: url.path, expected: expected, detail: "a damaged zip archive: \(detail)")
            } catch {
                throw ImageDatasetError.unexpectedLayout(path: url.path, expected: expected,
                                                         detail: "neither a folder nor a readable zip archive")
            }
            var entries: [String: ZipDirectory.Entry] = [:]
            for entry in directory.entries where entry.isFile && FileTree.isVisible(entry.name) {
                entries[entry.name] = entry
            }
            paths = entries.keys.sorted()
            storage = .zip(file, directory, entries)
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
        case let .zip(file, directory, entries):
            guard let entry = entries[path] else {
                throw ImageDatasetError.sourceNotFound(path: name(of: path), expected: "an entry of the zip archive")
            }
            // At most 1032 times the entry's compressed size (`ZipDirectory`).
            var data = Data(capacity: entry.uncompressedSize)
            do {
                try directory.read(entry, of: file, chunkBytes: 1 << 16) { data.append(contentsOf: $0) }
            } catch let DatasetError.corruptArchive(_, detail) {
                throw ImageDatasetError.badImage(file: name(of: path), detail: "the zip entry cannot be read: \(detail)")
            }
            return data
        }
    }
}

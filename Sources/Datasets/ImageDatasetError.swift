import Foundation

/// Errors a user can cause by pointing the package at an image data set (Omniglot, its one-shot runs,
/// mini-ImageNet, a folder of image classes) or asking it for episodes it cannot give. Each message names the path or file and says
/// what was expected.
public enum ImageDatasetError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Nothing at `path`; `expected` says what should have been there.
    case sourceNotFound(path: String, expected: String)
    /// The built-in copy of a data set is missing from the package's resources; `lookedIn` lists the places
    /// searched.
    case builtInDataMissing(name: String, lookedIn: [String])
    /// `path` exists but is not a zip archive or folder of the expected layout; `detail` says what was found.
    case unexpectedLayout(path: String, expected: String, detail: String)
    /// The image `file` cannot be decoded (bad, truncated, or not the expected kind); `detail` gives the
    /// decoder's reason.
    case badImage(file: String, detail: String)
    /// The image `file` declares `width` × `height` pixels, more than `limit` (`ImageLimits`) allows.
    case imageTooLarge(file: String, width: Int, height: Int, limit: String)
    /// A CSV or text file of a data set has a line that cannot be understood.
    case malformedListing(file: String, line: Int, expected: String, found: String)
    /// The data set has no alphabet (or class) `name`; `available` lists those it has.
    case unknownAlphabet(name: String, available: [String])
    /// An episode asks for more than the classes hold: `detail` says which count is short.
    case episodeTooLarge(detail: String)
    /// The class folder `folder` holds `found` images, fewer than `expected` says (none at all, or fewer than
    /// an episode's K support + Q query images).
    case tooFewImages(folder: String, found: Int, expected: String)
    /// `source` (a folder of classes, or one split of it) has `found` classes, fewer than `expected` says.
    case tooFewClasses(source: String, found: Int, expected: String)
    /// A split of classes into meta-train / meta-validation / meta-test cannot be made: `detail` says why.
    case invalidClassSplit(detail: String)

    public var description: String {
        switch self {
        case let .sourceNotFound(path, expected):
            return "\(path): no such file or folder; expected \(expected)"
        case let .builtInDataMissing(name, lookedIn):
            let places = lookedIn.isEmpty ? "(no resource bundle found)" : lookedIn.joined(separator: ", ")
            return "the built-in \(name) files are missing (looked in \(places)); reinstall the package or give the data's path explicitly"
        case let .unexpectedLayout(path, expected, detail):
            return "\(path): not \(expected): \(detail)"
        case let .badImage(file, detail):
            return "\(file): not a readable image: \(detail)"
        case let .imageTooLarge(file, width, height, limit):
            return "\(file): the image declares \(width) × \(height) pixels; expected \(limit) (ImageLimits)"
        case let .malformedListing(file, line, expected, found):
            return "\(file), line \(line): expected \(expected), found '\(found)'"
        case let .unknownAlphabet(name, available):
            return "no alphabet '\(name)' in the data (alphabets present: \(available.joined(separator: ", ")))"
        case let .episodeTooLarge(detail):
            return "cannot draw the episode: \(detail)"
        case let .tooFewImages(folder, found, expected):
            return "\(folder): has only \(found) image\(found == 1 ? "" : "s"); expected \(expected)"
        case let .tooFewClasses(source, found, expected):
            return "\(source): has only \(found) class\(found == 1 ? "" : "es"); expected \(expected)"
        case let .invalidClassSplit(detail):
            return "cannot split the classes: \(detail)"
        }
    }
}

extension ImageDatasetError: LocalizedError {
    public var errorDescription: String? { description }
}

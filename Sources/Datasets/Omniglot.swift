import Foundation
import Tensors

/// One Omniglot character (Lake, Salakhutdinov & Tenenbaum, *Science* 2015): its drawings, preprocessed.
public struct OmniglotCharacter: Sendable, Equatable {
    /// The alphabet's folder name, e.g. `Japanese_(katakana)`.
    public var alphabet: String
    /// The character's folder name, e.g. `character07`.
    public var name: String
    /// The drawings' file names without `.png` (`<id>_<drawer>`), sorted; drawing `i` is `drawingNames[i]`.
    public var drawingNames: [String]
    /// The drawings, (D, S, S) row-major with D = `drawingCount` and S the side of the preprocessed images:
    /// stroke 1, paper 0.
    public var pixels: [Float]

    public var drawingCount: Int { drawingNames.count }

    /// `alphabet/name`.
    public var identifier: String { "\(alphabet)/\(name)" }
}

/// The Omniglot images in memory, preprocessed as the few-shot protocol says: each 105×105 1-bit PNG is
/// decoded, inverted (stroke = 1, paper = 0) and resized to S×S (S = 28 by default) by exact area averaging
/// (`ImageResize`), in Float32 with no normalisation.
///
/// Sources (zip archives or folders in Omniglot's layout, combined, a character repeated in a later source
/// skipped) are described in `OmniglotListing`. Characters are sorted by alphabet, then by character;
/// drawings by file name. `Omniglot.cached(sources:)` decodes once per process.
public struct Omniglot: Sendable {
    /// The side S of the preprocessed images.
    public let imageSize: Int
    /// The characters, sorted by alphabet, then by character.
    public let characters: [OmniglotCharacter]

    /// The alphabets, sorted.
    public var alphabets: [String] { Array(Set(characters.map(\.alphabet))).sorted() }

    /// Total number of drawings.
    public var drawingCount: Int { characters.reduce(0) { $0 + $1.drawingCount } }

    /// Reads and preprocesses every drawing of `sources` (zip archives or folders), decoding in parallel on
    /// `threads` threads. Throws `ImageDatasetError` when a source is missing, has no file in Omniglot's
    /// layout, or holds a PNG file that cannot be decoded (naming the file).
    public init(sources: [URL], imageSize: Int = 28, threads: Int = availableProcessorCount) throws {
        try self.init(listing: OmniglotListing(sources: sources), imageSize: imageSize, threads: threads)
    }

    /// Reads and preprocesses the drawings of `listing`: those of `alphabets` only (nil: all), and of each
    /// character its first `drawingsPerCharacter` drawings by name (nil: all), for quick runs and tests.
    public init(listing: OmniglotListing, imageSize: Int = 28, threads: Int = availableProcessorCount,
                alphabets: [String]? = nil, drawingsPerCharacter: Int? = nil) throws {
        precondition(imageSize > 0, "Omniglot: imageSize must be positive")
        if let alphabets {
            let present = listing.alphabets
            for name in alphabets where !present.contains(name) {
                throw ImageDatasetError.unknownAlphabet(name: name, available: present)
            }
        }
        let chosen = listing.characters.filter { alphabets?.contains($0.alphabet) ?? true }
            .map { character -> OmniglotListing.Character in
                var character = character
                if let limit = drawingsPerCharacter { character.drawings = Array(character.drawings.prefix(limit)) }
                return character
            }
        // Read the files (one after the other: a zip archive is read through one handle), then decode and
        // preprocess them in parallel.
        let files = try chosen.flatMap { try $0.drawings.map { (data: try listing.pngData(of: $0), name: listing.fileName(of: $0)) } }
        let decoded = parallelMap(files.count, threads: threads) { i in
            Result { try Omniglot.preprocess(png: files[i].data, file: files[i].name, imageSize: imageSize) }
        }
        var next = 0
        var characters: [OmniglotCharacter] = []
        for character in chosen {
            var pixels: [Float] = []
            pixels.reserveCapacity(character.drawings.count * imageSize * imageSize)
            for _ in character.drawings {
                pixels += try decoded[next].get()
                next += 1
            }
            characters.append(OmniglotCharacter(alphabet: character.alphabet, name: character.name,
                                                drawingNames: character.drawings.map(\.name), pixels: pixels))
        }
        self.characters = characters
        self.imageSize = imageSize
    }

    /// Omniglot's preprocessing of one PNG file, the image class loaders' (`DecodedImage`) with inversion:
    /// decode to 8-bit grey, invert (stroke 1, paper 0: p ↦ 1 − p/255), resize to `imageSize`×`imageSize` by
    /// area averaging. Returns (S, S) row-major; `file` names the file in errors.
    public static func preprocess(png: Data, file: String, imageSize: Int = 28) throws -> [Float] {
        try DecodedImage(decoding: png, channels: 1, source: file).planar(size: imageSize, inverted: true)
    }

    // MARK: - The shipped subset

    /// The background subsets shipped in the package's resources, in the protocol's order:
    /// `images_background_small1.zip`, `images_background_small2.zip`.
    public static func defaultSources() throws -> [URL] {
        try ["images_background_small1.zip", "images_background_small2.zip"].map(builtInFile)
    }

    /// Lake et al.'s 20 one-shot classification runs, `all_runs.zip`, shipped in the package's resources.
    public static func defaultOneShotRuns() throws -> URL {
        try builtInFile("all_runs.zip")
    }

    /// The file `name` of the resource folder `omniglot` of this module.
    static func builtInFile(_ name: String) throws -> URL {
        let folder = Bundle.module.resourceURL?.appendingPathComponent("omniglot")
        if let url = folder?.appendingPathComponent(name), FileManager.default.fileExists(atPath: url.path) {
            return url
        }
        throw ImageDatasetError.builtInDataMissing(name: "Omniglot (\(name))",
                                                   lookedIn: [folder?.path ?? Bundle.module.bundlePath])
    }

    // MARK: - Decoding once per process

    /// The data set of `sources`, decoded on the first call and kept in memory for the life of the process;
    /// later calls with the same sources and size return the same value without decoding again.
    public static func cached(sources: [URL], imageSize: Int = 28) throws -> Omniglot {
        let key = sources.map { $0.standardizedFileURL.path }.joined(separator: "\n") + "\n\(imageSize)"
        return try OmniglotCache.shared.value(for: key) { try Omniglot(sources: sources, imageSize: imageSize) }
    }
}

/// The process-wide store behind `Omniglot.cached(sources:imageSize:)`.
final class OmniglotCache: @unchecked Sendable {
    static let shared = OmniglotCache()
    private let lock = NSLock()
    private var store: [String: Omniglot] = [:]

    func value(for key: String, make: () throws -> Omniglot) throws -> Omniglot {
        lock.lock()
        defer { lock.unlock() }
        if let value = store[key] { return value }
        let value = try make()
        store[key] = value
        return value
    }
}

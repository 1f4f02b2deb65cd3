import Foundation

/// The drawings that Omniglot sources hold, listed without decoding them: the first step of loading
/// `Omniglot`, and a quick way to count characters and drawings.
///
/// A source is a zip archive or an unpacked folder in Omniglot's layout,
/// `<top>/<Alphabet>/characterNN/<id>_<drawer>.png` (the shipped `images_background_small1.zip` and
/// `images_background_small2.zip`, or the full `images_background.zip` / `images_evaluation.zip`); a folder
/// may also be `<top>` itself. PNG files are recognised by their last three path components, the middle one
/// starting with `character`. Several sources are combined, and a character (alphabet and character folder
/// names) found in more than one is taken from the first: the two shipped zips both hold Greek and Latin.
public struct OmniglotListing {
    /// One drawing: its name (`<id>_<drawer>`, the file name without `.png`) and where it is.
    public struct Drawing {
        public var name: String
        /// Index of its source in `sources`.
        public var source: Int
        /// Its path inside that source.
        public var path: String
    }

    /// One character and its drawings, sorted by name.
    public struct Character {
        public var alphabet: String
        public var name: String
        public var drawings: [Drawing]
    }

    /// What a source must look like, for error messages.
    static let expectedLayout = "an Omniglot zip archive or folder (<top>/<Alphabet>/characterNN/<id>_<drawer>.png)"

    public let sources: [URL]
    /// The characters, sorted by alphabet, then by character.
    public let characters: [Character]
    let trees: [FileTree]

    /// The alphabets, sorted.
    public var alphabets: [String] { Array(Set(characters.map(\.alphabet))).sorted() }

    /// Total number of drawings.
    public var drawingCount: Int { characters.reduce(0) { $0 + $1.drawings.count } }

    /// Lists the drawings of `sources`. Throws `ImageDatasetError` when a source is missing (naming the
    /// path) or holds no PNG file in Omniglot's layout.
    public init(sources: [URL]) throws {
        var trees: [FileTree] = []
        var byCharacter: [String: (source: Int, drawings: [Drawing])] = [:]
        for (index, url) in sources.enumerated() {
            let tree = try FileTree(url, expected: OmniglotListing.expectedLayout)
            trees.append(tree)
            var found = 0
            for path in tree.paths where path.lowercased().hasSuffix(".png") {
                let parts = path.split(separator: "/").map(String.init)
                guard parts.count >= 3, parts[parts.count - 2].hasPrefix("character") else { continue }
                found += 1
                let key = parts[parts.count - 3] + "/" + parts[parts.count - 2]
                if let first = byCharacter[key]?.source, first != index { continue }
                byCharacter[key, default: (index, [])].drawings.append(
                    Drawing(name: String(parts[parts.count - 1].dropLast(4)), source: index, path: path))
            }
            guard found > 0 else {
                let sample = tree.paths.prefix(3).joined(separator: ", ")
                throw ImageDatasetError.unexpectedLayout(
                    path: url.path, expected: OmniglotListing.expectedLayout,
                    detail: tree.paths.isEmpty ? "it holds no files"
                        : "none of its \(tree.paths.count) files is <Alphabet>/characterNN/*.png (e.g. \(sample))")
            }
        }
        self.sources = sources
        self.trees = trees
        characters = byCharacter.keys.sorted().map { key in
            let parts = key.split(separator: "/").map(String.init)
            return Character(alphabet: parts[0], name: parts[1],
                             drawings: byCharacter[key]!.drawings.sorted { $0.name < $1.name })
        }
    }

    /// The bytes of `drawing`'s PNG file, as stored.
    public func pngData(of drawing: Drawing) throws -> Data {
        try trees[drawing.source].data(at: drawing.path)
    }

    /// How `drawing`'s file is named in messages: `source.zip: path/in/archive` or its full path.
    public func fileName(of drawing: Drawing) -> String {
        trees[drawing.source].name(of: drawing.path)
    }
}

/// Omniglot characters as few-shot classes: each character turned by a quarter turn k·90° (k in
/// `rotations`, counterclockwise, as NumPy's `rot90`) is a class of its own, as in the few-shot protocol
/// (and in MAML's and the paper's Omniglot set-ups).
///
/// Class `c` is character `c / R`, turned by `rotations[c % R]` quarter turns, R = `rotations.count`; its
/// examples are the character's drawings, (1, S, S) each. Drawings are turned when read.
public struct OmniglotClasses: FewShotClassSource {
    /// The characters, in the order of `Omniglot.characters`.
    public let characters: [OmniglotCharacter]
    /// The quarter turns k (0...3) that make classes of each character.
    public let rotations: [Int]
    /// The side S of the images.
    public let imageSize: Int

    public init(characters: [OmniglotCharacter], rotations: [Int] = [0, 1, 2, 3], imageSize: Int = 28) {
        precondition(!rotations.isEmpty && rotations.allSatisfy { (0...3).contains($0) } && Set(rotations).count == rotations.count,
                     "OmniglotClasses: rotations must be distinct quarter turns in 0...3, got \(rotations)")
        self.characters = characters
        self.rotations = rotations
        self.imageSize = imageSize
    }

    /// (1, S, S).
    public var imageShape: [Int] { [1, imageSize, imageSize] }

    public var classCount: Int { characters.count * rotations.count }

    /// The alphabets of the classes, sorted.
    public var alphabets: [String] { Array(Set(characters.map(\.alphabet))).sorted() }

    public func exampleCount(ofClass c: Int) -> Int { characters[c / rotations.count].drawingCount }

    /// `Alphabet/characterNN/rotK` with K the angle in degrees: `Greek/character03/rot90`.
    public func className(_ c: Int) -> String {
        "\(characters[c / rotations.count].identifier)/rot\(90 * rotations[c % rotations.count])"
    }

    public func image(ofClass c: Int, example: Int) -> [Float] {
        let character = characters[c / rotations.count]
        let n = imageSize * imageSize
        let drawing = Array(character.pixels[(example * n)..<((example + 1) * n)])
        return OmniglotClasses.rotate(drawing, side: imageSize, quarterTurns: rotations[c % rotations.count])
    }

    /// `pixels` (S, S) turned counterclockwise by `quarterTurns`·90°, exactly (a permutation). One turn is
    /// `np.rot90`: out[i][j] = in[j][S−1−i].
    public static func rotate(_ pixels: [Float], side: Int, quarterTurns: Int) -> [Float] {
        let k = ((quarterTurns % 4) + 4) % 4
        if k == 0 { return pixels }
        let s = side
        var out = [Float](repeating: 0, count: s * s)
        for i in 0..<s {
            for j in 0..<s {
                let source: Int
                switch k {
                case 1: source = j * s + (s - 1 - i)              // in[j][S−1−i]
                case 2: source = (s - 1 - i) * s + (s - 1 - j)    // in[S−1−i][S−1−j]
                default: source = (s - 1 - j) * s + i             // in[S−1−j][i]
                }
                out[i * s + j] = pixels[source]
            }
        }
        return out
    }
}

extension Omniglot {
    /// The few-shot protocol's meta-training alphabets (199 characters of the shipped subset).
    public static let protocolMetaTrainAlphabets = [
        "Balinese", "Early_Aramaic", "Greek", "Korean", "Japanese_(katakana)", "Sanskrit",
    ]
    /// The few-shot protocol's meta-test alphabets (43 characters of the shipped subset).
    public static let protocolMetaTestAlphabets = ["Latin", "Tagalog"]

    /// The classes made of the characters of `alphabets`, each turned by every quarter turn in `rotations`.
    /// Throws `unknownAlphabet` for an alphabet the data does not hold.
    public func classes(alphabets: [String], rotations: [Int] = [0, 1, 2, 3]) throws -> OmniglotClasses {
        let present = self.alphabets
        for name in alphabets where !present.contains(name) {
            throw ImageDatasetError.unknownAlphabet(name: name, available: present)
        }
        let chosen = Set(alphabets)
        return OmniglotClasses(characters: characters.filter { chosen.contains($0.alphabet) }, rotations: rotations,
                               imageSize: imageSize)
    }

    /// The protocol's split by alphabet: meta-train `protocolMetaTrainAlphabets`, meta-test
    /// `protocolMetaTestAlphabets`; on the shipped subset 199 · 4 = 796 and 43 · 4 = 172 classes.
    public func protocolSplit(rotations: [Int] = [0, 1, 2, 3]) throws -> (metaTrain: OmniglotClasses, metaTest: OmniglotClasses) {
        (try classes(alphabets: Omniglot.protocolMetaTrainAlphabets, rotations: rotations),
         try classes(alphabets: Omniglot.protocolMetaTestAlphabets, rotations: rotations))
    }
}

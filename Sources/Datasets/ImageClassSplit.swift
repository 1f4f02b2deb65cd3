import Foundation
import Tensors

/// How the classes of an image class folder (`ImageFolder`) are split between meta-training,
/// meta-validation (the periodic evaluations) and meta-test (the final evaluation): by seeded fractions, or by
/// name (read from list files with `init(listFiles:of:)`). Stored in checkpoints, so `msr eval` meets the
/// same meta-test classes.
public enum ImageClassSplit: Codable, Sendable, Equatable {
    /// The sorted class names shuffled by `seed` (Fisher–Yates with `SplitMix64(seed:)`), then the first
    /// round(metaTrain · n) meta-train, the next round(metaValidation · n) meta-validate and the rest
    /// meta-test. The fractions lie in [0, 1] and add up to 1; meta-validation may be 0 (no validation
    /// classes: the periodic evaluations use the meta-test classes).
    case fractions(metaTrain: Double, metaValidation: Double, metaTest: Double, seed: UInt64)
    /// The classes of each part by folder name; classes named in none are not used.
    case named(metaTrain: [String], metaValidation: [String], metaTest: [String])

    /// The default fractions (meta-train, meta-validation, meta-test): Ravi & Larochelle's mini-ImageNet
    /// proportions, 64 / 16 / 20.
    public static let defaultFractions = [0.64, 0.16, 0.20]
    /// The default seed of the shuffle.
    public static let defaultSeed: UInt64 = 0
    /// `defaultFractions` with `defaultSeed`.
    public static let `default` = ImageClassSplit(fractions: defaultFractions, seed: defaultSeed)

    /// `.fractions` from the three fractions (meta-train, meta-validation, meta-test) in an array.
    public init(fractions: [Double], seed: UInt64) {
        precondition(fractions.count == 3, "ImageClassSplit: expected three fractions, got \(fractions)")
        self = .fractions(metaTrain: fractions[0], metaValidation: fractions[1], metaTest: fractions[2], seed: seed)
    }

    /// The class names of each part, each sorted by name.
    public struct Assignment: Sendable, Equatable {
        public var metaTrain: [String]
        public var metaValidation: [String]
        public var metaTest: [String]
    }

    /// Splits `classNames` (a folder's classes; `.named` keeps its names, which `ImageFolder.classes(named:)`
    /// then finds or reports missing). Throws `invalidClassSplit` for fractions that are not in [0, 1] or do
    /// not add up to 1, or for a name in two parts.
    public func assign(_ classNames: [String]) throws -> Assignment {
        switch self {
        case let .fractions(train, validation, test, seed):
            let parts = [train, validation, test]
            guard parts.allSatisfy({ $0.isFinite && (0...1).contains($0) }), abs(parts.reduce(0, +) - 1) <= 1e-6 else {
                throw ImageDatasetError.invalidClassSplit(
                    detail: "expected three fractions in [0, 1] adding up to 1 (meta-train, meta-validation, meta-test), got \(parts.map { "\($0)" }.joined(separator: ", "))")
            }
            let names = classNames.sorted()
            var generator = SplitMix64(seed: seed)
            let order = FewShotEpisodeSampler.choose(names.count, from: names.count, using: &generator).map { names[$0] }
            let n = Double(names.count)
            let trainCount = min(Int((train * n).rounded()), names.count)
            let validationCount = min(Int((validation * n).rounded()), names.count - trainCount)
            return Assignment(metaTrain: order[..<trainCount].sorted(),
                              metaValidation: order[trainCount..<(trainCount + validationCount)].sorted(),
                              metaTest: order[(trainCount + validationCount)...].sorted())
        case let .named(train, validation, test):
            var seen: [String: String] = [:]
            for (part, names) in [("meta-train", train), ("meta-validation", validation), ("meta-test", test)] {
                for name in names {
                    if let earlier = seen[name] {
                        throw ImageDatasetError.invalidClassSplit(detail: "'\(name)' is both a \(earlier) and a \(part) class; expected each class in one part")
                    }
                    seen[name] = part
                }
            }
            return Assignment(metaTrain: train.sorted(), metaValidation: validation.sorted(), metaTest: test.sorted())
        }
    }

    /// The split the list files name: one class folder name per line (surrounding spaces trimmed; empty lines
    /// and lines starting with `#` skipped). `metaValidation` may be nil (no validation classes). Throws
    /// `sourceNotFound` for a missing list file, or naming the missing folder with the list file and line;
    /// `malformedListing` for a class listed twice (in one file or two).
    public init(listFiles metaTrain: URL, metaValidation: URL?, metaTest: URL, of folder: ImageFolder) throws {
        let present = Set(folder.classNames)
        var seen: [String: String] = [:]
        func read(_ url: URL) throws -> [String] {
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ImageDatasetError.sourceNotFound(path: url.path, expected: "a list of class folder names, one per line")
            }
            var names: [String] = []
            for (index, raw) in String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if name.isEmpty || name.hasPrefix("#") { continue }
                guard present.contains(name) else {
                    throw ImageDatasetError.sourceNotFound(path: folder.root.appendingPathComponent(name).path,
                                                           expected: "the class folder named in \(url.path), line \(index + 1)")
                }
                if let earlier = seen[name] {
                    throw ImageDatasetError.malformedListing(file: url.path, line: index + 1,
                                                             expected: "a class not listed before (it is in \(earlier))", found: name)
                }
                seen[name] = url.path
                names.append(name)
            }
            return names
        }
        self = .named(metaTrain: try read(metaTrain), metaValidation: try metaValidation.map(read) ?? [], metaTest: try read(metaTest))
    }
}

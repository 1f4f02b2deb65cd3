import Foundation
import Tensors

/// Lake et al.'s 20 official Omniglot one-shot classification runs (`all_runs.zip`, *Science* 2015): each is
/// a 20-way 1-shot episode with 20 query images, characters from the evaluation alphabets. People got 95.5%
/// of them right (`humanAccuracy`).
///
/// Layout, in a zip archive or folder: `runNN/training/classNN.png` (the 20 support images, one per class),
/// `runNN/test/itemNN.png` (the 20 query images) and `runNN/class_labels.txt`, one line per test item,
/// `runNN/test/itemNN.png runNN/training/classMM.png` (paths relative to the runs' parent folder). Images are
/// preprocessed as `Omniglot.preprocess` does (inverted, area-resized to S×S).
///
/// Run `r` is `runs[r]`: support (20, 1, S, S) with label i for `classNN.png` with NN = i + 1, query
/// (20, 1, S, S) in item order with the label of its class. Unlike sampled episodes, the query set is in item
/// order, not grouped by class; `classes` is 0..<20.
public struct OmniglotOneShotRuns: Sendable {
    /// The human accuracy on these runs reported by Lake et al. (2015): 95.5%.
    public static let humanAccuracy = 0.955

    /// The runs, in the order of their folder names (run01, run02, ...).
    public let runs: [FewShotEpisode]
    /// The run folders' names.
    public let names: [String]

    static let expectedLayout = "Omniglot's one-shot runs (runNN/class_labels.txt, runNN/training/classNN.png, runNN/test/itemNN.png)"

    /// Reads the runs in the zip archive or folder `url`.
    public init(contentsOf url: URL, imageSize: Int = 28) throws {
        let tree = try FileTree(url, expected: OmniglotOneShotRuns.expectedLayout)
        let listings = tree.paths.filter { $0.hasSuffix("class_labels.txt") && $0.split(separator: "/").count >= 2 }
        guard !listings.isEmpty else {
            throw ImageDatasetError.unexpectedLayout(path: url.path, expected: OmniglotOneShotRuns.expectedLayout,
                                                     detail: "no runNN/class_labels.txt in its \(tree.paths.count) files")
        }
        var runs: [FewShotEpisode] = [], names: [String] = []
        let files = Set(tree.paths)
        for listing in listings {
            var parts = listing.split(separator: "/").map(String.init)
            parts.removeLast()
            let run = parts.removeLast()                                     // runNN
            let parent = parts.isEmpty ? "" : parts.joined(separator: "/") + "/"   // the runs' folder
            let trainingPrefix = "\(parent)\(run)/training/"
            let training = tree.paths.filter { $0.hasPrefix(trainingPrefix) && $0.lowercased().hasSuffix(".png") }
            guard !training.isEmpty else {
                throw ImageDatasetError.unexpectedLayout(path: tree.name(of: parent + run), expected: OmniglotOneShotRuns.expectedLayout,
                                                         detail: "no training/classNN.png images")
            }
            let label = Dictionary(uniqueKeysWithValues: training.enumerated().map { ($1, $0) })
            // The listing: one "test-item training-class" line per query image.
            let text = String(decoding: try tree.data(at: listing), as: UTF8.self)
            var items: [(file: String, label: Int)] = []
            for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
                let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "," }).map(String.init)
                if fields.isEmpty { continue }
                guard fields.count == 2, files.contains(parent + fields[0]), let classLabel = label[parent + fields[1]] else {
                    throw ImageDatasetError.malformedListing(
                        file: tree.name(of: listing), line: number + 1,
                        expected: "'\(run)/test/itemNN.png \(run)/training/classNN.png' naming files of the run", found: String(line))
                }
                items.append((parent + fields[0], classLabel))
            }
            items.sort { $0.file < $1.file }
            let support = try training.flatMap { try Omniglot.preprocess(png: tree.data(at: $0), file: tree.name(of: $0), imageSize: imageSize) }
            let query = try items.flatMap { try Omniglot.preprocess(png: tree.data(at: $0.file), file: tree.name(of: $0.file), imageSize: imageSize) }
            runs.append(FewShotEpisode(
                supportImages: Tensor(shape: [training.count, 1, imageSize, imageSize], scalars: support),
                supportLabels: Array(0..<training.count),
                queryImages: Tensor(shape: [items.count, 1, imageSize, imageSize], scalars: query),
                queryLabels: items.map(\.label),
                classes: Array(0..<training.count)))
            names.append(run)
        }
        self.runs = runs
        self.names = names
    }

    /// The runs shipped in the package's resources (`Omniglot.defaultOneShotRuns()`).
    public static func builtIn(imageSize: Int = 28) throws -> OmniglotOneShotRuns {
        try OmniglotOneShotRuns(contentsOf: Omniglot.defaultOneShotRuns(), imageSize: imageSize)
    }
}

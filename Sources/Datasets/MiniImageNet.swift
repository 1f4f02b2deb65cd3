import Foundation

/// A split of mini-ImageNet (Vinyals et al. 2016, with Ravi & Larochelle's 64/16/20-class split) in the
/// layout users have:
///
///     <root>/images/<filename>.jpg        84×84 RGB JPEG files
///     <root>/train.csv, val.csv, test.csv header `filename,label`, then one `<filename>,<label>` per image
///
/// Classes are the distinct labels of the split's CSV, sorted by name; a class's images are in CSV order.
/// The images are read by the loader of every image class set (`ImageClasses`), as RGB: decoded with
/// libjpeg-turbo when first asked for, scaled to [0, 1] (p/255), planar (3, S, S) Float32 with S =
/// `imageSize` (84); an image of another size is resized to S×S by area averaging (`ImageResize`). No
/// normalisation. With `cacheDecodedImages`, each file is decoded once and kept as bytes (H·W·3 bytes per
/// image: about 0.8 GB for the 38,400 training images).
///
/// The data set cannot ship with the package; `init` checks the layout and that every listed file exists,
/// and throws `ImageDatasetError` saying what is missing.
public struct MiniImageNet: FewShotClassSource {
    /// The three splits and their CSV files.
    public enum Split: String, CaseIterable, Sendable {
        case train, val, test
        public var fileName: String { "\(rawValue).csv" }
    }

    public let root: URL
    public let split: Split
    /// The side S of the images returned.
    public let imageSize: Int
    /// The labels (WordNet ids such as `n01532829`), sorted; class `c` is `labels[c]`.
    public let labels: [String]
    /// The file names (within `images/`) of each class's images, in CSV order.
    public let files: [[String]]
    /// The classes as the loader reads them.
    public let classes: ImageClasses

    public init(root: URL, split: Split, imageSize: Int = 84, cacheDecodedImages: Bool = true) throws {
        let layout = "mini-ImageNet's layout (images/ of JPEG files beside train.csv, val.csv, test.csv with header filename,label)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw ImageDatasetError.sourceNotFound(path: root.path, expected: "a folder in \(layout)")
        }
        guard isDirectory.boolValue else {
            throw ImageDatasetError.unexpectedLayout(path: root.path, expected: "a folder in \(layout)", detail: "it is a file")
        }
        let images = root.appendingPathComponent("images")
        guard FileManager.default.fileExists(atPath: images.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ImageDatasetError.sourceNotFound(path: images.path, expected: "the images/ folder of \(layout)")
        }
        let csv = root.appendingPathComponent(split.fileName)
        guard let data = FileManager.default.contents(atPath: csv.path) else {
            throw ImageDatasetError.sourceNotFound(path: csv.path, expected: "the \(split.fileName) file of \(layout)")
        }
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let header = lines.first, header.replacingOccurrences(of: " ", with: "") == "filename,label" else {
            throw ImageDatasetError.malformedListing(file: csv.path, line: 1, expected: "the header 'filename,label'",
                                                     found: lines.first ?? "")
        }
        var byLabel: [String: [String]] = [:]
        for (index, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ImageDatasetError.malformedListing(file: csv.path, line: index + 1, expected: "'<filename>,<label>'", found: line)
            }
            // A listed name is a file in images/, never a path that leaves it (`../x.jpg`, `/etc/passwd`).
            guard !fields[0].contains("/"), !fields[0].contains("\\"), fields[0] != ".", fields[0] != ".." else {
                throw ImageDatasetError.malformedListing(file: csv.path, line: index + 1,
                                                         expected: "a file name within images/ (no '/' or '..')", found: line)
            }
            guard FileManager.default.fileExists(atPath: images.appendingPathComponent(fields[0]).path) else {
                throw ImageDatasetError.sourceNotFound(path: images.appendingPathComponent(fields[0]).path,
                                                       expected: "the image listed in \(split.fileName), line \(index + 1)")
            }
            byLabel[fields[1], default: []].append(fields[0])
        }
        guard !byLabel.isEmpty else {
            throw ImageDatasetError.unexpectedLayout(path: csv.path, expected: "a CSV file listing images", detail: "it lists none")
        }
        self.root = root
        self.split = split
        self.imageSize = imageSize
        let labels = byLabel.keys.sorted()
        self.labels = labels
        files = labels.map { byLabel[$0]! }
        classes = ImageClasses(classes: labels.map { label in
            ImageClasses.Class(name: label, location: "\(csv.path) (label \(label))",
                               files: byLabel[label]!.map { images.appendingPathComponent($0) })
        }, channels: 3, imageSize: imageSize, cacheDecodedImages: cacheDecodedImages)
    }

    /// (3, S, S).
    public var imageShape: [Int] { [3, imageSize, imageSize] }
    public var classCount: Int { labels.count }
    public func exampleCount(ofClass c: Int) -> Int { files[c].count }
    public func className(_ c: Int) -> String { labels[c] }

    /// The file of image `example` of class `c`.
    public func url(ofClass c: Int, example: Int) -> URL { classes.url(ofClass: c, example: example) }

    /// Image `example` of class `c`: (3, S, S) planar, in [0, 1]. Throws `badImage` naming the file when it
    /// cannot be decoded.
    public func image(ofClass c: Int, example: Int) throws -> [Float] {
        try classes.image(ofClass: c, example: example)
    }
}

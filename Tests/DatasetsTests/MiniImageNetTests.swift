import Datasets
import Foundation
import Tensors
import XCTest

final class MiniImageNetTests: XCTestCase {
    /// A tiny mini-ImageNet layout: `classes` classes of `perClass` 84×84 JPEG images in each split, the
    /// picture of image i of class c a flat colour (20·c + 40, 10·i + 20, 200).
    func writeLayout(at root: URL, classes: Int = 3, perClass: Int = 4, lineEnding: String = "\n") throws {
        let images = root.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for split in MiniImageNet.Split.allCases {
            var csv = "filename,label" + lineEnding
            for c in 0..<classes {
                let label = String(format: "n%08d", 100 * (classes - c) + split.rawValue.count)  // labels not in CSV order
                for i in 0..<perClass {
                    let name = "\(label)\(String(format: "%08d", i)).jpg"
                    let colour: [UInt8] = [UInt8(20 * c + 40), UInt8(10 * i + 20), 200]
                    try JPEGImage(width: 84, height: 84, channels: 3, pixels: Array((0..<(84 * 84)).map { _ in colour }.joined()))
                        .write(to: images.appendingPathComponent(name), quality: 95)
                    csv += "\(name),\(label)" + lineEnding
                }
            }
            try Data(csv.utf8).write(to: root.appendingPathComponent(split.fileName))
        }
    }

    func testLoadsATinyLayout() throws {
        let root = try temporaryDirectory(for: self)
        try writeLayout(at: root)
        let train = try MiniImageNet(root: root, split: .train)
        XCTAssertEqual(train.classCount, 3)
        XCTAssertEqual(train.labels, ["n00000105", "n00000205", "n00000305"])
        XCTAssertEqual(train.exampleCount(ofClass: 0), 4)
        XCTAssertEqual(train.imageShape, [3, 84, 84])
        // Class 0 is the sorted first label, written as c = 2: colour (80, 10·i + 20, 200)/255, planar.
        let image = try train.image(ofClass: 0, example: 1)
        XCTAssertEqual(image.count, 3 * 84 * 84)
        XCTAssertEqual(Double(image[0]), 80.0 / 255, accuracy: 3.0 / 255)
        XCTAssertEqual(Double(image[84 * 84 + 100]), 30.0 / 255, accuracy: 3.0 / 255)
        XCTAssertEqual(Double(image[2 * 84 * 84 + 7]), 200.0 / 255, accuracy: 3.0 / 255)
        // Decoded once, then cached: the same values again.
        XCTAssertEqual(try train.image(ofClass: 0, example: 1), image)
        // Episodes.
        let sampler = try FewShotEpisodeSampler(classes: train, ways: 2, shots: 1, queries: 2, queryAugmentation: .protocolDefault)
        var generator = SplitMix64(seed: 1)
        let episode = try sampler.episode(using: &generator)
        XCTAssertEqual(episode.supportImages.shape, [2, 3, 84, 84])
        XCTAssertEqual(episode.queryImages.shape, [4, 3, 84, 84])
        // The other splits.
        XCTAssertEqual(try MiniImageNet(root: root, split: .test).labels, ["n00000104", "n00000204", "n00000304"])
        // Another image size: area-resized.
        XCTAssertEqual(try MiniImageNet(root: root, split: .val, imageSize: 42).image(ofClass: 2, example: 3).count, 3 * 42 * 42)
    }

    /// CSV files written on Windows (CRLF line endings; "\r\n" is one Character in Swift) read as the LF ones.
    func testCRLFLineEndingsAreRead() throws {
        let root = try temporaryDirectory(for: self)
        try writeLayout(at: root, classes: 2, perClass: 2, lineEnding: "\r\n")
        let train = try MiniImageNet(root: root, split: .train)
        XCTAssertEqual(train.classCount, 2)
        XCTAssertEqual(train.exampleCount(ofClass: 1), 2)
    }

    func testLayoutErrorsSayWhatIsMissing() throws {
        let root = try temporaryDirectory(for: self)
        let missingRoot = root.appendingPathComponent("mini")
        XCTAssertTrue("\(thrownImageError { try MiniImageNet(root: missingRoot, split: .train) }!)".hasPrefix("\(missingRoot.path): no such file or folder"))
        try FileManager.default.createDirectory(at: missingRoot, withIntermediateDirectories: true)
        guard case .sourceNotFound(let images, _)? = thrownImageError({ try MiniImageNet(root: missingRoot, split: .train) }) else {
            return XCTFail("expected sourceNotFound")
        }
        XCTAssertEqual(images, missingRoot.appendingPathComponent("images").path)
        try writeLayout(at: missingRoot, classes: 2, perClass: 2)
        // A bad header.
        let csv = missingRoot.appendingPathComponent("train.csv")
        try Data("file,class\na.jpg,n1\n".utf8).write(to: csv)
        XCTAssertEqual(thrownImageError { try MiniImageNet(root: missingRoot, split: .train) },
                       .malformedListing(file: csv.path, line: 1, expected: "the header 'filename,label'", found: "file,class"))
        // A bad line.
        try Data("filename,label\nn0000010100000000.jpg\n".utf8).write(to: csv)
        XCTAssertEqual(thrownImageError { try MiniImageNet(root: missingRoot, split: .train) },
                       .malformedListing(file: csv.path, line: 2, expected: "'<filename>,<label>'", found: "n0000010100000000.jpg"))
        // A listed name that leaves images/ (a file that exists there: the CSV itself).
        for name in ["../train.csv", "/etc/passwd", ".."] {
            try Data("filename,label\n\(name),n1\n".utf8).write(to: csv)
            XCTAssertEqual(thrownImageError { try MiniImageNet(root: missingRoot, split: .train) },
                           .malformedListing(file: csv.path, line: 2, expected: "a file name within images/ (no '/' or '..')", found: "\(name),n1"))
        }
        // A listed file that is not there.
        try Data("filename,label\nmissing.jpg,n1\n".utf8).write(to: csv)
        XCTAssertEqual(thrownImageError { try MiniImageNet(root: missingRoot, split: .train) },
                       .sourceNotFound(path: missingRoot.appendingPathComponent("images/missing.jpg").path,
                                       expected: "the image listed in train.csv, line 2"))
    }

    func testATruncatedImageIsAnErrorWhenRead() throws {
        let root = try temporaryDirectory(for: self)
        try writeLayout(at: root, classes: 2, perClass: 2)
        let train = try MiniImageNet(root: root, split: .train)
        let file = train.url(ofClass: 1, example: 0)
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        guard case .badImage(let name, _)? = thrownImageError({ try train.image(ofClass: 1, example: 0) }) else {
            return XCTFail("expected badImage")
        }
        XCTAssertEqual(name, file.path)
    }
}

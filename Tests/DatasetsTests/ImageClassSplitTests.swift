import Datasets
import Foundation
import TestSupport
import XCTest

final class ImageClassSplitTests: XCTestCase {
    let names = (0..<25).map { String(format: "c%02d", $0) }

    func testFractionsSplitEveryClassOnceBySeed() throws {
        let split = try ImageClassSplit.default.assign(names.reversed())
        // round(0.64 · 25) = 16, round(0.16 · 25) = 4, the rest 5.
        XCTAssertEqual([split.metaTrain.count, split.metaValidation.count, split.metaTest.count], [16, 4, 5])
        XCTAssertEqual(Set(split.metaTrain + split.metaValidation + split.metaTest), Set(names))
        XCTAssertEqual(split.metaTest, split.metaTest.sorted())
        // The same seed gives the same split whatever the order of the names; another seed another split.
        XCTAssertEqual(try ImageClassSplit.default.assign(names), split)
        let other = try ImageClassSplit(fractions: ImageClassSplit.defaultFractions, seed: 7).assign(names)
        XCTAssertNotEqual(other.metaTrain, split.metaTrain)
        // No validation part.
        let noValidation = try ImageClassSplit(fractions: [0.8, 0, 0.2], seed: 0).assign(names)
        XCTAssertEqual([noValidation.metaTrain.count, noValidation.metaValidation.count, noValidation.metaTest.count], [20, 0, 5])
    }

    func testBadFractionsAndDoubleNamesAreErrors() {
        guard case .invalidClassSplit(let detail)? = thrownImageError({ try ImageClassSplit(fractions: [0.7, 0.2, 0.2], seed: 0).assign(names) }) else {
            return XCTFail("expected invalidClassSplit")
        }
        XCTAssertTrue(detail.contains("adding up to 1"), detail)
        XCTAssertNotNil(thrownImageError { try ImageClassSplit(fractions: [1.2, -0.2, 0], seed: 0).assign(names) })
        XCTAssertEqual(thrownImageError { try ImageClassSplit.named(metaTrain: ["a", "b"], metaValidation: [], metaTest: ["b"]).assign(["a", "b"]) },
                       .invalidClassSplit(detail: "'b' is both a meta-train and a meta-test class; expected each class in one part"))
    }

    func testListFiles() throws {
        let root = try temporaryDirectory(for: self)
        let images = root.appendingPathComponent("images")
        try writeImageClassFolders(at: images, classes: 5, imagesPerClass: 1)
        let folder = try ImageFolder(root: images)
        let train = root.appendingPathComponent("train.txt"), test = root.appendingPathComponent("test.txt")
        let validation = root.appendingPathComponent("val.txt")
        try Data("# meta-train\nclass03\n  class00 \n\nclass01\n".utf8).write(to: train)
        try Data("class04\n".utf8).write(to: test)
        try Data("class02".utf8).write(to: validation)
        let split = try ImageClassSplit(listFiles: train, metaValidation: validation, metaTest: test, of: folder)
        XCTAssertEqual(split, .named(metaTrain: ["class03", "class00", "class01"], metaValidation: ["class02"], metaTest: ["class04"]))
        XCTAssertEqual(try split.assign(folder.classNames).metaTrain, ["class00", "class01", "class03"])
        XCTAssertEqual(try ImageClassSplit(listFiles: train, metaValidation: nil, metaTest: test, of: folder),
                       .named(metaTrain: ["class03", "class00", "class01"], metaValidation: [], metaTest: ["class04"]))
        // A name that is no class folder: the folder it names, with the list file and line.
        try Data("class04\ncats\n".utf8).write(to: test)
        XCTAssertEqual(thrownImageError { try ImageClassSplit(listFiles: train, metaValidation: nil, metaTest: test, of: folder) },
                       .sourceNotFound(path: images.appendingPathComponent("cats").path, expected: "the class folder named in \(test.path), line 2"))
        // A class in two lists.
        try Data("class00\n".utf8).write(to: test)
        XCTAssertEqual(thrownImageError { try ImageClassSplit(listFiles: train, metaValidation: nil, metaTest: test, of: folder) },
                       .malformedListing(file: test.path, line: 1, expected: "a class not listed before (it is in \(train.path))", found: "class00"))
        // A missing list file.
        let gone = root.appendingPathComponent("gone.txt")
        XCTAssertEqual(thrownImageError { try ImageClassSplit(listFiles: gone, metaValidation: nil, metaTest: test, of: folder) },
                       .sourceNotFound(path: gone.path, expected: "a list of class folder names, one per line"))
    }

    func testCodableRoundTrip() throws {
        for split in [ImageClassSplit.default, .named(metaTrain: ["a"], metaValidation: [], metaTest: ["b"])] {
            XCTAssertEqual(try JSONDecoder().decode(ImageClassSplit.self, from: JSONEncoder().encode(split)), split)
        }
    }
}

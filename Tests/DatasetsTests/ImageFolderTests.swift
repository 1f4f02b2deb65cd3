import Datasets
import Foundation
import TestSupport
import XCTest

final class ImageFolderTests: XCTestCase {
    func testListsClassFoldersAndTheirImagesSorted() throws {
        let root = try temporaryDirectory(for: self)
        try writeImageClassFolders(at: root, classes: 3, imagesPerClass: 4, jpegEvery: 2)
        // Left out: hidden files and folders, files that are not images, files directly in root.
        try Data("x".utf8).write(to: root.appendingPathComponent("class01/notes.txt"))
        try Data("x".utf8).write(to: root.appendingPathComponent("class01/.DS_Store"))
        try Data("x".utf8).write(to: root.appendingPathComponent("README.md"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".cache"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("class02/sub"), withIntermediateDirectories: true)
        let folder = try ImageFolder(root: root)
        XCTAssertEqual(folder.classNames, ["class00", "class01", "class02"])
        XCTAssertEqual(folder.files[1].map(\.lastPathComponent), ["image00.jpg", "image01.png", "image02.jpg", "image03.png"])
        XCTAssertEqual(folder.files[2].count, 4)
        XCTAssertEqual(try folder.inferredChannels(), 1)
        let classes = try folder.classes(named: ["class02"], channels: 1, imageSize: 16)
        XCTAssertEqual(classes.classes.first?.location, root.appendingPathComponent("class02").path)
    }

    func testColourImagesInferThreeChannels() throws {
        let root = try temporaryDirectory(for: self)
        try writeImageClassFolders(at: root, classes: 2, imagesPerClass: 1, colour: true)
        XCTAssertEqual(try ImageFolder(root: root).inferredChannels(), 3)
    }

    func testLayoutErrorsNameThePath() throws {
        let root = try temporaryDirectory(for: self)
        let missing = root.appendingPathComponent("none")
        guard case .sourceNotFound(let path, _)? = thrownImageError({ try ImageFolder(root: missing) }) else {
            return XCTFail("expected sourceNotFound")
        }
        XCTAssertEqual(path, missing.path)
        // No class folders.
        guard case .unexpectedLayout(let empty, _, let detail)? = thrownImageError({ try ImageFolder(root: root) }) else {
            return XCTFail("expected unexpectedLayout")
        }
        XCTAssertEqual(empty, root.path)
        XCTAssertEqual(detail, "it has no class folders")
        // A class folder with no image.
        try writeImageClassFolders(at: root, classes: 2, imagesPerClass: 2)
        let bare = root.appendingPathComponent("class05")
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: bare.appendingPathComponent("a.txt"))
        guard case .tooFewImages(let folder, 0, _)? = thrownImageError({ try ImageFolder(root: root) }) else {
            return XCTFail("expected tooFewImages")
        }
        XCTAssertEqual(folder, bare.path)
        try FileManager.default.removeItem(at: bare)
        // A class that is not there.
        XCTAssertEqual(thrownImageError { try ImageFolder(root: root).classes(named: ["class00", "dogs"], channels: 1, imageSize: 16) },
                       .sourceNotFound(path: root.appendingPathComponent("dogs").path, expected: "a class folder of \(root.path) (one of 2 holding images)"))
    }
}

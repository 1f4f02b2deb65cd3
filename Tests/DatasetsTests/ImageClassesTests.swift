import Datasets
import Foundation
import Tensors
import TestSupport
import XCTest

final class ImageClassesTests: XCTestCase {
    /// Two classes of the test pattern (12×12 colour, the first image of each a JPEG file), read at `size`.
    func classes(channels: Int, size: Int, perClass: Int = 3) throws -> ImageClasses {
        let root = try temporaryDirectory(for: self)
        try writeImageClassFolders(at: root, classes: 2, imagesPerClass: perClass, colour: true, jpegEvery: 3)
        return try ImageFolder(root: root).classes(named: ["class01", "class00"], channels: channels, imageSize: size)
    }

    func testImagesArePlanarScaledAndResized() throws {
        let colour = try classes(channels: 3, size: 12)
        XCTAssertEqual(colour.imageShape, [3, 12, 12])
        XCTAssertEqual(colour.classCount, 2)
        XCTAssertEqual(colour.className(0), "class01", "classes keep the order they were named in")
        XCTAssertEqual(colour.exampleCount(ofClass: 1), 3)
        // Image 1 of class01 (a PNG file): background 20/255; the bar (rows 2–3, columns 1…11) has channel ch
        // = (60 + 70·(1 + ch) mod 170)/255.
        let image = try colour.image(ofClass: 0, example: 1)
        XCTAssertEqual(image.count, 3 * 144)
        XCTAssertEqual(image[0], 20 / 255)
        for ch in 0..<3 { XCTAssertEqual(image[ch * 144 + 2 * 12 + 5], Float(60 + (70 * (1 + ch)) % 170) / 255) }
        XCTAssertEqual(image[2 * 12 + 0], 20 / 255, "image 1 moves the bar one column right")
        XCTAssertEqual(try colour.image(ofClass: 0, example: 1), image, "the cached image reads the same")
        // Image 0 is a JPEG file: close, not exact.
        XCTAssertEqual(Double(try colour.image(ofClass: 0, example: 0)[2 * 12 + 5]), 130.0 / 255, accuracy: 25.0 / 255)
        // Grey and another size: one channel, area-resized (16×16 from 12×12 keeps the mean).
        let grey = try classes(channels: 1, size: 16)
        let small = try grey.image(ofClass: 1, example: 2)
        XCTAssertEqual(grey.imageShape, [1, 16, 16])
        XCTAssertEqual(small.count, 256)
        let original = try classes(channels: 1, size: 12).image(ofClass: 1, example: 2)
        XCTAssertEqual(Double(small.reduce(0, +)) / 256, Double(original.reduce(0, +)) / 144, accuracy: 1e-5)
    }

    func testEpisodesComeFromTheFiles() throws {
        let colour = try classes(channels: 3, size: 16, perClass: 4)
        let sampler = try FewShotEpisodeSampler(classes: colour, ways: 2, shots: 1, queries: 3)
        var generator = SplitMix64(seed: 3)
        let episode = try sampler.episode(using: &generator)
        XCTAssertEqual(episode.supportImages.shape, [2, 3, 16, 16])
        XCTAssertEqual(episode.queryImages.shape, [6, 3, 16, 16])
    }

    func testRequireEpisodesNamesWhatFallsShort() throws {
        let two = try classes(channels: 1, size: 16)
        XCTAssertNoThrow(try two.requireEpisodes(ways: 2, imagesPerClass: 3, source: "s"))
        XCTAssertEqual(thrownImageError { try two.requireEpisodes(ways: 3, imagesPerClass: 1, source: "/d (meta-test classes)") },
                       .tooFewClasses(source: "/d (meta-test classes)", found: 2, expected: "at least 3 for 3-way episodes"))
        guard case .tooFewImages(let folder, let found, let expected)? = thrownImageError({ try two.requireEpisodes(ways: 2, imagesPerClass: 4, source: "s") }) else {
            return XCTFail("expected tooFewImages")
        }
        XCTAssertTrue(folder.hasSuffix("/class01"), folder)
        XCTAssertEqual(found, 3)
        XCTAssertTrue(expected.hasPrefix("at least 4"), expected)
    }

    func testAnUnreadableImageIsAnErrorNamingIt() throws {
        let grey = try classes(channels: 1, size: 16)
        let file = grey.url(ofClass: 1, example: 1)
        try Data("not an image".utf8).write(to: file)
        guard case .badImage(let name, _)? = thrownImageError({ try grey.image(ofClass: 1, example: 1) }) else {
            return XCTFail("expected badImage")
        }
        XCTAssertEqual(name, file.path)
    }
}

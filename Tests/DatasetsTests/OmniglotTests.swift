import Datasets
import Foundation
import Tensors
import XCTest

final class OmniglotTests: XCTestCase {
    func testBuiltInSourcesExist() throws {
        let sources = try Omniglot.defaultSources()
        XCTAssertEqual(sources.map(\.lastPathComponent), ["images_background_small1.zip", "images_background_small2.zip"])
        XCTAssertEqual(try Omniglot.defaultOneShotRuns().lastPathComponent, "all_runs.zip")
        for url in sources + [try Omniglot.defaultOneShotRuns()] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: url.path))
            // The licence and the note on where the files come from travel with them.
            for name in ["LICENSE", "README.md"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent(name).path), name)
            }
        }
    }

    func testPreprocessingInvertsAndAreaResizes() throws {
        let root = try temporaryDirectory(for: self)
        let written = try writeOmniglotFolder(at: root, characters: ["Alpha/character01": 2, "Beta/character03": 1])
        let omniglot = try Omniglot(sources: [root])
        XCTAssertEqual(omniglot.imageSize, 28)
        XCTAssertEqual(omniglot.characters.map(\.identifier), ["Alpha/character01", "Beta/character03"])
        XCTAssertEqual(omniglot.characters[0].drawingNames, ["0001_01", "0001_02"])
        XCTAssertEqual(omniglot.drawingCount, 3)
        XCTAssertEqual(omniglot.alphabets, ["Alpha", "Beta"])
        for character in omniglot.characters {
            XCTAssertEqual(character.pixels.count, character.drawingCount * 28 * 28)
            for (d, name) in character.drawingNames.enumerated() {
                // Stroke (black, 0) becomes 1, paper (white, 255) 0; then exact area averaging.
                let inverted = written["\(character.identifier)/\(name)"]!.map { 1 - Float($0) / 255 }
                let expected = ImageResize.areaAverage(inverted, channels: 1, height: 105, width: 105, outputHeight: 28, outputWidth: 28)
                XCTAssertEqual(Array(character.pixels[(d * 784)..<((d + 1) * 784)]), expected)
            }
        }
        // A 20×15 stroke rectangle: its mass, over 3.75², is kept.
        XCTAssertEqual(Double(omniglot.characters[0].pixels[..<784].reduce(0, +)) * 3.75 * 3.75, 300, accuracy: 1e-3)
        // Another size.
        XCTAssertEqual(try Omniglot(sources: [root], imageSize: 35).characters[1].pixels.count, 35 * 35)
    }

    func testZipAndFolderGiveTheSameImages() throws {
        // A few drawings of the shipped zip, copied into a folder of the same layout.
        let listing = try OmniglotListing(sources: [Omniglot.defaultSources()[1]])
        let root = try temporaryDirectory(for: self)
        let picked = listing.characters.filter { $0.alphabet == "Tagalog" }.prefix(2)
        for character in picked {
            let folder = root.appendingPathComponent("top/\(character.alphabet)/\(character.name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for drawing in character.drawings.prefix(2) {
                try listing.pngData(of: drawing).write(to: folder.appendingPathComponent("\(drawing.name).png"))
            }
        }
        let fromFolder = try Omniglot(sources: [root])
        let fromZip = try Omniglot(listing: listing, alphabets: ["Tagalog"], drawingsPerCharacter: 2)
        XCTAssertEqual(fromFolder.characters, Array(fromZip.characters.prefix(2)))
        // Real drawings: values in [0, 1], some ink, blank corners.
        for character in fromZip.characters {
            XCTAssertTrue(character.pixels.allSatisfy { (0...1).contains($0) })
            XCTAssertGreaterThan(character.pixels.reduce(0, +), 10)
            XCTAssertEqual(character.pixels[0], 0)
        }
    }

    func testMatchesOpenCVInterArea() throws {
        // Greek/character01/0394_01.png, inverted and resized by OpenCV 4 (cv2.resize(1 − png/255, (28, 28),
        // interpolation=cv2.INTER_AREA)): row 14 and the sum of all 784 values. (PIL's Image.BOX differs by up
        // to 0.15 here: it weights whole pixels by where their centres fall.)
        let listing = try OmniglotListing(sources: [Omniglot.defaultSources()[0]])
        let greek = try Omniglot(listing: listing, alphabets: ["Greek"], drawingsPerCharacter: 1).characters[0]
        XCTAssertEqual(greek.drawingNames, ["0394_01"])
        let row14: [Float] = [0, 0, 0, 0, 0, 0, 0, 0, 0.466667, 0.866667, 0, 0, 0, 0.577778, 0.924445, 0.026667, 1, 0.351111,
                              0, 0.32, 0.96, 0.053333, 0, 0, 0, 0, 0, 0]
        for (x, expected) in row14.enumerated() { XCTAssertEqual(greek.pixels[14 * 28 + x], expected, accuracy: 1e-6) }
        XCTAssertEqual(greek.pixels.reduce(0, +), 58.453339, accuracy: 1e-4)
    }

    func testSubsetsOfTheShippedData() throws {
        let listing = try OmniglotListing(sources: Omniglot.defaultSources())
        let one = try Omniglot(listing: listing, alphabets: ["Greek", "Latin"], drawingsPerCharacter: 1)
        XCTAssertEqual(one.characters.count, 24 + 26)
        XCTAssertEqual(one.drawingCount, 50)
        XCTAssertEqual(thrownImageError { try Omniglot(listing: listing, alphabets: ["Klingon"]) },
                       .unknownAlphabet(name: "Klingon", available: listing.alphabets))
    }

    func testBadAndTruncatedPNGNameTheFile() throws {
        let root = try temporaryDirectory(for: self)
        try writeOmniglotFolder(at: root, characters: ["Alpha/character01": 2])
        let file = root.appendingPathComponent("Alpha/character01/0001_02.png")
        let good = try Data(contentsOf: file)
        // Truncated.
        try good.prefix(good.count / 2).write(to: file)
        guard case .badImage(let name, let detail)? = thrownImageError({ try Omniglot(sources: [root]) }) else {
            return XCTFail("expected badImage")
        }
        XCTAssertEqual(name, file.path)
        XCTAssertTrue(detail.contains("PNG"), detail)
        // Not a PNG at all.
        try Data("not an image".utf8).write(to: file)
        let error = thrownImageError { try Omniglot(sources: [root]) }
        XCTAssertTrue("\(error!)".hasPrefix("\(file.path): not a readable image"), "\(error!)")
    }

    func testCachedDecodesOnce() throws {
        let root = try temporaryDirectory(for: self)
        try writeOmniglotFolder(at: root, characters: ["Alpha/character01": 1])
        let first = try Omniglot.cached(sources: [root])
        // Changing the files afterwards does not change the cached value.
        try writeOmniglotFolder(at: root, characters: ["Alpha/character01": 1, "Beta/character01": 1])
        XCTAssertEqual(try Omniglot.cached(sources: [root]).characters, first.characters)
        XCTAssertEqual(try Omniglot(sources: [root]).characters.count, 2)
    }
}

import Datasets
import Foundation
import XCTest

final class OmniglotListingTests: XCTestCase {
    func testShippedSubsetCounts() throws {
        let listing = try OmniglotListing(sources: Omniglot.defaultSources())
        // Greek and Latin are in both zips: 136 + 156 − 24 − 26 = 242 characters, 20 drawings each.
        XCTAssertEqual(listing.characters.count, 242)
        XCTAssertEqual(listing.drawingCount, 4840)
        XCTAssertTrue(listing.characters.allSatisfy { $0.drawings.count == 20 })
        XCTAssertEqual(listing.alphabets, ["Balinese", "Early_Aramaic", "Greek", "Japanese_(katakana)", "Korean", "Latin",
                                           "Sanskrit", "Tagalog"])
        func characters(_ alphabets: [String]) -> Int { listing.characters.filter { alphabets.contains($0.alphabet) }.count }
        XCTAssertEqual(characters(Omniglot.protocolMetaTrainAlphabets), 199)
        XCTAssertEqual(characters(Omniglot.protocolMetaTestAlphabets), 43)
        // Greek and Latin come from the first zip.
        let greek = listing.characters.first { $0.alphabet == "Greek" }!
        XCTAssertEqual(greek.drawings.map(\.source), Array(repeating: 0, count: 20))
        XCTAssertTrue(listing.fileName(of: greek.drawings[0]).hasSuffix(
            "images_background_small1.zip: images_background_small1/Greek/character01/0394_01.png"), listing.fileName(of: greek.drawings[0]))
        // Sorted: alphabet, then character; drawings by name.
        let keys = listing.characters.map { "\($0.alphabet)/\($0.name)" }
        XCTAssertEqual(keys, keys.sorted())
        XCTAssertEqual(greek.drawings.map(\.name), greek.drawings.map(\.name).sorted())
    }

    func testOneZipAlone() throws {
        let listing = try OmniglotListing(sources: [Omniglot.defaultSources()[0]])
        XCTAssertEqual(listing.characters.count, 136)
        XCTAssertEqual(listing.alphabets, ["Balinese", "Early_Aramaic", "Greek", "Korean", "Latin"])
    }

    func testFolderInEitherForm() throws {
        let root = try temporaryDirectory(for: self)
        try writeOmniglotFolder(at: root.appendingPathComponent("images_background"),
                                characters: ["Alpha/character01": 2, "Alpha/character02": 3, "Beta/character01": 1])
        // The parent of <top>, and <top> itself.
        for url in [root, root.appendingPathComponent("images_background")] {
            let listing = try OmniglotListing(sources: [url])
            XCTAssertEqual(listing.characters.map { "\($0.alphabet)/\($0.name)" },
                           ["Alpha/character01", "Alpha/character02", "Beta/character01"])
            XCTAssertEqual(listing.drawingCount, 6)
        }
    }

    func testErrorsSayWhatWasExpected() throws {
        let root = try temporaryDirectory(for: self)
        // Missing: names the path it looked at.
        let missing = root.appendingPathComponent("nowhere.zip")
        let notFound = thrownImageError { try OmniglotListing(sources: [missing]) }
        XCTAssertEqual(notFound, .sourceNotFound(path: missing.path, expected: "an Omniglot zip archive or folder (<top>/<Alphabet>/characterNN/<id>_<drawer>.png)"))
        XCTAssertTrue("\(notFound!)".contains(missing.path))
        // A file that is not a zip archive.
        let text = root.appendingPathComponent("notes.zip")
        try Data("hello".utf8).write(to: text)
        guard case .unexpectedLayout(let path, _, let detail)? = thrownImageError({ try OmniglotListing(sources: [text]) }) else {
            return XCTFail("expected unexpectedLayout")
        }
        XCTAssertEqual(path, text.path)
        XCTAssertTrue(detail.contains("zip"), detail)
        // A zip of another layout: the one-shot runs.
        let runs = try Omniglot.defaultOneShotRuns()
        let wrong = thrownImageError { try OmniglotListing(sources: [runs]) }
        XCTAssertTrue("\(wrong!)".contains("<Alphabet>/characterNN/"), "\(wrong!)")
        // An empty folder.
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertEqual(thrownImageError { try OmniglotListing(sources: [empty]) },
                       .unexpectedLayout(path: empty.path, expected: "an Omniglot zip archive or folder (<top>/<Alphabet>/characterNN/<id>_<drawer>.png)",
                                         detail: "it holds no files"))
    }

    /// A zip member whose CRC-32 does not match is an error naming the member when read; one whose size lies
    /// makes the archive unreadable. The same archive, intact, is read.
    func testZipMembersAreCheckedWhenRead() throws {
        let root = try temporaryDirectory(for: self)
        let drawing = root.appendingPathComponent("d.png")
        try PNGImage(width: 105, height: 105, channels: 1, pixels: [UInt8](repeating: 255, count: 105 * 105)).write(to: drawing)
        let png = try [UInt8](Data(contentsOf: drawing))
        let url = root.appendingPathComponent("omniglot.zip"), path = "images/Alpha/character01/0001_01.png"
        try zipArchive([HandMadeZipEntry(name: path, data: png)]).write(to: url)
        XCTAssertEqual(try Omniglot(sources: [url], threads: 1).drawingCount, 1)

        try zipArchive([HandMadeZipEntry(name: path, data: png, crc32: crc32(png) ^ 0x8000_0000)]).write(to: url)
        let listing = try OmniglotListing(sources: [url])
        guard case .badImage(let file, let detail)? = thrownImageError({ try Omniglot(listing: listing, threads: 1) }) else {
            return XCTFail("a member with a bad CRC was read")
        }
        XCTAssertEqual(file, "\(url.path): \(path)")
        XCTAssertTrue(detail.hasPrefix("the zip entry cannot be read: the CRC-32 of the contents is 0x"), detail)

        try zipArchive([HandMadeZipEntry(name: path, data: png, compressedSize: 1 << 30)]).write(to: url)
        guard case .unexpectedLayout(_, _, let layout)? = thrownImageError({ try OmniglotListing(sources: [url]) }) else {
            return XCTFail("a member lying about its size was listed")
        }
        XCTAssertTrue(layout.hasPrefix("a damaged zip archive: \(path) declares 1073741824 bytes of data"), layout)
    }
}

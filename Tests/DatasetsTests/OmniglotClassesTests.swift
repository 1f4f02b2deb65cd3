import Datasets
import Foundation
import XCTest

final class OmniglotClassesTests: XCTestCase {
    func testProtocolSplitCounts() throws {
        // One drawing per character keeps the test fast; the class counts do not depend on it.
        let omniglot = try Omniglot(listing: OmniglotListing(sources: Omniglot.defaultSources()), drawingsPerCharacter: 1)
        XCTAssertEqual(omniglot.characters.count, 242)
        let split = try omniglot.protocolSplit()
        XCTAssertEqual(split.metaTrain.characters.count, 199)
        XCTAssertEqual(split.metaTest.characters.count, 43)
        XCTAssertEqual(split.metaTrain.classCount, 796)
        XCTAssertEqual(split.metaTest.classCount, 172)
        XCTAssertEqual(split.metaTrain.alphabets, ["Balinese", "Early_Aramaic", "Greek", "Japanese_(katakana)", "Korean", "Sanskrit"])
        XCTAssertEqual(split.metaTest.alphabets, ["Latin", "Tagalog"])
        // Disjoint classes.
        let train = Set((0..<split.metaTrain.classCount).map(split.metaTrain.className))
        let test = Set((0..<split.metaTest.classCount).map(split.metaTest.className))
        XCTAssertEqual(train.count, 796)
        XCTAssertEqual(test.count, 172)
        XCTAssertTrue(train.isDisjoint(with: test))
        XCTAssertEqual(split.metaTest.imageShape, [1, 28, 28])
        XCTAssertEqual(split.metaTest.className(5), "Latin/character02/rot90")
        // Without rotations: one class per character.
        XCTAssertEqual(try omniglot.protocolSplit(rotations: [0]).metaTrain.classCount, 199)
    }

    func testClassesAreQuarterTurnsOfTheDrawings() throws {
        let root = try temporaryDirectory(for: self)
        try writeOmniglotFolder(at: root, characters: ["Alpha/character01": 3, "Alpha/character02": 3])
        let omniglot = try Omniglot(sources: [root])
        let classes = try omniglot.classes(alphabets: ["Alpha"])
        XCTAssertEqual(classes.classCount, 8)
        XCTAssertEqual(classes.exampleCount(ofClass: 7), 3)
        let drawing = Array(omniglot.characters[1].pixels[784..<1568])
        XCTAssertEqual(try classes.image(ofClass: 4, example: 1), drawing)
        for k in 1...3 {
            let turned = try classes.image(ofClass: 4 + k, example: 1)
            XCTAssertEqual(turned, OmniglotClasses.rotate(drawing, side: 28, quarterTurns: k))
            XCTAssertNotEqual(turned, drawing)
        }
    }

    func testRotateIsNumPysRot90() {
        // np.rot90([[1, 2], [3, 4]]) == [[2, 4], [1, 3]]; k = 2: [[4, 3], [2, 1]]; k = 3: [[3, 1], [4, 2]].
        XCTAssertEqual(OmniglotClasses.rotate([1, 2, 3, 4], side: 2, quarterTurns: 1), [2, 4, 1, 3])
        XCTAssertEqual(OmniglotClasses.rotate([1, 2, 3, 4], side: 2, quarterTurns: 2), [4, 3, 2, 1])
        XCTAssertEqual(OmniglotClasses.rotate([1, 2, 3, 4], side: 2, quarterTurns: 3), [3, 1, 4, 2])
        XCTAssertEqual(OmniglotClasses.rotate([1, 2, 3, 4], side: 2, quarterTurns: 4), [1, 2, 3, 4])
    }
}

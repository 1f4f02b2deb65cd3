import Datasets
import Foundation
import XCTest

final class ImageDatasetErrorTests: XCTestCase {
    func testMessagesSayWhatWasExpected() {
        XCTAssertEqual("\(ImageDatasetError.sourceNotFound(path: "/data/omniglot.zip", expected: "an Omniglot zip archive or folder"))",
                       "/data/omniglot.zip: no such file or folder; expected an Omniglot zip archive or folder")
        XCTAssertEqual("\(ImageDatasetError.badImage(file: "a.zip: x/y.png", detail: "PNG truncated"))",
                       "a.zip: x/y.png: not a readable image: PNG truncated")
        XCTAssertEqual("\(ImageDatasetError.malformedListing(file: "train.csv", line: 3, expected: "'<filename>,<label>'", found: "x"))",
                       "train.csv, line 3: expected '<filename>,<label>', found 'x'")
        XCTAssertTrue("\(ImageDatasetError.builtInDataMissing(name: "Omniglot", lookedIn: ["/x/omniglot"]))".contains("looked in /x/omniglot"))
        XCTAssertEqual(ImageDatasetError.episodeTooLarge(detail: "d").localizedDescription, "cannot draw the episode: d")
        XCTAssertEqual("\(ImageDatasetError.tooFewImages(folder: "/data/birds/owl", found: 1, expected: "at least 16"))",
                       "/data/birds/owl: has only 1 image; expected at least 16")
        XCTAssertEqual("\(ImageDatasetError.tooFewClasses(source: "/data/birds (meta-test classes)", found: 3, expected: "at least 5"))",
                       "/data/birds (meta-test classes): has only 3 classes; expected at least 5")
        XCTAssertEqual("\(ImageDatasetError.invalidClassSplit(detail: "d"))", "cannot split the classes: d")
    }
}

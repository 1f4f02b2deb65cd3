import Datasets
import Foundation
import Tensors
import XCTest

final class OmniglotOneShotRunsTests: XCTestCase {
    func testTheTwentyOfficialRuns() throws {
        let runs = try OmniglotOneShotRuns.builtIn()
        XCTAssertEqual(runs.runs.count, 20)
        XCTAssertEqual(runs.names.first, "run01")
        XCTAssertEqual(runs.names.last, "run20")
        XCTAssertEqual(OmniglotOneShotRuns.humanAccuracy, 0.955)
        for run in runs.runs {
            XCTAssertEqual(run.supportImages.shape, [20, 1, 28, 28])
            XCTAssertEqual(run.queryImages.shape, [20, 1, 28, 28])
            XCTAssertEqual(run.supportLabels, Array(0..<20))
            // Each training class is the answer for exactly one test item.
            XCTAssertEqual(run.queryLabels.sorted(), Array(0..<20))
            XCTAssertTrue(run.queryImages.floats.allSatisfy { (0...1).contains($0) })
        }
        // run01/class_labels.txt begins "run01/test/item01.png run01/training/class08.png", then class09, class02.
        XCTAssertEqual(Array(runs.runs[0].queryLabels.prefix(3)), [7, 8, 1])
        // Preprocessed as the background set: the same function on the same bytes.
        XCTAssertGreaterThan(runs.runs[0].supportImages.floats.prefix(784).reduce(0, +), 10)
    }

    /// A run folder of `classes` training images and the given test items, as (item, class) numbers.
    func writeRun(at root: URL, classes: Int, items: [(Int, Int)], labels: String? = nil) throws {
        let run = root.appendingPathComponent("run01")
        for folder in ["training", "test"] {
            try FileManager.default.createDirectory(at: run.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        func picture(_ k: Int) -> PNGImage {
            var pixels = [UInt8](repeating: 255, count: 105 * 105)
            for x in 0..<(10 * (k + 1)) { pixels[50 * 105 + x] = 0 }
            return PNGImage(width: 105, height: 105, channels: 1, pixels: pixels)
        }
        for c in 1...classes {
            try picture(c).write(to: run.appendingPathComponent(String(format: "training/class%02d.png", c)))
        }
        for (item, c) in items {
            try picture(c).write(to: run.appendingPathComponent(String(format: "test/item%02d.png", item)))
        }
        let text = labels ?? items.map { String(format: "run01/test/item%02d.png run01/training/class%02d.png", $0.0, $0.1) }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: run.appendingPathComponent("class_labels.txt"))
    }

    func testAFolderOfRuns() throws {
        let root = try temporaryDirectory(for: self)
        try writeRun(at: root.appendingPathComponent("all_runs"), classes: 3, items: [(1, 3), (2, 1), (3, 2)])
        let runs = try OmniglotOneShotRuns(contentsOf: root)  // the parent of the runs' folder works too
        XCTAssertEqual(runs.runs.count, 1)
        let run = runs.runs[0]
        XCTAssertEqual(run.queryLabels, [2, 0, 1])
        // Query item 1 is a drawing of class 3: the same image.
        let support = run.supportImages.floats, query = run.queryImages.floats
        XCTAssertEqual(Array(query[..<784]), Array(support[(2 * 784)..<(3 * 784)]))
    }

    func testBadListingsAreErrors() throws {
        let root = try temporaryDirectory(for: self)
        try writeRun(at: root, classes: 2, items: [(1, 1)], labels: "run01/test/item01.png run01/training/class07.png\n")
        guard case .malformedListing(let file, let line, _, let found)? = thrownImageError({ try OmniglotOneShotRuns(contentsOf: root) }) else {
            return XCTFail("expected malformedListing")
        }
        XCTAssertEqual(file, root.appendingPathComponent("run01/class_labels.txt").path)
        XCTAssertEqual(line, 1)
        XCTAssertEqual(found, "run01/test/item01.png run01/training/class07.png")
        // The background set is not a set of runs.
        let wrong = thrownImageError { try OmniglotOneShotRuns(contentsOf: Omniglot.defaultSources()[0]) }
        XCTAssertTrue("\(wrong!)".contains("class_labels.txt"), "\(wrong!)")
    }
}

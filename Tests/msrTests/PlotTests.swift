import Foundation
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `msr plot REPORT.json` and the learning curve `msr train --report` writes beside its report.
final class PlotTests: CommandLineTestCase {
    /// The SVG at `url` parses as XML; returns its text.
    func wellFormedSVG(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let data = try Data(contentsOf: url)
        let parser = XMLParser(data: data)
        XCTAssertTrue(parser.parse(), "\(url.path) is not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return String(decoding: data, as: UTF8.self)
    }

    func testTrainWritesTheLearningCurveBesideItsReport() throws {
        let train = try msr(["train", "--tasks", "20", "--steps", "4", "--eval-interval", "2", "--meta-batch", "2", "--test-tasks", "3",
                             "--threads", "1", "--report", path("run.json")])
        XCTAssertEqual(train.status, 0, train.err)
        let svg = try wellFormedSVG(directory.appendingPathComponent("run-learning-curve.svg"))
        XCTAssertTrue(svg.contains("rank1 msr-fc: learning curve"), svg)
        XCTAssertTrue(svg.contains("held-out MSE, mean and 95% interval"))
        XCTAssertTrue(svg.contains("<polygon"), "the interval band is missing")
        XCTAssertTrue(svg.contains(">outer step</text>"))
        // One dot per evaluation on each panel: steps 1 (the first evaluation), 2 and 4.
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2 * 3)

        let plot = try msr(["plot", path("run.json"), "-o", path("curve.svg")])
        XCTAssertEqual(plot.status, 0, plot.err)
        XCTAssertTrue(plot.out.contains("3 evaluations"), plot.out)
        XCTAssertEqual(try wellFormedSVG(directory.appendingPathComponent("curve.svg")), svg)

        try Data("{\"hello\": 1}".utf8).write(to: directory.appendingPathComponent("other.json"))
        try assertFails(["plot", path("other.json")], mentioning: ["other.json", "is not a training report", "evaluations"])
        try assertFails(["plot", path("absent.json")], mentioning: ["absent.json", "cannot be read"])
    }
}

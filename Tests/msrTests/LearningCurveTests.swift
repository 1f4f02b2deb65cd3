@testable import msr
import XCTest

final class LearningCurveTests: XCTestCase {
    func report(metric: String = "mse", evaluations: [[String: Any]]) -> [String: Any] {
        ["kind": "regression", "metric": metric, "evaluations": evaluations, "test_\(metric)": 0.15, "test_\(metric)_ci95": 0.02, "test_episodes": 300,
         "config": ["not": "an experiment"]]
    }

    func testPointsBandsAndScales() throws {
        let curve = try LearningCurve(report: report(evaluations: [
            ["step": 1, "test_mse": 2.8, "test_mse_ci95": 0.25, "train_loss": 2.9],
            ["step": 100, "test_mse": 0.5, "test_mse_ci95": 0.05, "train_loss": 0.6],
            ["step": 200, "test_mse": 0.15, "test_mse_ci95": 0.02, "train_loss": "nan"]]), path: "r.json")
        XCTAssertEqual(curve.points.map(\.step), [1, 100, 200])
        XCTAssertTrue(curve.points[2].trainLoss.isNaN)
        XCTAssertEqual(curve.title, "r.json")   // a config that is no experiment: the file's name
        let chart = curve.chart
        XCTAssertEqual(chart.panels.count, 2)
        XCTAssertTrue(chart.panels[0].logarithmicY)            // 2.8 / 0.15 > 10
        XCTAssertFalse(chart.panels[1].logarithmicY)           // 2.9 / 0.6 < 10
        for (band, high) in zip(chart.panels[0].series[0].band, [3.05, 0.55, 0.17]) { XCTAssertEqual(band.high, high, accuracy: 1e-12) }
        XCTAssertTrue(chart.notes.contains("Final held-out MSE: 0.1500 ± 0.0200 (95% interval) on 300 tasks."), "\(chart.notes)")
        let svg = chart.svg().rendered
        XCTAssertTrue(svg.contains("MSE (log scale)"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 3 + 2)   // the NaN training loss is no dot
    }

    /// Accuracy is drawn in percent, with the meta-training batch's accuracy beside the held-out one.
    func testAccuracyInPercent() throws {
        let curve = try LearningCurve(report: report(metric: "accuracy", evaluations: [
            ["step": 10, "test_accuracy": 0.5, "test_accuracy_ci95": 0.01, "train_loss": 1.2, "train_accuracy": 0.45]]), path: "r.json")
        let first = curve.chart.panels[0]
        XCTAssertEqual(first.series.map(\.points.first!.y), [50, 45])
        XCTAssertEqual(first.yLabel, "accuracy (%)")
        XCTAssertFalse(first.logarithmicY)
    }

    func testDefaultPathAndUnknownKind() {
        XCTAssertNil(LearningCurve.title(kind: "unknown-kind", config: ["problem": "rank1"]))
        XCTAssertNil(LearningCurve.title(kind: "regression", config: ["problem": "rank1"]))   // not a whole experiment
        XCTAssertEqual(LearningCurve.defaultPath(forReport: "/a/run.json"), "/a/run-learning-curve.svg")
        XCTAssertEqual(LearningCurve.defaultPath(forReport: "/a/run"), "/a/run-learning-curve.svg")
    }

    func testNotAReport() {
        XCTAssertThrowsError(try LearningCurve(report: ["metric": "mse"], path: "x.json")) {
            XCTAssertTrue("\($0)".contains("x.json is not a training report"), "\($0)")
        }
        XCTAssertThrowsError(try LearningCurve(report: report(evaluations: [["step": 1]]), path: "x.json")) {
            XCTAssertTrue("\($0)".contains("evaluation 1 lacks"), "\($0)")
        }
    }
}

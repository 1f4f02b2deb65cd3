import Datasets
import Foundation
import MetaLearning

/// The learning curve of a run, read from its JSON report (`TrainingReport`): per evaluation, the held-out
/// metric with its 95% interval as a band, and the meta-training loss (the meta-batch's mean query loss
/// after adaptation) with any training metric. Two panels of a `LineChart`, over outer steps; MSE and loss on
/// a log scale when they span more than a factor of 10, accuracy in percent.
struct LearningCurve {
    struct Point {
        var step: Double
        var test: Double
        var halfWidth: Double
        var trainLoss: Double
        var trainMetric: Double?
    }

    var title: String
    var metric: String
    var points: [Point]
    /// The final held-out figure and its episode count, when the report has it.
    var final: (mean: Double, halfWidth: Double, count: Int)?

    /// Reads the report at `url`; throws `LearningCurveError` when it is not a training report.
    init(reportAt url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw LearningCurveError(path: url.path, reason: "cannot be read (\(error.localizedDescription))") }
        guard let report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw LearningCurveError(path: url.path, reason: "is not a JSON object")
        }
        try self.init(report: report, path: url.path)
    }

    init(report: [String: Any], path: String) throws {
        func number(_ value: Any?) -> Double? {
            if let n = value as? NSNumber { return n.doubleValue }
            if let s = value as? String { return ["nan": .nan, "inf": .infinity, "-inf": -.infinity][s] }
            return nil
        }
        guard let metric = report["metric"] as? String, let evaluations = report["evaluations"] as? [[String: Any]] else {
            throw LearningCurveError(path: path, reason: "is not a training report: expected \"metric\" and a list \"evaluations\" (msr train --report)")
        }
        self.metric = metric
        points = try evaluations.enumerated().map { i, e in
            guard let step = number(e["step"]), let test = number(e["test_\(metric)"]) else {
                throw LearningCurveError(path: path, reason: "evaluation \(i + 1) lacks \"step\" or \"test_\(metric)\"")
            }
            return Point(step: step, test: test, halfWidth: number(e["test_\(metric)_ci95"]) ?? .nan,
                         trainLoss: number(e["train_loss"]) ?? .nan, trainMetric: number(e["train_\(metric)"]))
        }
        if let mean = number(report["test_\(metric)"]) {
            final = (mean, number(report["test_\(metric)_ci95"]) ?? .nan, (report["test_episodes"] as? Int) ?? 0)
        }
        title = Self.title(kind: report["kind"] as? String, config: report["config"]) ?? URL(fileURLWithPath: path).lastPathComponent
    }

    /// The experiment's own title (`rank1 msr-fc`, `Aug-Omniglot 5-way 1-shot msr`), decoded from the report's config.
    static func title(kind: String?, config: Any?) -> String? {
        guard let config, JSONSerialization.isValidJSONObject(config), let data = try? JSONSerialization.data(withJSONObject: config) else { return nil }
        switch kind.flatMap(ExperimentKind.init(rawValue:)) {
        case .fewShot: return (try? JSONDecoder().decode(FewShotExperiment.self, from: data))?.title
        case .regression: return (try? JSONDecoder().decode(RegressionExperiment.self, from: data))?.title
        case nil: return nil
        }
    }

    var chart: LineChart {
        let accuracy = metric == "accuracy", scale = accuracy ? 100.0 : 1
        let metricName = accuracy ? "accuracy (%)" : metric == "mse" ? "MSE" : metric
        let blue = "#1f5fbf", orange = "#d9661f"
        var test = LineChart.Series(label: "held-out \(metricName), mean and 95% interval", colour: blue,
                                    points: points.map { ($0.step, $0.test * scale) })
        test.band = points.filter { $0.halfWidth.isFinite }.map { ($0.step, ($0.test - $0.halfWidth) * scale, ($0.test + $0.halfWidth) * scale) }
        var first = [test]
        if points.contains(where: { $0.trainMetric?.isFinite ?? false }) {
            first.append(.init(label: "meta-training batch \(metricName)", colour: orange, dashed: true,
                               points: points.compactMap { p in p.trainMetric.map { (p.step, $0 * scale) } }))
        }
        let train = LineChart.Series(label: "meta-training loss (query loss after adaptation)", colour: orange,
                                     points: points.map { ($0.step, $0.trainLoss) })
        func spansDecade(_ values: [Double]) -> Bool {
            let v = values.filter { $0.isFinite && $0 > 0 }
            guard let lo = v.min(), let hi = v.max() else { return false }
            return hi / lo > 10 && values.allSatisfy { !$0.isFinite || $0 > 0 }
        }
        var notes = ["\(points.count) evaluation\(points.count == 1 ? "" : "s") during meta-training; the band is the 95% Student-t interval of the held-out mean."]
        if let final {
            let text = accuracy ? String(format: "%.1f ± %.1f%%", final.mean * 100, final.halfWidth * 100)
                                : String(format: "%.4f ± %.4f", final.mean, final.halfWidth)
            notes.append("Final held-out \(metricName): \(text) (95% interval) on \(final.count) \(accuracy ? "episodes" : "tasks").")
        }
        return LineChart(title: "\(title): learning curve", notes: notes, panels: [
            .init(title: "held-out \(metricName)", xLabel: "outer step", yLabel: metricName, series: first,
                  logarithmicY: !accuracy && spansDecade(points.map(\.test))),
            .init(title: "meta-training loss", xLabel: "outer step", yLabel: "loss", series: [train],
                  logarithmicY: spansDecade(points.map(\.trainLoss))),
        ])
    }

    /// Where the picture of the report at `reportPath` goes by default: beside it, `NAME-learning-curve.svg`.
    static func defaultPath(forReport reportPath: String) -> String {
        let url = URL(fileURLWithPath: reportPath)
        let base = url.pathExtension.lowercased() == "json" ? url.deletingPathExtension() : url
        return base.path + "-learning-curve.svg"
    }

    /// Writes the learning curve of the report at `reportPath` beside it; returns the picture's path.
    @discardableResult
    static func write(besideReport reportPath: String) throws -> String {
        let output = defaultPath(forReport: reportPath)
        try LearningCurve(reportAt: URL(fileURLWithPath: reportPath)).chart.write(to: URL(fileURLWithPath: output))
        return output
    }
}

/// A file that is not a training report.
struct LearningCurveError: Error, CustomStringConvertible, LocalizedError {
    var path: String
    var reason: String
    var description: String { "\(path) \(reason)" }
    var errorDescription: String? { description }
}

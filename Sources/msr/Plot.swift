import ArgumentParser
import Foundation

extension MSR {
    /// `msr plot`: the learning curve of a run, from its report.
    struct Plot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a run's learning curve from its JSON report (msr train --report), as an SVG figure.",
            discussion: """
            Two panels over outer steps: the held-out metric of every evaluation with its 95% interval as a band,
            and the meta-training loss. `msr train --report R.json` writes the same picture beside the report
            (R-learning-curve.svg).
            """)

        @Argument(help: "A report written by `msr train --report`.")
        var report: String

        @Option(name: .shortAndLong, help: "The SVG file to write (default: beside the report, NAME-learning-curve.svg).")
        var output: String?

        func run() throws {
            let path = output ?? LearningCurve.defaultPath(forReport: report)
            let curve = try LearningCurve(reportAt: URL(fileURLWithPath: report))
            try curve.chart.write(to: URL(fileURLWithPath: path))
            print("\(curve.title): \(curve.points.count) evaluations → \(path)")
        }
    }
}

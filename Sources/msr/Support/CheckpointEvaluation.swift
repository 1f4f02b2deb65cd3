import Foundation
import MetaLearning
import NeuralNets

/// A checkpoint's held-out figure, as `msr eval` prints it (in words, or with `--json` as this value's JSON)
/// and `msr snap` compares it: the run's title and step, the metric (`mse` or `accuracy`) with its mean, 95%
/// interval half-width and episode count, and the kind's figure lines (symmetry defects, one-shot runs).
struct CheckpointEvaluation: Encodable {
    var title: String
    var step: Int
    var metric: String
    var mean: Double
    var halfWidth95: Double
    var episodes: Int
    var figures: [String]
    /// The line `msr eval` prints: `rank1 msr-fc after 1000 steps: test mse 0.1514 ± 0.0239 on 300 held-out tasks`.
    var resultLine: String

    /// Evaluates `metaParameters` (default: the checkpoint's) with the run's trainer on `testEpisodes` held-out
    /// tasks or episodes (default: the run's own count), with the kind's figures when `figures` is set.
    init<E: PresentedExperiment>(_ saved: Checkpoint<E>, metaParameters: Parameters? = nil, testEpisodes: Int?, threads: Int,
                                 communicator: any GradientCommunicator, figures: Bool = true) throws {
        var experiment = saved.experiment
        if let testEpisodes { experiment.testEpisodes = testEpisodes }
        let trainer = try experiment.trainer(threads: threads, communicator: communicator)
        let p = try metaParameters ?? saved.state(for: trainer).metaParameters
        let result = try trainer.evaluate(p, stage: .final)
        title = experiment.title
        step = saved.state.step
        metric = trainer.problem.evaluationMetricName
        (mean, halfWidth95, episodes) = (result.mean, result.halfWidth95, result.count)
        self.figures = figures ? experiment.figureLines(try experiment.finalFigures(trainer, p)) : []
        resultLine = "\(experiment.title) after \(saved.state.step) steps: " + experiment.resultLine(result)
    }

    /// The figure as `formatMetric` writes it: `0.1514 ± 0.0239` or `87.3 ± 0.5%`.
    var formatted: String { formatMetric(interval, metric) }

    var interval: MeanWithInterval {
        var m = MeanWithInterval([])
        (m.mean, m.halfWidth95, m.count) = (mean, halfWidth95, episodes)
        return m
    }

    /// Pretty-printed JSON with sorted keys (non-finite numbers as strings).
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }
}

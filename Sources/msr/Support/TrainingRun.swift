import ArgumentParser
import Foundation
import MetaLearning
import NeuralNets

/// What the command line says about a run of one kind of experiment: its header, its evaluation lines, and the
/// figures it adds after training (symmetry measures, the one-shot runs). Everything else — progress,
/// checkpoints, Ctrl-C, the final evaluation, the report — is `runTraining`'s, the same for every kind.
protocol PresentedExperiment: Experiment {
    /// The line printed before training.
    func header(_ trainer: Trainer<Problem>, threads: Int) -> String
    /// The line printed after each periodic evaluation; `stepsPerSecond` counts this call's steps.
    func evaluationLine(_ evaluation: Evaluation, stepsPerSecond: Double) -> String
    /// Figures measured after training on the final meta-parameters.
    func finalFigures(_ trainer: Trainer<Problem>, _ metaParameters: Parameters) throws -> FinalFigures
    /// The final held-out figure in words: `test mse … on 300 held-out tasks`, `meta-test accuracy … on 600 episodes`.
    func resultLine(_ result: MeanWithInterval) -> String
    /// The speed at the end of a run: steps/s for regression, meta-training tasks/s for few-shot.
    func speedLine(_ history: TrainingHistory) -> String
    /// The final figures in words, one line each.
    func figureLines(_ figures: FinalFigures) -> [String]
}

/// Figures a kind of run adds to its report after training.
struct FinalFigures {
    /// Regression: equivariance defects of the learned weights (`SymmetryInspection`).
    var symmetry: SymmetryInspection?
    /// Few-shot Omniglot: Lake et al.'s 20 one-shot runs.
    var oneShotRuns: OneShotRunsResult?
}

/// What a run measured.
struct TrainingOutcome {
    /// The final held-out figure (nil when the run was interrupted before any evaluation).
    var final: MeanWithInterval?
    var history: TrainingHistory
    var figures: FinalFigures
}

/// Trains (or continues) any experiment with progress output, periodic checkpoints, the final evaluation and a
/// report. With several ranks, rank 0 alone prints, checkpoints and reports. Ctrl-C stops after the current
/// step, saves the checkpoint and the report (with the evaluations so far), and exits with status 130.
@discardableResult
func runTraining<E: PresentedExperiment>(_ experiment: E, state initial: MetaTrainingState?, threads: Int,
                                         report: String?, checkpoint: String?, quiet: Bool = false,
                                         communicator: any GradientCommunicator = SingleProcess(),
                                         initFrom: String? = nil) throws -> TrainingOutcome {
    let trainer = try experiment.trainer(threads: threads, communicator: communicator)
    let (quiet, report, checkpoint) = communicator.isLead ? (quiet, report, checkpoint) : (true, nil, nil)
    if !quiet && communicator.size > 1 { print("data-parallel over \(communicator.summary): rank r computes tasks r, r + P, … of each meta-batch") }
    var state = try initial ?? experiment.initialState(trainer)
    if initial == nil, let initFrom { try InitialParametersFile(initFrom).apply(to: &state, trainer: trainer, quiet: quiet) }   // --init-from
    if let checkpointPath = checkpoint, initial == nil,
       FileManager.default.fileExists(atPath: Checkpoint<E>.file(in: URL(fileURLWithPath: checkpointPath)).path) {
        // Never overwrite another run's checkpoint by accident.
        throw ValidationError("\(checkpointPath) already holds a checkpoint; pass --resume to continue it or choose another directory.")
    }
    let resumedFrom = initial?.step
    if !quiet { print(experiment.header(trainer, threads: threads)) }
    let progress = ProgressDisplay(total: trainer.schedule.steps, startStep: state.step)
    Interruption.install()
    func save(_ s: MetaTrainingState) throws {
        if let checkpoint { try Checkpoint(experiment: experiment, state: s).write(to: URL(fileURLWithPath: checkpoint)) }
    }
    var saveError: Error?
    var history = try trainer.train(&state, onStep: { s, metrics in
        if !quiet { progress.step(s.step, loss: metrics[0]) }
    }, onEvaluation: { s, e in
        if !quiet {
            progress.message(experiment.evaluationLine(e, stepsPerSecond: Double(e.step - (resumedFrom ?? 0)) / max(e.elapsedSeconds, 1e-9)))
        }
        do { try save(s) } catch { saveError = error }
    }, shouldStop: { Interruption.requested || saveError != nil })
    if let saveError { throw saveError }
    progress.clear()
    try save(state)
    var final: MeanWithInterval?
    var figures = FinalFigures()
    let schedule = trainer.schedule
    if history.interrupted {
        final = history.evaluations.last?.test
        if !quiet { print("interrupted at step \(state.step)" + (checkpoint.map { "; saved to \($0) (continue with --resume)" } ?? "")) }
    } else {
        // The last periodic evaluation stands in for the final one when it drew the same episodes: the same
        // count, and no validation tasks (few-shot validation classes) in place of the meta-test ones.
        let periodicIsFinal = schedule.finalEvaluationEpisodes == schedule.evaluationEpisodes && !trainer.problem.hasValidationTasks
        if let last = history.evaluations.last, last.step == state.step, periodicIsFinal {
            final = last.test
            figures = try experiment.finalFigures(trainer, state.metaParameters)
        } else {
            // A separate final evaluation (few-shot: 600 episodes; or a run resumed at its last step) counts as
            // evaluation time, with the figures measured after it.
            let t0 = Date()
            let result = try trainer.evaluate(state.metaParameters, stage: .final)
            final = result
            if periodicIsFinal {
                history.evaluations.append(Evaluation(step: state.step, test: result, trainLoss: .nan, elapsedSeconds: history.wallSeconds))
            }
            figures = try experiment.finalFigures(trainer, state.metaParameters)
            history.evaluationSeconds += Date().timeIntervalSince(t0)
            history.wallSeconds += Date().timeIntervalSince(t0)
        }
    }
    let outcome = TrainingOutcome(final: final, history: history, figures: figures)
    if let report {
        try TrainingReport(experiment: experiment, metric: trainer.problem.evaluationMetricName,
                           trainingMetrics: trainer.problem.trainingMetricNames, outcome: outcome).write(
            to: report, run: RunFacts(history, stepsCompleted: state.step, resumedFrom: resumedFrom, threads: threads, ranks: communicator.size))
        try LearningCurve.write(besideReport: report)   // the learning-curve picture, REPORT-learning-curve.svg
    }
    if !quiet && !history.interrupted {
        print(experiment.resultLine(final!) + " after \(state.step) steps; " + experiment.speedLine(history)
              + ", \(String(format: "%.1f", history.wallSeconds)) s, peak memory \(String(format: "%.0f", peakResidentMiB())) MiB")
        experiment.figureLines(figures).forEach { print($0) }
    }
    if history.interrupted { throw ExitCode(130) }
    return outcome
}

/// A held-out figure as the command line prints it: `0.1514 ± 0.0239` for a loss, `87.3 ± 0.5%` for an accuracy.
func formatMetric(_ m: MeanWithInterval, _ name: String) -> String {
    name == "accuracy" ? formatAccuracy(m) : formatLoss(m)
}

/// `msr eval` for any kind of checkpoint: the final evaluation (with `testEpisodes` held-out tasks or episodes)
/// and the kind's figures, printed.
func evaluateCheckpoint<E: PresentedExperiment>(_ saved: Checkpoint<E>, testEpisodes: Int?, threads: Int,
                                                communicator: any GradientCommunicator) throws {
    var experiment = saved.experiment
    if let testEpisodes { experiment.testEpisodes = testEpisodes }
    let trainer = try experiment.trainer(threads: threads, communicator: communicator)
    let p = saved.state.metaParameters
    let result = try trainer.evaluate(p, stage: .final)
    let lines = experiment.figureLines(try experiment.finalFigures(trainer, p))
    guard communicator.isLead else { return }
    print("\(experiment.title) after \(saved.state.step) steps: " + experiment.resultLine(result))
    lines.forEach { print($0) }
}

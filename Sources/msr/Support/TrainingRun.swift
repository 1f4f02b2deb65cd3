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
    /// This call's steps, times and evaluations.
    var history: TrainingHistory
    /// Every evaluation of the run, those before a resume included (the learning curve of the report).
    var evaluations: [Evaluation]
    var figures: FinalFigures
    /// `running` (written at the start and after each evaluation), `finished`, `interrupted` or `diverged`.
    var status: String
}

/// Trains (or continues) any experiment with progress output, periodic checkpoints, the final evaluation and a
/// report. With several ranks, rank 0 alone prints, checkpoints and reports.
///
/// Nothing is lost at the edges of a run: the configuration is validated (`Experiment.validate`, as for a
/// checkpoint's) and a resumed state checked against the model before anything runs; the checkpoint (the
/// initial state of a new run) and the report are written at the start, so an unwritable destination fails at
/// once; both are rewritten after every evaluation, the report holding the whole curve (a resumed run's
/// included). Ctrl-C — during a step or the final evaluation — saves both and exits with status 130. A run that
/// diverges (`TrainingError.diverged`) leaves the last checkpoint as it was, writes the report with status
/// `diverged` and fails.
@discardableResult
func runTraining<E: PresentedExperiment>(_ experiment: E, resuming saved: Checkpoint<E>? = nil, threads: Int,
                                         report: String?, checkpoint: String?, quiet: Bool = false,
                                         communicator: any GradientCommunicator = SingleProcess(),
                                         initFrom: String? = nil) throws -> TrainingOutcome {
    try experiment.validate()
    if communicator.isLead, let checkpointPath = checkpoint, saved == nil,
       FileManager.default.fileExists(atPath: Checkpoint<E>.file(in: URL(fileURLWithPath: checkpointPath)).path) {
        // Never overwrite another run's checkpoint by accident. The lead rank alone asks (and alone writes): another
        // rank starting later could otherwise find the initial checkpoint the lead has just written for this run.
        throw ValidationError("\(checkpointPath) already holds a checkpoint; pass --resume to continue it or choose another directory.")
    }
    let trainer = try experiment.trainer(threads: threads, communicator: communicator)
    let (quiet, report, checkpoint) = communicator.isLead ? (quiet, report, checkpoint) : (true, nil, nil)
    if !quiet && communicator.size > 1 { print("data-parallel over \(communicator.summary): rank r computes tasks r, r + P, … of each meta-batch") }
    var state = try saved.map { try $0.state(for: trainer) } ?? experiment.initialState(trainer)
    if saved == nil, let initFrom { try InitialParametersFile(initFrom).apply(to: &state, trainer: trainer, quiet: quiet) }   // --init-from
    let resumedFrom = saved?.state.step
    func save(_ s: MetaTrainingState) throws {
        guard let checkpoint else { return }
        try Checkpoint(experiment: experiment, state: s).write(to: URL(fileURLWithPath: checkpoint))
    }
    func write(_ outcome: TrainingOutcome, stepsCompleted: Int, error: Error? = nil) throws {
        guard let report else { return }
        try TrainingReport(experiment: experiment, metric: trainer.problem.evaluationMetricName,
                           trainingMetrics: trainer.problem.trainingMetricNames, outcome: outcome).write(
            to: report, run: RunFacts(outcome.history, stepsCompleted: stepsCompleted, resumedFrom: resumedFrom, threads: threads,
                                      ranks: communicator.size, status: outcome.status, error: error.map { "\($0)" }))
        // The learning-curve picture, REPORT-learning-curve.svg, once there is a curve.
        if !outcome.evaluations.isEmpty { _ = try LearningCurve.write(besideReport: report) }
    }
    // Both destinations are tried before the first step.
    if saved == nil { try save(state) }
    try write(TrainingOutcome(final: nil, history: TrainingHistory(), evaluations: state.evaluations, figures: FinalFigures(),
                              status: "running"), stepsCompleted: state.step)
    if !quiet { print(experiment.header(trainer, threads: threads)) }
    let progress = ProgressDisplay(total: trainer.schedule.steps, startStep: state.step)
    Interruption.install()
    var saveError: Error?
    var history: TrainingHistory
    do {
        history = try trainer.train(&state, onStep: { s, metrics in
            if !quiet { progress.step(s.step, loss: metrics[0]) }
        }, onEvaluation: { s, h in
            let e = h.evaluations.last!
            if !quiet {
                progress.message(experiment.evaluationLine(e, stepsPerSecond: Double(e.step - (resumedFrom ?? 0)) / max(e.elapsedSeconds, 1e-9)))
            }
            do {
                try save(s)
                try write(TrainingOutcome(final: nil, history: h, evaluations: s.evaluations, figures: FinalFigures(), status: "running"),
                          stepsCompleted: s.step)
            } catch { saveError = error }
        }, shouldStop: { Interruption.requested || saveError != nil })
    } catch let error as TrainingError {
        // The checkpoint holds the last evaluation's state (or the start's); the report its curve and the error.
        progress.clear()
        var h = TrainingHistory()
        h.stepsRun = state.step - (resumedFrom ?? 0)
        try write(TrainingOutcome(final: nil, history: h, evaluations: state.evaluations, figures: FinalFigures(), status: "diverged"),
                  stepsCompleted: state.step, error: error)
        throw error
    }
    if let saveError { throw saveError }
    progress.clear()
    try save(state)
    var final: MeanWithInterval?
    var figures = FinalFigures()
    let schedule = trainer.schedule
    if !history.interrupted {
        // The last periodic evaluation stands in for the final one when it drew the same episodes: the same
        // count, and no validation tasks (few-shot validation classes) in place of the meta-test ones.
        let periodicIsFinal = schedule.finalEvaluationEpisodes == schedule.evaluationEpisodes && !trainer.problem.hasValidationTasks
        if let last = history.evaluations.last, last.step == state.step, periodicIsFinal {
            final = last.test
            figures = try experiment.finalFigures(trainer, state.metaParameters)
        } else {
            // A separate final evaluation (few-shot: 600 episodes; or a run resumed at its last step) counts as
            // evaluation time, with the figures measured after it. Ctrl-C here stops it like a step.
            let t0 = Date()
            do {
                let result = try trainer.evaluate(state.metaParameters, stage: .final, shouldStop: { Interruption.requested })
                final = result
                if periodicIsFinal {
                    let e = Evaluation(step: state.step, test: result, trainLoss: .nan, elapsedSeconds: history.wallSeconds)
                    history.evaluations.append(e)
                    state.evaluations.append(e)
                    try save(state)
                }
                figures = try experiment.finalFigures(trainer, state.metaParameters)
            } catch TrainingError.evaluationInterrupted {
                history.interrupted = true
            }
            history.evaluationSeconds += Date().timeIntervalSince(t0)
            history.wallSeconds += Date().timeIntervalSince(t0)
        }
    }
    if history.interrupted {
        final = history.evaluations.last?.test
        if !quiet { print("interrupted at step \(state.step)" + (checkpoint.map { "; saved to \($0) (continue with --resume)" } ?? "")) }
    }
    let outcome = TrainingOutcome(final: final, history: history, evaluations: state.evaluations, figures: figures,
                                  status: history.interrupted ? "interrupted" : "finished")
    try write(outcome, stepsCompleted: state.step)
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
/// and the kind's figures (`CheckpointEvaluation`), printed in words or, with `json`, as JSON.
func evaluateCheckpoint<E: PresentedExperiment>(_ saved: Checkpoint<E>, testEpisodes: Int?, threads: Int,
                                                communicator: any GradientCommunicator, json: Bool = false) throws {
    let evaluation = try CheckpointEvaluation(saved, testEpisodes: testEpisodes, threads: threads, communicator: communicator)
    guard communicator.isLead else { return }
    if json { print(String(decoding: try CheckpointEvaluation.json(evaluation), as: UTF8.self)); return }
    print(evaluation.resultLine)
    evaluation.figures.forEach { print($0) }
}

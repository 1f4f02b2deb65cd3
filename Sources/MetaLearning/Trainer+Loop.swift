import Foundation
import NeuralNets
import Tensors

extension Trainer {
    /// Meta-trains from `state` until `schedule.steps` outer steps are done, evaluating on
    /// `schedule.evaluationEpisodes` held-out episodes on the schedule of `TrainingSchedule.evaluatesAfter`.
    ///
    /// - Parameters:
    ///   - onStep: called after every step with the state and the meta-batch's mean loss and metrics.
    ///   - onEvaluation: called after every evaluation with the state and this call's history so far (its last
    ///     evaluation the new one, `wallSeconds` up to now): write reports and checkpoints here.
    ///   - shouldStop: polled before every step; returning true ends the loop (e.g. on SIGINT). With several
    ///     ranks the answer rides on the step's all-reduce, and every rank stops after that step.
    public func train(_ state: inout MetaTrainingState,
                      onStep: (MetaTrainingState, [Double]) -> Void = { _, _ in },
                      onEvaluation: (MetaTrainingState, TrainingHistory) -> Void = { _, _ in },
                      shouldStop: () -> Bool = { false }) throws -> TrainingHistory {
        var history = TrainingHistory()
        let start = Date()
        let metricCount = 1 + problem.trainingMetricNames.count
        var sums = [Double](repeating: 0, count: metricCount), count = 0
        let distributed = communicator.size > 1
        while state.step < schedule.steps {
            // One process stops before the step; several agree through the step's own all-reduce and stop
            // after it, all at the same step.
            let stopHere = shouldStop()
            if stopHere && !distributed { history.interrupted = true; break }
            let (metrics, stopAll) = try step(&state, stopRequested: stopHere)
            DeadRankTestHook.afterStep(state.step, rank: communicator.rank)
            history.stepsRun += 1
            history.tasksRun += schedule.metaBatchSize
            for m in 0..<metricCount { sums[m] += metrics[m] }
            count += 1
            onStep(state, metrics)
            if schedule.evaluatesAfter(state.step) {
                let t0 = Date()
                let result = try evaluate(state.metaParameters)
                // Finite parameters whose adapted models give a non-finite held-out figure have diverged too; the
                // evaluation is not reported and the previous checkpoint stays.
                guard result.mean.isFinite else {
                    throw TrainingError.diverged(step: state.step, what: "the held-out \(problem.evaluationMetricName) after it is \(result.mean)")
                }
                history.evaluationSeconds += Date().timeIntervalSince(t0)
                let means = sums.map { $0 / Double(max(count, 1)) }
                let e = Evaluation(step: state.step, test: result, trainLoss: means[0], trainMetrics: Array(means.dropFirst()),
                                   elapsedSeconds: Date().timeIntervalSince(start))
                sums = sums.map { _ in 0 }; count = 0
                history.evaluations.append(e)
                state.evaluations.append(e)
                history.wallSeconds = Date().timeIntervalSince(start)
                onEvaluation(state, history)
            }
            if stopAll { history.interrupted = true; break }
        }
        history.wallSeconds = Date().timeIntervalSince(start)
        return history
    }
}

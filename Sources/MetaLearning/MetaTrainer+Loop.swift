import Foundation
import NeuralNets
import Tensors

/// One held-out evaluation during meta-training.
public struct Evaluation: Codable, Sendable, Equatable {
    /// Outer steps completed when it was taken.
    public var step: Int
    public var testLoss: MeanWithInterval
    /// Mean query loss of the meta-batches since the previous evaluation.
    public var trainLoss: Double
    /// Seconds since the run (or the resumed part of it) started.
    public var elapsedSeconds: Double

    public init(step: Int, testLoss: MeanWithInterval, trainLoss: Double, elapsedSeconds: Double) {
        self.step = step
        self.testLoss = testLoss
        self.trainLoss = trainLoss
        self.elapsedSeconds = elapsedSeconds
    }
}

/// What a meta-training loop did.
public struct TrainingHistory: Sendable {
    public var evaluations: [Evaluation] = []
    /// Outer steps run by this call (not counting steps done before a resume).
    public var stepsRun = 0
    /// Wall time of this call, evaluations included, and the part spent in evaluations.
    public var wallSeconds = 0.0
    public var evaluationSeconds = 0.0
    /// True when `shouldStop` ended the loop early.
    public var interrupted = false

    /// Outer steps per second, evaluations included (as the reference code reports it).
    public var stepsPerSecond: Double { wallSeconds > 0 ? Double(stepsRun) / wallSeconds : 0 }
    /// Outer steps per second of the training steps alone.
    public var trainingStepsPerSecond: Double {
        wallSeconds - evaluationSeconds > 0 ? Double(stepsRun) / (wallSeconds - evaluationSeconds) : 0
    }
}

extension MetaTrainer {
    /// Whether the reference schedule evaluates after `completed` steps: after the first step, every
    /// `evaluationInterval` steps, and after the last.
    public func evaluatesAfter(_ completed: Int) -> Bool {
        completed == 1 || completed == configuration.steps
            || (configuration.evaluationInterval > 0 && completed % configuration.evaluationInterval == 0)
    }

    /// Meta-trains from `state` until `configuration.steps` outer steps are done, evaluating on the
    /// schedule of `evaluatesAfter`.
    ///
    /// - Parameters:
    ///   - onStep: called after every step with the state and the meta-batch's mean query loss.
    ///   - onEvaluation: called after every evaluation (write reports and checkpoints here).
    ///   - shouldStop: polled before every step; returning true ends the loop (e.g. on SIGINT). With several
    ///     ranks the answer rides on the step's all-reduce, and every rank stops after that step.
    public func train(_ state: inout MetaTrainingState,
                      onStep: (MetaTrainingState, Double) -> Void = { _, _ in },
                      onEvaluation: (MetaTrainingState, Evaluation) -> Void = { _, _ in },
                      shouldStop: () -> Bool = { false }) -> TrainingHistory {
        var history = TrainingHistory()
        let start = Date()
        var lossSum = 0.0, lossCount = 0
        let distributed = communicator.size > 1
        while state.step < configuration.steps {
            // One process stops before the step; several agree through the step's own all-reduce and stop
            // after it, all at the same step.
            let stopHere = shouldStop()
            if stopHere && !distributed { history.interrupted = true; break }
            let (loss, stopAll) = step(&state, stopRequested: stopHere)
            DeadRankTestHook.afterStep(state.step, rank: communicator.rank)
            history.stepsRun += 1
            lossSum += loss
            lossCount += 1
            onStep(state, loss)
            if evaluatesAfter(state.step) {
                let t0 = Date()
                let result = evaluate(state.metaParameters)
                history.evaluationSeconds += Date().timeIntervalSince(t0)
                let e = Evaluation(step: state.step, testLoss: result, trainLoss: lossSum / Double(max(lossCount, 1)),
                                   elapsedSeconds: Date().timeIntervalSince(start))
                lossSum = 0; lossCount = 0
                history.evaluations.append(e)
                onEvaluation(state, e)
            }
            if stopAll { history.interrupted = true; break }
        }
        history.wallSeconds = Date().timeIntervalSince(start)
        return history
    }
}

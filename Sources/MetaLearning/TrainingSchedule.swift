/// The part of a configuration the one `Trainer` needs, whatever the problem: how many tasks per outer step,
/// how many steps, the outer optimiser's rate, when and on how many held-out episodes to evaluate, the seed.
/// Each problem's configuration (`MetaTrainingConfiguration`, `FewShotConfiguration`) defines its defaults
/// once and derives its schedule from them.
public struct TrainingSchedule: Sendable, Equatable {
    /// Tasks (episodes) per outer step.
    public var metaBatchSize: Int
    /// Outer steps in all.
    public var steps: Int
    /// Outer Adam's learning rate.
    public var outerLearningRate: Double
    /// Evaluate every this many steps (0: only after the last), and after the last.
    public var evaluationInterval: Int
    /// Also evaluate after the first step (the reference code's synthetic schedule).
    public var evaluatesAfterFirstStep: Bool
    /// Held-out episodes of each periodic evaluation.
    public var evaluationEpisodes: Int
    /// Held-out episodes of the evaluation after training (`Trainer.finalEvaluation`).
    public var finalEvaluationEpisodes: Int
    /// Seed of initialisation, meta-batches and episodes.
    public var seed: UInt64

    public init(metaBatchSize: Int, steps: Int, outerLearningRate: Double, evaluationInterval: Int,
                evaluatesAfterFirstStep: Bool, evaluationEpisodes: Int, finalEvaluationEpisodes: Int, seed: UInt64) {
        self.metaBatchSize = metaBatchSize
        self.steps = steps
        self.outerLearningRate = outerLearningRate
        self.evaluationInterval = evaluationInterval
        self.evaluatesAfterFirstStep = evaluatesAfterFirstStep
        self.evaluationEpisodes = evaluationEpisodes
        self.finalEvaluationEpisodes = finalEvaluationEpisodes
        self.seed = seed
    }

    /// Whether the loop evaluates after `completed` steps: every `evaluationInterval` steps when it is
    /// positive, after the last step, and after the first when `evaluatesAfterFirstStep`.
    public func evaluatesAfter(_ completed: Int) -> Bool {
        (evaluatesAfterFirstStep && completed == 1) || completed == steps
            || (evaluationInterval > 0 && completed % evaluationInterval == 0)
    }
}

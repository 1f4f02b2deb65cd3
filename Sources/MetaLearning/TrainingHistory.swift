/// What a meta-training loop did, for any problem.
public struct TrainingHistory: Sendable {
    public var evaluations: [Evaluation] = []
    /// Outer steps and meta-training tasks run by this call (not counting those before a resume).
    public var stepsRun = 0
    public var tasksRun = 0
    /// Wall time of this call, evaluations included, and the part spent in evaluations.
    public var wallSeconds = 0.0
    public var evaluationSeconds = 0.0
    /// True when `shouldStop` ended the loop early.
    public var interrupted = false

    public init() {}

    /// Outer steps per second, evaluations included (as the reference code reports it).
    public var stepsPerSecond: Double { wallSeconds > 0 ? Double(stepsRun) / wallSeconds : 0 }
    /// Outer steps per second of the training steps alone.
    public var trainingStepsPerSecond: Double {
        wallSeconds - evaluationSeconds > 0 ? Double(stepsRun) / (wallSeconds - evaluationSeconds) : 0
    }
    /// Meta-training tasks per second of the training steps alone (sampling, augmentation, forward, backward
    /// and Adam; evaluations left out), as the few-shot protocol's PyTorch figures count them.
    public var tasksPerSecond: Double {
        wallSeconds - evaluationSeconds > 0 ? Double(tasksRun) / (wallSeconds - evaluationSeconds) : 0
    }
}

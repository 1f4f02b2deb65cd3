/// Hyper-parameters of meta-training and evaluation on a regression family (defaults: the reference code's
/// synthetic setup, defined here once; the command line's help reads them).
public struct MetaTrainingConfiguration: TrainingConfiguration, Equatable {
    /// Tasks per outer step.
    public var metaBatchSize = 32
    /// Support and query examples per episode (drawn without repetition from a task's examples).
    public var supportCount = 1
    public var queryCount = 19
    public var innerSteps = 1
    public var firstOrder = false
    public var initialInnerLearningRate = 0.1
    public var outerLearningRate = 1e-3
    /// Outer steps in all.
    public var steps = 1000
    /// Evaluate every this many steps (and after the first and the last).
    public var evaluationInterval = 100
    /// Held-out tasks per evaluation.
    public var testTasks = 300
    public var seed: UInt64 = 0
    public var loss: TaskLoss = .meanSquaredError

    public init() {}

    /// The final evaluation is on `testTasks` held-out tasks, as every periodic one.
    public var finalEvaluationEpisodes: Int {
        get { testTasks }
        set { testTasks = newValue }
    }

    /// The trainer's schedule: evaluations after the first step, every `evaluationInterval` and after the last,
    /// each on `testTasks` held-out tasks.
    public var schedule: TrainingSchedule {
        TrainingSchedule(metaBatchSize: metaBatchSize, steps: steps, outerLearningRate: outerLearningRate,
                         evaluationInterval: evaluationInterval, evaluatesAfterFirstStep: true,
                         evaluationEpisodes: testTasks, finalEvaluationEpisodes: testTasks, seed: seed)
    }

    public func validate() throws {
        for (value, flag) in [(steps, "--steps"), (metaBatchSize, "--meta-batch"), (supportCount, "--k-spt"), (queryCount, "--k-qry"),
                              (innerSteps, "--inner-steps"), (evaluationInterval, "--eval-interval"), (testTasks, "--test-tasks")] {
            try ConfigurationError.require(value, atLeast: 1, flag)
        }
        try ConfigurationError.requireFinite(initialInnerLearningRate, "--inner-lr")
        try ConfigurationError.requireFinite(outerLearningRate, positive: true, "--outer-lr")
    }
}

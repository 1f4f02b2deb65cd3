/// One held-out evaluation during meta-training, for any problem.
public struct Evaluation: Codable, Sendable, Equatable {
    /// Outer steps completed when it was taken.
    public var step: Int
    /// The held-out metric (`MetaLearningProblem.evaluationMetricName`: query MSE, or accuracy as a fraction)
    /// with its 95% interval.
    public var test: MeanWithInterval
    /// Mean query loss of the meta-batches since the previous evaluation (nan when none ran).
    public var trainLoss: Double
    /// Means of the problem's further training metrics (`trainingMetricNames`, e.g. accuracy) over the same batches.
    public var trainMetrics: [Double]
    /// Seconds since the run (or the resumed part of it) started.
    public var elapsedSeconds: Double

    public init(step: Int, test: MeanWithInterval, trainLoss: Double, trainMetrics: [Double] = [], elapsedSeconds: Double) {
        self.step = step
        self.test = test
        self.trainLoss = trainLoss
        self.trainMetrics = trainMetrics
        self.elapsedSeconds = elapsedSeconds
    }
}

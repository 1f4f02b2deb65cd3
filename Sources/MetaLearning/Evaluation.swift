#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// The process's peak resident memory when it was taken, MiB (nil in evaluations saved before it was
    /// recorded): a learning curve whose memory stays flat has no leak across steps.
    public var peakMemoryMiB: Double? = nil

    public init(step: Int, test: MeanWithInterval, trainLoss: Double, trainMetrics: [Double] = [], elapsedSeconds: Double,
                peakMemoryMiB: Double? = Evaluation.peakResidentMiB()) {
        self.step = step
        self.test = test
        self.trainLoss = trainLoss
        self.trainMetrics = trainMetrics
        self.elapsedSeconds = elapsedSeconds
        self.peakMemoryMiB = peakMemoryMiB
    }

    /// Peak resident set size of this process in MiB (getrusage's ru_maxrss, KiB on Linux).
    public static func peakResidentMiB() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / (1024 * 1024)
        #endif
    }
}

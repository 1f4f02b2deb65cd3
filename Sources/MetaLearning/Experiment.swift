import Foundation

/// The kinds of run a checkpoint or report can hold; stored as `kind` in both.
public enum ExperimentKind: String, Codable, Sendable, CaseIterable {
    case regression
    case fewShot = "few-shot"
}

/// What the one trainer reads of either problem's hyper-parameters, beside its `TrainingSchedule`: the budget a
/// resumed run may raise and the size of the final evaluation `msr eval --test-tasks` sets.
public protocol TrainingConfiguration: Codable, Sendable {
    /// Outer steps in all.
    var steps: Int { get set }
    /// Held-out tasks (episodes) of the final evaluation.
    var finalEvaluationEpisodes: Int { get set }
    var schedule: TrainingSchedule { get }
    /// Throws `ConfigurationError` for a value no run can use (a meta-batch of 0, a non-finite rate, …): the
    /// one check of a configuration, for the command line's flags and for a checkpoint's metadata alike.
    func validate() throws
}

/// One run's complete description — data, model or method, hyper-parameters — stored in checkpoints and
/// reports, so a run can be resumed or evaluated from its checkpoint alone. `RegressionExperiment` and
/// `FewShotExperiment` are the two today; each makes the one `Trainer` for its problem.
public protocol Experiment: Codable, Sendable {
    associatedtype Problem: MetaLearningProblem
    associatedtype Configuration: TrainingConfiguration
    static var kind: ExperimentKind { get }
    /// The hyper-parameters of meta-training and evaluation.
    var training: Configuration { get set }
    /// A one-line description for progress output, e.g. `rank1 msr-fc` or `Aug-Omniglot 5-way 1-shot msr`.
    var title: String { get }
    /// The trainer, with the problem's data read or generated.
    func trainer(threads: Int, communicator: any GradientCommunicator) throws -> Trainer<Problem>
    /// Fresh meta-parameters for `trainer` (with any prior the experiment names).
    func initialState(_ trainer: Trainer<Problem>) throws -> MetaTrainingState
    /// Throws for a description no run can use: its configuration's `validate()`, and what the experiment adds.
    func validate() throws
}

extension Experiment {
    /// Outer steps in all (a resumed run may raise it).
    public var steps: Int {
        get { training.steps }
        set { training.steps = newValue }
    }

    /// Held-out tasks (episodes) of the final evaluation (`msr eval --test-tasks` sets it).
    public var testEpisodes: Int {
        get { training.finalEvaluationEpisodes }
        set { training.finalEvaluationEpisodes = newValue }
    }

    public func initialState(_ trainer: Trainer<Problem>) throws -> MetaTrainingState { trainer.initialState() }

    public func validate() throws { try training.validate() }
}

import NeuralNets

/// Everything that changes during meta-training: enough to resume exactly.
public struct MetaTrainingState: Sendable {
    /// Model parameters and learned inner learning rates.
    public var metaParameters: Parameters
    public var optimizer: Adam.State
    /// Outer steps completed.
    public var step: Int
    /// Every periodic evaluation of the run so far, those before a resume included (the learning curve).
    public var evaluations: [Evaluation]

    public init(metaParameters: Parameters, optimizer: Adam.State = .init(), step: Int = 0, evaluations: [Evaluation] = []) {
        self.metaParameters = metaParameters
        self.optimizer = optimizer
        self.step = step
        self.evaluations = evaluations
    }
}

/// Why meta-training stopped with an error of its own (not the data's or the file system's).
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    /// Step `step` produced a non-finite loss, gradient or parameter (`what` says which); the step's update was
    /// not kept, so the state (and any checkpoint) still holds the last finite parameters.
    case diverged(step: Int, what: String)
    /// `shouldStop` ended an evaluation before its last episode.
    case evaluationInterrupted

    public var description: String {
        switch self {
        case let .diverged(step, what):
            return "meta-training diverged at step \(step): \(what). Nothing after the last finite state was kept. Usual causes: a learning "
                + "rate too large (lower --outer-lr or --inner-lr) or extreme values in the tasks' data."
        case .evaluationInterrupted:
            return "the evaluation was interrupted"
        }
    }
}

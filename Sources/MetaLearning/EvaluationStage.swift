/// Which held-out episodes an evaluation draws: those of the periodic evaluations during training
/// (`Trainer.train`), from the problem's validation tasks where it has them, or those of the final
/// evaluation after training and of `msr eval`, always from its meta-test tasks.
public enum EvaluationStage: String, Sendable, CaseIterable {
    case periodic, final
}

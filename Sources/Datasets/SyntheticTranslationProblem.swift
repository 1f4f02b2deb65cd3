/// The 1-D synthetic problems of the paper (section 5.1): how much translation symmetry the tasks share.
///
/// - `rank1`: every task is a convolution (one filter shared by all positions): full translation equivariance.
/// - `rank2`, `rank5`: every task is a locally connected layer whose 68 filters lie in a shared rank-2 or
///   rank-5 family: partial translation symmetry.
///
/// The raw values are the problem names of the reference code and of `msr generate --problem`.
public enum SyntheticTranslationProblem: String, CaseIterable, Sendable, CustomStringConvertible {
    case rank1
    case rank2
    case rank5

    /// k, the rank of each task's (68 × 3) filter bank.
    public var rank: Int {
        switch self {
        case .rank1: return 1
        case .rank2: return 2
        case .rank5: return 5
        }
    }

    public var description: String { rawValue }
}

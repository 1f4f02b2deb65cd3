import Datasets

/// The paper's synthetic task families: 1-D translation of rank 1, 2, 5 (Table 1) and 2-D rotation (C8)
/// and rotation + flip (D8) equivariant convolutions (Table 2).
public enum SyntheticProblem: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case rank1, rank2, rank5
    case rotation8 = "2d_rot8"
    case rotation8Flip = "2d_rot8_flip"

    public var description: String { rawValue }

    /// The 1-D family, for rank1/2/5.
    public var translation: SyntheticTranslationProblem? { SyntheticTranslationProblem(rawValue: rawValue) }

    /// The 2-D family, for 2d_rot8 and 2d_rot8_flip.
    public var rotation: SyntheticRotationProblem? { SyntheticRotationProblem(rawValue: rawValue) }

    public var isTwoDimensional: Bool { translation == nil }

    /// Tasks in a family by default, as the reference code: 10,000, except 2,000 for 2d_rot8_flip.
    public var defaultTaskCount: Int { self == .rotation8Flip ? 2000 : 10_000 }

    /// The models that fit this family's shapes.
    public var models: [RegressionModel] { isTwoDimensional ? [.conv, .msrConv, .msrConvFull] : [.fc, .lc, .conv, .msrFC] }

    /// MSR-FC's latent size K in the reference code: 3 / 6 / 30 for rank1 / 2 / 5 (unused in 2-D).
    public var defaultLatentSize: Int {
        switch self {
        case .rank1: return 3
        case .rank2: return 6
        case .rank5: return 30
        case .rotation8, .rotation8Flip: return 0
        }
    }
}

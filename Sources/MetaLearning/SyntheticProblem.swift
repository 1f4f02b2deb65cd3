import Datasets

/// The paper's synthetic task families: 1-D translation of rank 1, 2, 5 (Table 1) and 2-D rotation (C8),
/// rotation + flip (D8) and scale equivariant convolutions (Table 2; the scale family is ours,
/// `SyntheticScaleTasks`, as the reference code has no generator for it).
///
/// `data` is any regression family a user brings in an `.npz` file (`--data`): its shapes, not a fixed
/// layout, set the model's sizes (`RegressionModel.description(inputShape:targetShape:…)`).
public enum SyntheticProblem: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case rank1, rank2, rank5
    case rotation8 = "2d_rot8"
    case rotation8Flip = "2d_rot8_flip"
    case scale = "2d_scale"
    case data

    public var description: String { rawValue }

    /// The 1-D family, for rank1/2/5.
    public var translation: SyntheticTranslationProblem? { SyntheticTranslationProblem(rawValue: rawValue) }

    /// The 2-D family, for 2d_rot8 and 2d_rot8_flip.
    public var rotation: SyntheticRotationProblem? { SyntheticRotationProblem(rawValue: rawValue) }

    public var isTwoDimensional: Bool { rotation != nil || self == .scale }

    /// The side of the 2-D families' square kernels: 3 for the rotation families, 9 for 2d_scale (room for a
    /// filter at scale 2); 3 for the 1-D families' kernels too.
    public var kernelSize: Int { self == .scale ? SyntheticScaleTasks.kernelSize : 3 }

    /// Output channels of the 2-D families: 24, 48, 9 (nil otherwise).
    public var outputChannels: Int? { self == .scale ? SyntheticScaleTasks.outputChannels : rotation?.outputChannels }

    /// Tasks in a family by default, as the reference code: 10,000, except 2,000 for 2d_rot8_flip.
    public var defaultTaskCount: Int { self == .rotation8Flip ? 2000 : 10_000 }

    /// The models that fit this family's shapes.
    /// The built-in models that fit this family's shapes (for `data`, any of them may: the file's shapes
    /// decide). A described network (`RegressionModel.network`) can be given for every family.
    public var models: [RegressionModel] {
        if self == .data { return RegressionModel.allCases.filter { $0 != .network } }
        return isTwoDimensional ? [.conv, .msrConv, .msrConvFull] : [.fc, .lc, .conv, .msrFC]
    }

    /// MSR-FC's latent size K in the reference code: 3 / 6 / 30 for rank1 / 2 / 5 (unused in 2-D; for `data`,
    /// 0: the model's default for the file's shapes).
    public var defaultLatentSize: Int {
        switch self {
        case .rank1: return 3
        case .rank2: return 6
        case .rank5: return 30
        case .rotation8, .rotation8Flip, .scale, .data: return 0
        }
    }
}

import NeuralNets
import Tensors

/// The models of the paper's synthetic experiments (no bias, as in the reference code).
///
/// 1-D families: inputs (N, 1, 70) → outputs (N, 1, 68) with `fc`, `lc`, `conv`, `msr-fc`.
/// 2-D families: inputs (N, 1, 32, 32) → outputs (N, D, 30, 30) with `conv`, `msr-conv` and `msr-conv-full`.
public enum RegressionModel: String, CaseIterable, Codable, Sendable {
    /// MAML-FC: a fully connected 70 → 68 layer.
    case fc
    /// MAML-LC: a locally connected layer, kernel 3.
    case lc
    /// MAML-Conv: a 1-D convolution with kernel 3, or in 2-D a 3×3 convolution 1 → D channels.
    case conv
    /// MSR-FC: a fully connected layer reparameterised as W = reshape(U·v).
    case msrFC = "msr-fc"
    /// MSR-Conv: a 3×3 convolution whose filter bank is transformed by A ⊗ B ⊗ C.
    case msrConv = "msr-conv"
    /// MSR-Conv with a full symmetry matrix: a 3×3 convolution whose whole filter bank is W = reshape(U·v),
    /// U (D·9, K) dense as MSR-FC's (the reference code's `ShareLinearFull` applied to the bank).
    case msrConvFull = "msr-conv-full"

    /// K of `msr-conv-full` when none is given: the dimension of the C4-equivariant banks of D 3×3 filters,
    /// D·9/4 (54 for 2d_rot8's 24 channels, 108 for 2d_rot8_flip's 48): room for every exactly
    /// 90°-equivariant bank, three times the 18 dimensions (3 fields × 6 basis filters) the tasks use.
    public static func defaultFullLatentSize(outputChannels: Int) -> Int { outputChannels * 9 / 4 }

    /// The layer for `problem`; throws when the model does not fit the family (e.g. msr-fc on images).
    public func layer(for problem: SyntheticProblem, latentSize: Int, outputChannels: Int? = nil) throws -> any Layer {
        guard problem.models.contains(self) else { throw ExperimentError.modelDoesNotFit(model: rawValue, problem: problem.rawValue, models: problem.models.map(\.rawValue)) }
        switch (self, problem.isTwoDimensional) {
        case (.fc, _): return Linear(70, 68, bias: false)
        case (.lc, _): return LocallyConnected1d(1, 1, outputSize: 68, kernelSize: 3, bias: false)
        case (.conv, false): return Conv1d(1, 1, kernelSize: 3, bias: false)
        case (.msrFC, _): return SymmetricLinear(70, 68, latentSize: latentSize, bias: false)
        case (.conv, true): return Conv2d(1, outputChannels ?? 24, kernelSize: (3, 3), bias: false)
        case (.msrConv, _): return SymmetricConv2d(1, outputChannels ?? 24, kernelSize: (3, 3))
        case (.msrConvFull, _):
            let d = outputChannels ?? 24
            return DenseSymmetricConv2d(1, d, kernelSize: (3, 3),
                                        latentSize: latentSize > 0 ? latentSize : Self.defaultFullLatentSize(outputChannels: d))
        }
    }
}

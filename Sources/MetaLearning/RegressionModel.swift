import Datasets
import NeuralNets
import Tensors

/// The models of the paper's synthetic experiments (no bias, as in the reference code).
///
/// 1-D families: inputs (N, 1, 70) → outputs (N, 1, 68) with `fc`, `lc`, `conv`, `msr-fc`.
/// 2-D families: inputs (N, 1, 32, 32) → outputs (N, D, 30, 30) with `conv`, `msr-conv` and `msr-conv-full`
/// (3×3 kernels; for 2d_scale 9×9 kernels and outputs (N, 9, 24, 24)).
public enum RegressionModel: String, CaseIterable, Codable, Sendable {
    /// MAML-FC: a fully connected 70 → 68 layer.
    case fc
    /// MAML-LC: a locally connected layer, kernel 3.
    case lc
    /// MAML-Conv: a 1-D convolution with kernel 3, or in 2-D a 3×3 convolution 1 → D channels.
    case conv
    /// MSR-FC: a fully connected layer reparameterised as W = reshape(U·v).
    case msrFC = "msr-fc"
    /// MSR-Conv: a 3×3 convolution whose filter bank is transformed by A ⊗ B ⊗ C (or a sum of r such
    /// products, `--kronecker-terms`).
    case msrConv = "msr-conv"
    /// MSR-Conv with a full symmetry matrix: a 3×3 convolution whose whole filter bank is W = reshape(U·v),
    /// U (D·9, K) dense as MSR-FC's (the reference code's `ShareLinearFull` applied to the bank).
    case msrConvFull = "msr-conv-full"
    /// A network the user describes in a JSON file (`--network`, `NetworkDescription`), stored in the experiment.
    case network

    /// K of `msr-conv-full` when none is given: the dimension of the C4-equivariant banks of D 3×3 filters,
    /// D·9/4 (54 for 2d_rot8's 24 channels, 108 for 2d_rot8_flip's 48): room for every exactly
    /// 90°-equivariant bank, three times the 18 dimensions (3 fields × 6 basis filters) the tasks use.
    public static func defaultFullLatentSize(outputChannels: Int) -> Int { outputChannels * 9 / 4 }

    /// K of `msr-conv-full` for `problem` when none is given: for 2d_scale, which has no finite group to
    /// count equivariant banks of, three times the 18 dimensions its tasks use (3 fields × 6 Hermite–Gaussian
    /// filters), 54 of the 9·81 = 729 bank entries, the same margin as 2d_rot8's default; otherwise
    /// `defaultFullLatentSize(outputChannels:)`.
    public static func defaultFullLatentSize(for problem: SyntheticProblem, outputChannels: Int) -> Int {
        problem == .scale ? 3 * SyntheticScaleTasks.taskSpaceDimension : defaultFullLatentSize(outputChannels: outputChannels)
    }

    /// The layer for `problem`; throws when the model does not fit the family (e.g. msr-fc on images).
    /// `kroneckerTerms` is msr-conv's r (U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ).
    public func layer(for problem: SyntheticProblem, latentSize: Int, outputChannels: Int? = nil, kroneckerTerms: Int = 1) throws -> any Layer {
        // A file family's sizes come from its shapes: `RegressionExperiment.layer(inputShape:targetShape:)`.
        guard problem != .data else { throw ExperimentError.unknownProblem("data (its models are sized by the file's shapes)") }
        guard problem.models.contains(self) else { throw ExperimentError.modelDoesNotFit(model: rawValue, problem: problem.rawValue, models: problem.models.map(\.rawValue)) }
        // 2-D: a k×k kernel (3×3, or 9×9 for 2d_scale) from 1 input channel to D output channels.
        let (d, k) = (outputChannels ?? problem.outputChannels ?? 24, problem.kernelSize)
        try Self.checkLatentSize(latentSize, weightCount: self == .msrFC ? 70 * 68 : k * k * d, model: self)
        switch (self, problem.isTwoDimensional) {
        case (.fc, _): return Linear(70, 68, bias: false)
        case (.lc, _): return LocallyConnected1d(1, 1, outputSize: 68, kernelSize: 3, bias: false)
        case (.conv, false): return Conv1d(1, 1, kernelSize: 3, bias: false)
        case (.msrFC, _): return SymmetricLinear(70, 68, latentSize: latentSize, bias: false)
        case (.conv, true): return Conv2d(1, d, kernelSize: (k, k), bias: false)
        case (.msrConv, _): return SymmetricConv2d(1, d, kernelSize: (k, k), terms: kroneckerTerms)
        case (.network, _):
            throw ExperimentError.modelDoesNotFit(model: rawValue, problem: problem.rawValue, models: problem.models.map(\.rawValue))
        case (.msrConvFull, _):
            return DenseSymmetricConv2d(1, d, kernelSize: (k, k),
                                        latentSize: latentSize > 0 ? latentSize : Self.defaultFullLatentSize(for: problem, outputChannels: d))
        }
    }

    /// The model as a one-layer network description whose sizes come from a family's per-example shapes, for
    /// a family read from a file (`SyntheticProblem.data`). No bias, as the paper's models.
    ///
    /// - Flat vectors (I) → (O), or 1-D signals (1, I) → (1, O): `fc` (Linear I → O) and `msr-fc`
    ///   (W = reshape(U·v), K = I − O + 1 by default when I > O — room for a convolution's filter — else O).
    /// - 1-D signals (C, L) → (D, L′): `conv` and `lc` with kernel L − L′ + 1 + 2·padding unless given.
    /// - Images (C, H, W) → (D, H′, W′): `conv`, `msr-conv` (A ⊗ B ⊗ C) and `msr-conv-full` (dense U,
    ///   K = D·C·k²/4 by default), square kernel H − H′ + 1 + 2·padding unless given.
    ///
    /// Throws `ExperimentError.modelDoesNotFitShapes`, naming the model and both shapes, when it cannot map
    /// the input shape onto the target shape.
    public func description(inputShape: [Int], targetShape: [Int], latentSize: Int, kernelSize: Int? = nil,
                            padding: Int = 0, kroneckerTerms: Int = 1) throws -> NetworkDescription {
        func unfit(_ why: String) -> ExperimentError {
            .modelDoesNotFitShapes(model: rawValue, input: inputShape, target: targetShape, why: why)
        }
        let pad = padding
        func kernel(_ input: Int, _ output: Int) throws -> Int {
            let k = kernelSize ?? (input - output + 1 + 2 * pad)
            guard k >= 1, input + 2 * pad - k + 1 == output else {
                throw unfit("a stride-1 kernel \(k) with padding \(pad) maps length \(input) to \(input + 2 * pad - k + 1), not \(output)")
            }
            return k
        }
        let layer: LayerDescription.Kind
        switch self {
        case .fc, .msrFC:
            let flat = inputShape.count == 1 && targetShape.count == 1
            let signal = inputShape.count == 2 && targetShape.count == 2 && inputShape[0] == 1 && targetShape[0] == 1
            guard flat || signal else {
                throw unfit("a fully connected model maps flat vectors (I) → (O) or one-channel signals (1, I) → (1, O); use conv or --network")
            }
            let (i, o) = (inputShape.last!, targetShape.last!)
            if self == .fc { layer = .linear(outputs: o, bias: false) }
            else {
                try Self.checkLatentSize(latentSize, weightCount: o * i, model: self)
                layer = .symmetricLinear(outputs: o, latentSize: latentSize > 0 ? latentSize : (i > o ? i - o + 1 : o), bias: false)
            }
        case .conv where inputShape.count == 2, .lc:
            guard inputShape.count == 2, targetShape.count == 2 else {
                throw unfit("\(rawValue) maps 1-D signals (C, L) → (D, L′)")
            }
            let c = LayerDescription.Convolution.oneDimensional(channels: targetShape[0], kernel: try kernel(inputShape[1], targetShape[1]),
                                                                padding: self == .lc ? 0 : pad, bias: false)
            layer = self == .lc ? .locallyConnected1d(c) : .conv1d(c)
        case .conv, .msrConv, .msrConvFull:
            guard inputShape.count == 3, targetShape.count == 3 else {
                throw unfit("\(rawValue) maps images (C, H, W) → (D, H′, W′)\(self == .conv ? " or 1-D signals (C, L) → (D, L′)" : "")")
            }
            let kh = try kernel(inputShape[1], targetShape[1]), kw = try kernel(inputShape[2], targetShape[2])
            guard kh == kw else { throw unfit("the kernel would be \(kh)×\(kw); give square images or --network") }
            let c = LayerDescription.Convolution(channels: targetShape[0], kernel: .init(square: kh), padding: .init(square: pad), bias: false)
            switch self {
            case .conv: layer = .conv2d(c)
            case .msrConv: layer = .symmetricConv2d(c, terms: kroneckerTerms)
            default:
                try Self.checkLatentSize(latentSize, weightCount: targetShape[0] * inputShape[0] * kh * kw, model: self)
                let k = latentSize > 0 ? latentSize : max(1, targetShape[0] * inputShape[0] * kh * kw / 4)
                layer = .denseSymmetricConv2d(c, latentSize: k)
            }
        case .network:
            throw unfit("a described network comes from --network FILE.json")
        }
        return NetworkDescription(layers: [LayerDescription(layer)])
    }

    /// MSR's K may not exceed the number of entries of W = reshape(U·v): more columns of U add nothing a
    /// smaller K cannot express, and a huge K would only allocate a huge U.
    static func checkLatentSize(_ latentSize: Int, weightCount: Int, model: RegressionModel) throws {
        guard model == .msrFC || model == .msrConvFull, latentSize > weightCount else { return }
        throw ExperimentError.latentSizeTooLarge(latentSize: latentSize, maximum: weightCount, model: model.rawValue)
    }
}

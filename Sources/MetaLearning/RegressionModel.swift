import NeuralNets
import Tensors

/// The models of the paper's 1-D synthetic experiments (no bias, as in the reference code): inputs
/// (N, 1, 70) → outputs (N, 1, 68).
public enum RegressionModel: String, CaseIterable, Codable, Sendable {
    /// MAML-FC: a fully connected 70 → 68 layer.
    case fc
    /// MAML-LC: a locally connected layer, kernel 3.
    case lc
    /// MAML-Conv: a 1-D convolution, kernel 3.
    case conv
    /// MSR-FC: a fully connected layer reparameterised as W = reshape(U·v).
    case msrFC = "msr-fc"

    /// The layer for inputs of `inputLength` and outputs of `outputLength`; `latentSize` is MSR's K.
    public func layer(inputLength: Int = 70, outputLength: Int = 68, latentSize: Int = 3) -> any Layer {
        switch self {
        case .fc: return Linear(inputLength, outputLength, bias: false)
        case .lc: return LocallyConnected1d(1, 1, outputSize: outputLength, kernelSize: inputLength - outputLength + 1, bias: false)
        case .conv: return Conv1d(1, 1, kernelSize: inputLength - outputLength + 1, bias: false)
        case .msrFC: return SymmetricLinear(inputLength, outputLength, latentSize: latentSize, bias: false)
        }
    }
}

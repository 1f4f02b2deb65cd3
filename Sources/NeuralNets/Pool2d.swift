import Tensors

/// Pooling over kh×kw windows, without padding (PyTorch's `nn.MaxPool2d` and `nn.AvgPool2d`): each output
/// is the maximum or the mean of its window. No parameters.
///
/// Shapes: x (N, C, H, W) → y (N, C, (H − kh)/sh + 1, (W − kw)/sw + 1), the stride (sh, sw) being the
/// kernel unless given.
public struct Pool2d: ParameterFreeLayer {
    public enum Reduction: String, Sendable, CaseIterable {
        case max, average
    }

    public var reduction: Reduction
    public var kernelSize: (Int, Int)
    public var stride: (Int, Int)

    public init(_ reduction: Reduction, kernelSize: (Int, Int), stride: (Int, Int)? = nil) {
        self.reduction = reduction
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public func apply(_ parameters: Parameters, _ input: Tensor) -> Tensor {
        switch reduction {
        case .max: return input.maxPool2d(kernel: kernelSize, stride: stride)
        case .average: return input.avgPool2d(kernel: kernelSize, stride: stride)
        }
    }
}

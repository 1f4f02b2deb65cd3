import Foundation
import Tensors

/// One layer of a `NetworkDescription`: its type and the sizes it cannot infer from its input, its name
/// (the prefix of its parameter keys) and whether the inner loop adapts it.
///
/// In JSON a layer is one object with a `type` and that type's fields; input sizes (features, channels)
/// always come from the input, and every field but those marked *required* has the default shown:
///
/// | `type` | layer | fields |
/// |---|---|---|
/// | `linear` | `Linear` | `outputs` (required), `bias` (true) |
/// | `msr-linear` | `SymmetricLinear`, W = reshape(U·v) | `outputs`, `latentSize` K (required), `bias` (true) |
/// | `conv1d` | `Conv1d` | `channels`, `kernel` (required), `stride` (1), `padding` (0), `bias` (true) |
/// | `locally-connected1d` | `LocallyConnected1d` | `channels`, `kernel` (required), `stride` (1), `bias` (true) |
/// | `conv2d` | `Conv2d` | `channels`, `kernel` (required), `stride` (1), `padding` (0), `bias` (true) |
/// | `msr-conv2d` | `SymmetricConv2d`, w̃ = Σₜ (Aₜ ⊗ Bₜ ⊗ Cₜ)·w | as `conv2d`, and `terms` r (1) |
/// | `msr-conv2d-full` | `DenseSymmetricConv2d`, W = reshape(U·v) | as `conv2d`, and `latentSize` K (required) |
/// | `batch-norm` | `BatchNorm` (the batch's statistics) | none |
/// | `relu` | `ReLU` | none |
/// | `max-pool`, `avg-pool` | `Pool2d` (`.max`, `.average`) | `kernel` (required), `stride` (the kernel) |
/// | `flatten` | `Flatten` | none |
///
/// 2-D sizes (`kernel`, `stride`, `padding` of the 2-D layers) are a number n for n×n or `[height, width]`.
/// Every layer also takes `name` (a key prefix such as `"head"` or `"block1.conv"`; default its index) and
/// `adapt` (default true: the inner loop adapts the layer's `innerParameterKeys`, everything but symmetry
/// matrices; false: none of its parameters). An unknown type or field is an error, so a misspelt field is
/// never silently ignored.
///
/// Input shapes are per example (no batch axis): `linear` takes (I) or (1, …, 1, I) and acts on the last
/// axis; the 1-D layers (C, L); the 2-D layers (C, H, W); `batch-norm` (C, …).
public struct LayerDescription: Equatable, Sendable {
    /// A 2-D size: height and width.
    public struct Size2: Equatable, Sendable, Codable {
        public var height, width: Int
        public init(_ height: Int, _ width: Int) { (self.height, self.width) = (height, width) }
        public init(square n: Int) { self.init(n, n) }
        public var pair: (Int, Int) { (height, width) }

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let n = try? container.decode(Int.self) { self.init(square: n); return }
            guard let hw = try? container.decode([Int].self), hw.count == 2 else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a size n (for n×n) or [height, width]")
            }
            self.init(hw[0], hw[1])
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            if height == width { try container.encode(height) } else { try container.encode([height, width]) }
        }
    }

    /// The sizes of a convolution that its input does not give: D output channels, kernel, stride, padding.
    public struct Convolution: Equatable, Sendable {
        public var channels: Int
        public var kernel: Size2
        public var stride: Size2
        public var padding: Size2
        public var bias: Bool

        public init(channels: Int, kernel: Size2, stride: Size2 = Size2(square: 1), padding: Size2 = Size2(square: 0),
                    bias: Bool = true) {
            self.channels = channels
            self.kernel = kernel
            self.stride = stride
            self.padding = padding
            self.bias = bias
        }

        /// The sizes of a 1-D convolution over (C, L): kernel (1, k), stride (1, s), padding (0, p).
        public static func oneDimensional(channels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) -> Convolution {
            Convolution(channels: channels, kernel: Size2(1, kernel), stride: Size2(1, stride), padding: Size2(0, padding), bias: bias)
        }
    }

    public enum Kind: Equatable, Sendable {
        case linear(outputs: Int, bias: Bool)
        case symmetricLinear(outputs: Int, latentSize: Int, bias: Bool)
        /// A 1-D convolution over (C, L): sizes as `Convolution.oneDimensional` makes them.
        case conv1d(Convolution)
        /// A locally connected layer over (C, L): sizes as `Convolution.oneDimensional`; it has no padding.
        case locallyConnected1d(Convolution)
        case conv2d(Convolution)
        case symmetricConv2d(Convolution, terms: Int = 1)
        case denseSymmetricConv2d(Convolution, latentSize: Int)
        case batchNorm
        case relu
        case maxPool(kernel: Size2, stride: Size2?)
        case avgPool(kernel: Size2, stride: Size2?)
        case flatten

        /// The JSON `type`.
        public var typeName: String {
            switch self {
            case .linear: return "linear"
            case .symmetricLinear: return "msr-linear"
            case .conv1d: return "conv1d"
            case .locallyConnected1d: return "locally-connected1d"
            case .conv2d: return "conv2d"
            case .symmetricConv2d: return "msr-conv2d"
            case .denseSymmetricConv2d: return "msr-conv2d-full"
            case .batchNorm: return "batch-norm"
            case .relu: return "relu"
            case .maxPool: return "max-pool"
            case .avgPool: return "avg-pool"
            case .flatten: return "flatten"
            }
        }
    }

    public var kind: Kind
    /// The prefix of the layer's parameter keys; nil for its index.
    public var name: String?
    /// False: the inner loop adapts none of this layer's parameters.
    public var adapt: Bool

    public init(_ kind: Kind, name: String? = nil, adapt: Bool = true) {
        self.kind = kind
        self.name = name
        self.adapt = adapt
    }

    /// The layer for an input of per-example shape `input`, and the shape of its output. Throws
    /// `NetworkDescriptionError.invalidValue` or `.doesNotFit` naming layer `index`.
    public func layer(inputShape input: [Int], index: Int) throws -> (layer: any Layer, outputShape: [Int]) {
        let type = kind.typeName
        func positive(_ field: String, _ value: Int) throws {
            guard value >= 1 else { throw NetworkDescriptionError.invalidValue(layer: index, type: type, field: field, value: value, expected: "≥ 1") }
        }
        func doesNotFit(_ expected: String) -> NetworkDescriptionError {
            .doesNotFit(layer: index, type: type, input: input, expected: expected)
        }
        /// The output size of a window of `k` taps moved by `s` over `n` + 2·`p` positions.
        func windows(_ n: Int, _ k: Int, _ s: Int, _ p: Int) -> Int { (n + 2 * p - k) / s + 1 }
        /// Checks a convolution's sizes and its (C, H, W) or (C, L) input; returns C and the output's spatial sizes.
        func checkedConvolution(_ c: Convolution, rank: Int, padded: Bool = true) throws -> (inputs: Int, sizes: [Int]) {
            try positive("channels", c.channels)
            for (field, v) in [("kernel", c.kernel), ("stride", c.stride)] { try positive(field, v.height); try positive(field, v.width) }
            for v in [c.padding.height, c.padding.width] where v < 0 {
                throw NetworkDescriptionError.invalidValue(layer: index, type: type, field: "padding", value: v, expected: "≥ 0")
            }
            let p = padded ? c.padding : Size2(square: 0)
            let kernel = rank == 2 ? "\(c.kernel.width)" : "\(c.kernel.height)×\(c.kernel.width)"
            guard input.count == rank else { throw doesNotFit(rank == 2 ? "(C, L)" : "(C, H, W)") }
            let spatial = rank == 2 ? [1, input[1]] : [input[1], input[2]]
            guard spatial[0] + 2 * p.height >= c.kernel.height, spatial[1] + 2 * p.width >= c.kernel.width else {
                let sides = rank == 2 ? "L + 2·\(p.width) ≥ \(c.kernel.width)"
                    : "H + 2·\(p.height) ≥ \(c.kernel.height) and W + 2·\(p.width) ≥ \(c.kernel.width)"
                throw doesNotFit("\(rank == 2 ? "(C, L)" : "(C, H, W)") with \(sides): the kernel \(kernel) is larger than the input")
            }
            let out = [windows(spatial[0], c.kernel.height, c.stride.height, p.height),
                       windows(spatial[1], c.kernel.width, c.stride.width, p.width)]
            return (input[0], rank == 2 ? [out[1]] : out)
        }
        /// Checks a fully connected layer's (I) or (1, …, 1, I) input; returns I.
        func checkedFeatures(outputs: Int) throws -> Int {
            try positive("outputs", outputs)
            guard let features = input.last, input.dropLast().allSatisfy({ $0 == 1 }) else {
                throw doesNotFit("(I) or (1, …, 1, I), acted on along the last axis; put a flatten before this layer to use all \(input.reduce(1, *)) features")
            }
            return features
        }
        func checkedPooling(_ kernel: Size2, _ stride: Size2?) throws -> (kernel: (Int, Int), stride: (Int, Int), output: [Int]) {
            let s = stride ?? kernel
            for (field, v) in [("kernel", kernel), ("stride", s)] { try positive(field, v.height); try positive(field, v.width) }
            guard input.count == 3, input[1] >= kernel.height, input[2] >= kernel.width else {
                throw doesNotFit("(C, H, W) with H ≥ \(kernel.height) and W ≥ \(kernel.width) for the \(kernel.height)×\(kernel.width) window")
            }
            return (kernel.pair, s.pair, [input[0], windows(input[1], kernel.height, s.height, 0), windows(input[2], kernel.width, s.width, 0)])
        }

        switch kind {
        case let .linear(outputs, bias):
            let features = try checkedFeatures(outputs: outputs)
            return (Linear(features, outputs, bias: bias), input.dropLast() + [outputs])
        case let .symmetricLinear(outputs, latentSize, bias):
            let features = try checkedFeatures(outputs: outputs)
            try positive("latentSize", latentSize)
            return (SymmetricLinear(features, outputs, latentSize: latentSize, bias: bias), input.dropLast() + [outputs])
        case let .conv1d(c):
            let (inputs, sizes) = try checkedConvolution(c, rank: 2)
            return (Conv1d(inputs, c.channels, kernelSize: c.kernel.width, stride: c.stride.width, padding: c.padding.width, bias: c.bias),
                    [c.channels] + sizes)
        case let .locallyConnected1d(c):
            let (inputs, sizes) = try checkedConvolution(c, rank: 2, padded: false)
            return (LocallyConnected1d(inputs, c.channels, outputSize: sizes[0], kernelSize: c.kernel.width, stride: c.stride.width, bias: c.bias),
                    [c.channels] + sizes)
        case let .conv2d(c):
            let (inputs, sizes) = try checkedConvolution(c, rank: 3)
            return (Conv2d(inputs, c.channels, kernelSize: c.kernel.pair, stride: c.stride.pair, padding: c.padding.pair, bias: c.bias),
                    [c.channels] + sizes)
        case let .symmetricConv2d(c, terms):
            let (inputs, sizes) = try checkedConvolution(c, rank: 3)
            try positive("terms", terms)
            guard terms <= SymmetricConv2d.maximumTerms else {
                throw NetworkDescriptionError.invalidValue(layer: index, type: type, field: "terms", value: terms,
                                                           expected: "≤ \(SymmetricConv2d.maximumTerms)")
            }
            return (SymmetricConv2d(inputs, c.channels, kernelSize: c.kernel.pair, stride: c.stride.pair, padding: c.padding.pair, bias: c.bias,
                                    terms: terms),
                    [c.channels] + sizes)
        case let .denseSymmetricConv2d(c, latentSize):
            let (inputs, sizes) = try checkedConvolution(c, rank: 3)
            try positive("latentSize", latentSize)
            return (DenseSymmetricConv2d(inputs, c.channels, kernelSize: c.kernel.pair, stride: c.stride.pair, padding: c.padding.pair,
                                         latentSize: latentSize, bias: c.bias), [c.channels] + sizes)
        case .batchNorm:
            guard let channels = input.first else { throw doesNotFit("(C, …)") }
            return (BatchNorm(channels), input)
        case .relu:
            return (ReLU(), input)
        case let .maxPool(kernel, stride):
            let (k, s, output) = try checkedPooling(kernel, stride)
            return (Pool2d(.max, kernelSize: k, stride: s), output)
        case let .avgPool(kernel, stride):
            let (k, s, output) = try checkedPooling(kernel, stride)
            return (Pool2d(.average, kernelSize: k, stride: s), output)
        case .flatten:
            return (Flatten(), [input.reduce(1, *)])
        }
    }
}

extension LayerDescription: Codable {
    /// Any JSON field name, so that unknown fields can be reported.
    struct FieldKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    /// Every `type`, in the order of the table in the type's doc.
    public static let typeNames = ["linear", "msr-linear", "conv1d", "locally-connected1d", "conv2d", "msr-conv2d", "msr-conv2d-full",
                                   "batch-norm", "relu", "max-pool", "avg-pool", "flatten"]

    /// The fields a layer of `type` takes besides `type`, `name` and `adapt`.
    static func fields(ofType type: String) -> [String] {
        switch type {
        case "linear": return ["outputs", "bias"]
        case "msr-linear": return ["outputs", "latentSize", "bias"]
        case "conv1d", "conv2d": return ["channels", "kernel", "stride", "padding", "bias"]
        case "msr-conv2d": return ["channels", "kernel", "stride", "padding", "bias", "terms"]
        case "locally-connected1d": return ["channels", "kernel", "stride", "bias"]
        case "msr-conv2d-full": return ["channels", "kernel", "stride", "padding", "bias", "latentSize"]
        case "max-pool", "avg-pool": return ["kernel", "stride"]
        default: return []
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: FieldKey.self)
        let typeKey = FieldKey("type")
        let type = try c.decode(String.self, forKey: typeKey)
        guard Self.typeNames.contains(type) else {
            throw DecodingError.dataCorruptedError(forKey: typeKey, in: c,
                debugDescription: "unknown layer type ‘\(type)’; expected one of \(Self.typeNames.joined(separator: ", "))")
        }
        let allowed = ["type", "name", "adapt"] + Self.fields(ofType: type)
        if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw DecodingError.dataCorruptedError(forKey: FieldKey(unknown), in: c,
                debugDescription: "unknown field ‘\(unknown)’ for \(type); expected \(allowed.joined(separator: ", "))")
        }
        func required<T: Decodable>(_ field: String, _: T.Type = T.self) throws -> T { try c.decode(T.self, forKey: FieldKey(field)) }
        func optional<T: Decodable>(_ field: String, _: T.Type = T.self) throws -> T? { try c.decodeIfPresent(T.self, forKey: FieldKey(field)) }
        let bias = try optional("bias", Bool.self) ?? true
        /// A 1-D layer's sizes are plain numbers (`Convolution.oneDimensional`).
        func convolution(oneDimensional: Bool) throws -> Convolution {
            if oneDimensional {
                return .oneDimensional(channels: try required("channels"), kernel: try required("kernel"),
                                       stride: try optional("stride") ?? 1, padding: try optional("padding") ?? 0, bias: bias)
            }
            return Convolution(channels: try required("channels"), kernel: try required("kernel"),
                               stride: try optional("stride") ?? Size2(square: 1), padding: try optional("padding") ?? Size2(square: 0),
                               bias: bias)
        }
        let kind: Kind
        switch type {
        case "linear": kind = .linear(outputs: try required("outputs"), bias: bias)
        case "msr-linear": kind = .symmetricLinear(outputs: try required("outputs"), latentSize: try required("latentSize"), bias: bias)
        case "conv1d": kind = .conv1d(try convolution(oneDimensional: true))
        case "locally-connected1d": kind = .locallyConnected1d(try convolution(oneDimensional: true))
        case "conv2d": kind = .conv2d(try convolution(oneDimensional: false))
        case "msr-conv2d": kind = .symmetricConv2d(try convolution(oneDimensional: false), terms: try optional("terms") ?? 1)
        case "msr-conv2d-full": kind = .denseSymmetricConv2d(try convolution(oneDimensional: false), latentSize: try required("latentSize"))
        case "batch-norm": kind = .batchNorm
        case "relu": kind = .relu
        case "max-pool": kind = .maxPool(kernel: try required("kernel"), stride: try optional("stride"))
        case "avg-pool": kind = .avgPool(kernel: try required("kernel"), stride: try optional("stride"))
        default: kind = .flatten
        }
        self.init(kind, name: try optional("name"), adapt: try optional("adapt") ?? true)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: FieldKey.self)
        try c.encode(kind.typeName, forKey: FieldKey("type"))
        try c.encodeIfPresent(name, forKey: FieldKey("name"))
        if !adapt { try c.encode(false, forKey: FieldKey("adapt")) }
        func encode(_ conv: Convolution, oneDimensional: Bool, padding: Bool = true) throws {
            try c.encode(conv.channels, forKey: FieldKey("channels"))
            let sizes = [("kernel", conv.kernel), ("stride", conv.stride)] + (padding ? [("padding", conv.padding)] : [])
            for (field, size) in sizes {
                if oneDimensional { try c.encode(size.width, forKey: FieldKey(field)) } else { try c.encode(size, forKey: FieldKey(field)) }
            }
            try c.encode(conv.bias, forKey: FieldKey("bias"))
        }
        switch kind {
        case let .linear(outputs, bias):
            try c.encode(outputs, forKey: FieldKey("outputs")); try c.encode(bias, forKey: FieldKey("bias"))
        case let .symmetricLinear(outputs, latentSize, bias):
            try c.encode(outputs, forKey: FieldKey("outputs")); try c.encode(latentSize, forKey: FieldKey("latentSize"))
            try c.encode(bias, forKey: FieldKey("bias"))
        case let .conv1d(conv): try encode(conv, oneDimensional: true)
        case let .locallyConnected1d(conv): try encode(conv, oneDimensional: true, padding: false)
        case let .conv2d(conv): try encode(conv, oneDimensional: false)
        case let .symmetricConv2d(conv, terms):
            try encode(conv, oneDimensional: false)
            if terms != 1 { try c.encode(terms, forKey: FieldKey("terms")) }
        case let .denseSymmetricConv2d(conv, latentSize):
            try encode(conv, oneDimensional: false); try c.encode(latentSize, forKey: FieldKey("latentSize"))
        case .batchNorm, .relu, .flatten: break
        case let .maxPool(kernel, stride), let .avgPool(kernel, stride):
            try c.encode(kernel, forKey: FieldKey("kernel")); try c.encodeIfPresent(stride, forKey: FieldKey("stride"))
        }
    }
}

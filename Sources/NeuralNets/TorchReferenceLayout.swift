import Foundation
import Tensors

/// Where each parameter of a network lives in the PyTorch code this package reproduces: its name in the
/// `state_dict()` of the equivalent `torch.nn` module and its shape there, and a Python expression that
/// builds that module. A state dict read with this layout loads with `module.load_state_dict(sd, strict=True)`.
///
/// Layers map to the reference code's modules (AllanYangZhou/metalearning-symmetries, `layers.py`) or to
/// `torch.nn`, parameter for parameter, by name only: every tensor keeps its elements in the same row-major
/// order (NumPy's and PyTorch's default), and only `LocallyConnected1d` gains the reference's leading axis of 1.
///
/// | layer | module | our key → reference name (shape) |
/// |---|---|---|
/// | `SymmetricLinear` | `ShareLinearFull(I, O, bias, latent_size=K)` | `symmetryMatrix` → `warp` (O·I, K), `filterParameters` → `latent_params` (K), `bias` → `bias` (O) |
/// | `SymmetricConv2d` | `ShareConv2d(C, D, (kh, kw), …)` | `weight` → `weight` (D, C, kh, kw), `symmetryMatrix.outputChannels` → `A_warp` (D, D), `.inputChannels` → `B_warp` (C, C), `.kernelTaps` → `C_warp` (kh·kw, kh·kw), `bias` → `bias` |
/// | `Linear`, `Conv1d`, `Conv2d` | `nn.Linear`, `nn.Conv1d`, `nn.Conv2d` | `weight`, `bias` unchanged |
/// | `LocallyConnected1d` | the reference's `LocallyConnected1d` | `weight` (D, C, P, k) → (1, D, C, P, k), `bias` (D, P) → (1, D, P) |
/// | `BatchNorm` | `nn.BatchNorm2d(C, track_running_stats=False)` | `scale` → `weight`, `shift` → `bias` (no running statistics: batch statistics are always used) |
///
/// A lone layer is wrapped as the reference scripts wrap their models, `nn.Sequential(layer)`, so MSR-FC's
/// U is `0.warp`. A `Sequential` is an `nn.Sequential` with the same child names ("0", "1", … or its own),
/// and `Conv4` is `nn.Sequential` of named blocks `block1` … `block4`, each `conv`, `norm`, `relu`, `pool`,
/// then `flatten` and `head`: `block1.conv.weight`, `block1.norm.weight`, `head.bias`, ….
/// `DenseSymmetricConv2d` (msr-conv-full) has no counterpart in the reference code.
public struct TorchReferenceLayout: Sendable, Equatable {
    /// One parameter: this package's key, the reference name, and the reference shape.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var name: String
        public var shape: [Int]

        public init(key: String, name: String, shape: [Int]) {
            self.key = key
            self.name = name
            self.shape = shape
        }
    }

    /// Every parameter of the network, in the order of the module's `state_dict()`.
    public var entries: [Entry]
    /// A Python expression that builds the module (`nn` is `torch.nn`; `ShareLinearFull`, `ShareConv2d` and
    /// `LocallyConnected1d` are the reference code's `layers.py`; `OrderedDict` is `collections.OrderedDict`).
    public var module: String

    public init(entries: [Entry], module: String) {
        self.entries = entries
        self.module = module
    }

    /// The layout of `model`; throws `TorchReferenceError.noReferenceLayer` for a layer without a counterpart.
    public init(of model: any Layer) throws {
        if model is Sequential || model is Conv4 {
            (entries, module) = try Self.layout(model, prefix: "")
        } else {
            // The reference scripts' nets are `nn.Sequential(layer)`.
            let (inner, module) = try Self.layout(model, prefix: "0")
            (entries, self.module) = (inner, "nn.Sequential(\(module))")
        }
    }

    /// The entry of a reference name or of one of this package's keys.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } ?? entries.first { $0.key == name } }

    /// The reference name of this package's key `key`.
    public func name(ofKey key: String) -> String? { entries.first { $0.key == key }?.name }

    /// The network's parameters under the reference names and shapes (the same elements, reshaped).
    /// Throws when `parameters` lacks one of the layout's keys or holds one the layout does not know (other
    /// than the learned inner rates, which are not module parameters), or a tensor has the wrong size.
    public func exported(_ parameters: Parameters, ignoring ignored: (String) -> Bool = { _ in false }) throws -> [String: Tensor] {
        let known = Set(entries.map(\.key))
        if let stray = parameters.keys.first(where: { !known.contains($0) && !ignored($0) }) {
            throw TorchReferenceError.unmappedParameter(key: stray)
        }
        var out: [String: Tensor] = [:]
        for e in entries {
            guard parameters.contains(e.key) else { throw TorchReferenceError.missingParameter(key: e.key, name: e.name) }
            let t = parameters[e.key]
            guard t.count == e.shape.reduce(1, *) else {
                throw TorchReferenceError.shapeMismatch(name: e.key, expected: e.shape, found: t.shape)
            }
            out[e.name] = t.detached().reshaped(e.shape)
        }
        return out
    }

    /// `parameters` with the tensors of `tensors` in place of theirs: each named by its reference name (in
    /// the reference shape) or by this package's key (in this package's shape), converted to the dtype of
    /// the tensor it replaces. Any subset may be given (a U alone, or the whole model). Returns the new
    /// parameters and the keys replaced; throws, naming the tensor, for a name the layout does not know or
    /// a shape other than the expected one.
    public func imported(_ tensors: [String: Tensor], into parameters: Parameters) throws -> (parameters: Parameters, replaced: [String]) {
        var p = parameters
        var replaced: [String] = []
        for name in tensors.keys.sorted() {
            guard let e = entry(named: name) else {
                throw TorchReferenceError.unknownTensor(name: name, expected: entries.map(\.name))
            }
            let t = tensors[name]!, current = parameters[e.key]
            let expected = name == e.name ? e.shape : current.shape
            guard t.shape == expected else { throw TorchReferenceError.shapeMismatch(name: name, expected: expected, found: t.shape) }
            guard !replaced.contains(e.key) else { throw TorchReferenceError.duplicateTensor(key: e.key) }
            p[e.key] = t.to(current.dtype).reshaped(current.shape)
            replaced.append(e.key)
        }
        return (p, replaced)
    }

    // MARK: - Layers

    /// The entries of `layer` whose parameters sit under `prefix` in both namings (reference prefix ==
    /// ours, except "0" for a lone layer whose own keys have no prefix), and its module expression.
    static func layout(_ layer: any Layer, prefix: String, ourPrefix: String = "") throws -> ([Entry], String) {
        func entry(_ key: String, _ name: String, _ shape: [Int]) -> Entry {
            Entry(key: Parameters.key(key, under: ourPrefix), name: Parameters.key(name, under: prefix), shape: shape)
        }
        func bias(_ has: Bool, _ shape: [Int]) -> [Entry] { has ? [entry("bias", "bias", shape)] : [] }
        func py(_ b: Bool) -> String { b ? "True" : "False" }
        func pair(_ p: (Int, Int)) -> String { "(\(p.0), \(p.1))" }
        switch layer {
        case let l as SymmetricLinear:
            let entries = [entry(SymmetricLinear.filterParametersKey, "latent_params", [l.latentSize]),
                           entry(SymmetricLinear.symmetryMatrixKey, "warp", [l.outputFeatures * l.inputFeatures, l.latentSize])]
                + bias(l.hasBias, [l.outputFeatures])
            return (entries, "ShareLinearFull(\(l.inputFeatures), \(l.outputFeatures), bias=\(py(l.hasBias)), latent_size=\(l.latentSize))")
        case let l as SymmetricConv2d:
            // ShareConv2d holds one Kronecker product; a sum of r > 1 has no reference counterpart.
            guard l.terms == 1 else { throw TorchReferenceError.noReferenceLayer(layer: "SymmetricConv2d with \(l.terms) Kronecker terms", key: ourPrefix) }
            // nn.Conv2d registers weight and bias first, then ShareConv2d adds A_warp, B_warp, C_warp.
            let entries = [entry("weight", "weight", [l.outputChannels, l.inputChannels, l.kernelSize.0, l.kernelSize.1])]
                + bias(l.hasBias, [l.outputChannels])
                + [entry(SymmetricConv2d.outputChannelsKey, "A_warp", [l.outputChannels, l.outputChannels]),
                   entry(SymmetricConv2d.inputChannelsKey, "B_warp", [l.inputChannels, l.inputChannels]),
                   entry(SymmetricConv2d.kernelTapsKey, "C_warp", [l.taps, l.taps])]
            return (entries, "ShareConv2d(\(l.inputChannels), \(l.outputChannels), \(pair(l.kernelSize)), stride=\(pair(l.stride)), "
                        + "padding=\(pair(l.padding)), bias=\(py(l.hasBias)))")
        case let l as Linear:
            return ([entry("weight", "weight", [l.outputFeatures, l.inputFeatures])] + bias(l.hasBias, [l.outputFeatures]),
                    "nn.Linear(\(l.inputFeatures), \(l.outputFeatures), bias=\(py(l.hasBias)))")
        case let l as Conv1d:
            return ([entry("weight", "weight", [l.outputChannels, l.inputChannels, l.kernelSize])] + bias(l.hasBias, [l.outputChannels]),
                    "nn.Conv1d(\(l.inputChannels), \(l.outputChannels), \(l.kernelSize), stride=\(l.stride), padding=\(l.padding), bias=\(py(l.hasBias)))")
        case let l as Conv2d:
            return ([entry("weight", "weight", [l.outputChannels, l.inputChannels, l.kernelSize.0, l.kernelSize.1])] + bias(l.hasBias, [l.outputChannels]),
                    "nn.Conv2d(\(l.inputChannels), \(l.outputChannels), \(pair(l.kernelSize)), stride=\(pair(l.stride)), padding=\(pair(l.padding)), bias=\(py(l.hasBias)))")
        case let l as LocallyConnected1d:
            return ([entry("weight", "weight", [1, l.outputChannels, l.inputChannels, l.outputSize, l.kernelSize])]
                    + bias(l.hasBias, [1, l.outputChannels, l.outputSize]),
                    "LocallyConnected1d(\(l.inputChannels), \(l.outputChannels), \(l.outputSize), kernel_size=\(l.kernelSize), stride=\(l.stride), bias=\(py(l.hasBias)))")
        case let l as BatchNorm:
            return ([entry(BatchNorm.scaleKey, "weight", [l.channels]), entry(BatchNorm.shiftKey, "bias", [l.channels])],
                    "nn.BatchNorm2d(\(l.channels), eps=\(l.epsilon), track_running_stats=False)")
        case is ReLU: return ([], "nn.ReLU()")
        case is Flatten: return ([], "nn.Flatten()")
        case let l as Pool2d:
            return ([], "nn.\(l.reduction == .max ? "MaxPool2d" : "AvgPool2d")(\(pair(l.kernelSize)), stride=\(pair(l.stride)))")
        case let s as Sequential:
            var entries: [Entry] = [], modules: [(String, String)] = []
            for (i, child) in s.children.enumerated() {
                let ours = s.prefix(ofChild: i), theirs = child.name ?? String(i)
                let (e, m) = try layout(child.layer, prefix: Parameters.key(theirs, under: prefix),
                                        ourPrefix: Parameters.key(ours, under: ourPrefix))
                entries += e
                modules.append((theirs, m))
            }
            let named = s.children.contains { $0.name != nil }
            return (entries, named ? "nn.Sequential(OrderedDict([\(modules.map { "(\"\($0.0)\", \($0.1))" }.joined(separator: ", "))]))"
                                   : "nn.Sequential(\(modules.map(\.1).joined(separator: ", ")))")
        case let c as Conv4:
            var entries: [Entry] = [], blocks: [String] = []
            for i in 1...Conv4.blockCount {
                let block = Conv4.blockName(i)
                let (ce, cm) = try layout(c.conv(i), prefix: Parameters.key(block + ".conv", under: prefix),
                                          ourPrefix: Parameters.key(block + ".conv", under: ourPrefix))
                let (ne, nm) = try layout(c.norm, prefix: Parameters.key(block + ".norm", under: prefix),
                                          ourPrefix: Parameters.key(block + ".norm", under: ourPrefix))
                entries += ce + ne
                blocks.append("(\"\(block)\", nn.Sequential(OrderedDict([(\"conv\", \(cm)), (\"norm\", \(nm)), "
                              + "(\"relu\", nn.ReLU()), (\"pool\", nn.MaxPool2d(2))])))")
            }
            blocks.append("(\"flatten\", nn.Flatten())")
            if let head = c.headLayer {
                let (he, hm) = try layout(head, prefix: Parameters.key("head", under: prefix), ourPrefix: Parameters.key("head", under: ourPrefix))
                entries += he
                blocks.append("(\"head\", \(hm))")
            }
            return (entries, "nn.Sequential(OrderedDict([\(blocks.joined(separator: ", "))]))")
        default:
            throw TorchReferenceError.noReferenceLayer(layer: String(describing: type(of: layer)), key: ourPrefix)
        }
    }

    /// The layer types with a reference counterpart.
    public static let supportedLayers = ["SymmetricLinear", "SymmetricConv2d", "Linear", "Conv1d", "Conv2d", "LocallyConnected1d",
                                         "BatchNorm", "ReLU", "Flatten", "Pool2d", "Sequential", "Conv4"]
}

/// A network or a file that does not fit the reference layout.
public enum TorchReferenceError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// A layer type (at `key`, the prefix of its parameters, "" for the model itself) with no module in the
    /// reference code or `torch.nn`.
    case noReferenceLayer(layer: String, key: String)
    /// The parameters lack `key` (reference name `name`).
    case missingParameter(key: String, name: String)
    /// The parameters hold `key`, which no layer of the network owns.
    case unmappedParameter(key: String)
    /// A file's tensor `name` is neither a reference name nor a key of the network.
    case unknownTensor(name: String, expected: [String])
    /// Tensor `name` has shape `found`, not `expected`.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// Two tensors of a file (a reference name and our key) name the same parameter `key`.
    case duplicateTensor(key: String)

    public var description: String {
        switch self {
        case let .noReferenceLayer(layer, key):
            return "\(layer)\(key.isEmpty ? "" : " (parameters \(key).*)") has no counterpart in the reference code or torch.nn "
                + "(the reference's synthetic models are ShareLinearFull and ShareConv2d); layers with a reference layout: "
                + TorchReferenceLayout.supportedLayers.joined(separator: ", ")
        case let .missingParameter(key, name): return "the parameters lack \(key) (reference name \(name))"
        case let .unmappedParameter(key): return "parameter \(key) belongs to no layer of the network"
        case let .unknownTensor(name, expected):
            return "tensor ‘\(name)’ is not a parameter of this network; expected some of: \(expected.joined(separator: ", "))"
        case let .shapeMismatch(name, expected, found):
            return "tensor ‘\(name)’ has shape \(found); expected \(expected)"
        case let .duplicateTensor(key): return "the file gives \(key) twice (under its reference name and under its own)"
        }
    }

    public var errorDescription: String? { description }
}

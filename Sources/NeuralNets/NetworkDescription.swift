import Foundation
import Tensors

/// A network described as data: the layers of a `Sequential`, read from JSON, whose input sizes are
/// inferred from the input shape the caller gives.
///
///     {"layers": [
///         {"type": "msr-linear", "outputs": 32, "latentSize": 8},
///         {"type": "relu"},
///         {"type": "msr-linear", "outputs": 68, "latentSize": 8, "bias": false}
///     ]}
///
/// (a bare array of layers reads the same). `LayerDescription` lists the layer types and their fields.
/// `network(inputShape:)` checks every layer against the shape it receives and throws
/// `NetworkDescriptionError.doesNotFit` naming the layer and both shapes when one cannot take it (a linear
/// layer after a convolution without a flatten, a kernel larger than its input).
///
/// Keys are those of `Sequential`: `<name or index>.<layer key>` (`0.symmetryMatrix`, `head.weight`), and a
/// one-layer unnamed description has its layer's own keys, so the built-in models are presets:
/// MSR-FC on (1, 70) is `[{"type": "msr-linear", "outputs": 68, "latentSize": 3, "bias": false}]`
/// with `SymmetricLinear(70, 68, latentSize: 3, bias: false)`'s keys, draws and outputs (see `conv4` for
/// Conv4 and MSR-Conv4).
public struct NetworkDescription: Equatable, Sendable {
    public var layers: [LayerDescription]

    public init(layers: [LayerDescription]) { self.layers = layers }

    /// Reads a description from JSON; throws `NetworkDescriptionError.invalidJSON` saying where and what.
    public init(json data: Data) throws {
        do {
            self = try JSONDecoder().decode(NetworkDescription.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error)
        }
    }

    /// Reads a description from a JSON file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NetworkDescriptionError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        try self.init(json: data)
    }

    /// The description as JSON (sorted keys, indented): what `init(json:)` reads back.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The network for inputs of per-example shape `inputShape` (no batch axis: (1, 70) for a 1-D signal,
    /// (1, 28, 28) for a grey image): x (N, …inputShape) → y (N, …outputShape(inputShape:)).
    public func network(inputShape: [Int]) throws -> Sequential { try built(inputShape: inputShape).network }

    /// The per-example shape of the network's output for inputs of `inputShape`.
    public func outputShape(inputShape: [Int]) throws -> [Int] { try built(inputShape: inputShape).outputShape }

    /// Builds every layer on the shape the one before gives, and checks the names.
    func built(inputShape: [Int]) throws -> (network: Sequential, outputShape: [Int]) {
        guard !layers.isEmpty else { throw NetworkDescriptionError.emptyNetwork }
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 >= 1 }) else { throw NetworkDescriptionError.invalidInputShape(inputShape) }
        var shape = inputShape
        var children: [Sequential.Child] = []
        var firstLayerOfPrefix: [String: Int] = [:]
        for (i, description) in layers.enumerated() {
            if let name = description.name, name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
                throw NetworkDescriptionError.invalidName(layer: i, name: name)
            }
            let prefix = Sequential.prefix(name: description.name, index: i, count: layers.count)
            if let first = firstLayerOfPrefix[prefix] { throw NetworkDescriptionError.duplicateName(layer: i, name: prefix, firstLayer: first) }
            firstLayerOfPrefix[prefix] = i
            let (layer, output) = try description.layer(inputShape: shape, index: i)
            children.append(Sequential.Child(layer, name: description.name, adapted: description.adapt))
            shape = output
        }
        return (Sequential(children), shape)
    }

    /// A decoding error as a sentence with its path (`layers[2].kernel`).
    static func describe(_ error: DecodingError) -> NetworkDescriptionError {
        func path(_ keys: [CodingKey]) -> String {
            keys.reduce("") { text, key in key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue) }
        }
        switch error {
        case let .keyNotFound(key, context):
            return .invalidJSON(path: path(context.codingPath), detail: "missing field ‘\(key.stringValue)’")
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let expected = [ObjectIdentifier(Int.self): "an integer", ObjectIdentifier(Bool.self): "true or false",
                            ObjectIdentifier(String.self): "a string"][ObjectIdentifier(type)] ?? "\(type)"
            return .invalidJSON(path: path(context.codingPath), detail: "expected \(expected)")
        case let .dataCorrupted(context):
            // At the top level it is the JSON itself that is broken (the parser's message says where).
            let parser = context.underlyingError.map { ": \($0.localizedDescription)" } ?? ""
            return .invalidJSON(path: path(context.codingPath), detail: context.codingPath.isEmpty ? "not valid JSON" + parser : context.debugDescription)
        @unknown default:
            return .invalidJSON(path: "", detail: "\(error)")
        }
    }
}

extension NetworkDescription: Codable {
    enum CodingKeys: String, CodingKey { case layers }

    /// `{"layers": [...]}` or the bare array.
    public init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var layers: [LayerDescription] = []
            while !array.isAtEnd { layers.append(try array.decode(LayerDescription.self)) }
            self.init(layers: layers)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(layers: try c.decode([LayerDescription].self, forKey: .layers))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers, forKey: .layers)
    }
}

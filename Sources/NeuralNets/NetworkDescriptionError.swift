import Foundation

/// Why a `NetworkDescription` cannot be read or cannot be built for an input shape. Shapes are per example
/// (no batch axis), as the description sees them; layers are counted from 0.
public enum NetworkDescriptionError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The JSON is not a network description: where (`layers[2].kernel`) and what was wrong.
    case invalidJSON(path: String, detail: String)
    /// The description has no layers.
    case emptyNetwork
    /// The caller's input shape has no axes or a size below 1.
    case invalidInputShape([Int])
    /// A field of layer `layer` is out of range.
    case invalidValue(layer: Int, type: String, field: String, value: Int, expected: String)
    /// A layer's name is empty, starts or ends with a dot, or has an empty segment.
    case invalidName(layer: Int, name: String)
    /// Two layers would keep their parameters under the same key prefix.
    case duplicateName(layer: Int, name: String, firstLayer: Int)
    /// Layer `layer` cannot take an input of shape `input`; `expected` says what it takes.
    case doesNotFit(layer: Int, type: String, input: [Int], expected: String)

    /// A shape as the messages write it: (1, 28, 28).
    public static func text(_ shape: [Int]) -> String { "(" + shape.map(String.init).joined(separator: ", ") + ")" }

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "cannot read the network description \(path): \(reason)"
        case let .invalidJSON(path, detail):
            return "network description, \(path.isEmpty ? "top level" : path): \(detail)"
        case .emptyNetwork:
            return "the network description has no layers; expected {\"layers\": [{\"type\": …}, …]}"
        case let .invalidInputShape(shape):
            return "input shape \(Self.text(shape)) cannot feed a network: expected one or more sizes, each ≥ 1"
        case let .invalidValue(layer, type, field, value, expected):
            return "layer \(layer) (\(type)): \(field) \(value) is out of range; expected \(expected)"
        case let .invalidName(layer, name):
            return "layer \(layer): name ‘\(name)’ cannot prefix parameter keys; expected non-empty dot-separated words such as ‘block1.conv’"
        case let .duplicateName(layer, name, firstLayer):
            return "layer \(layer): name ‘\(name)’ is already the key prefix of layer \(firstLayer); expected distinct names"
        case let .doesNotFit(layer, type, input, expected):
            return "layer \(layer) (\(type)) cannot take an input of shape \(Self.text(input)): expected \(expected)"
        }
    }

    public var errorDescription: String? { description }
}

import Datasets
import Foundation
import NeuralNets
import Tensors

/// A saved meta-training run: the meta-parameters, Adam's state, the step, and the experiment that made
/// them. Stored as `DIR/checkpoint.safetensors` (tensors `meta.<key>`, `adam.m.<key>`, `adam.v.<key>`;
/// metadata `kind`, `step`, `adam_step`, `experiment` as JSON) plus a readable `DIR/experiment.json`. Each file
/// is written to a temporary file and renamed, so an interrupted save leaves the previous checkpoint intact.
/// Checkpoints written before `kind` existed still load: their kind is read from the experiment they hold.
public struct Checkpoint<Experiment: MetaLearning.Experiment>: Sendable {
    public var experiment: Experiment
    public var state: MetaTrainingState

    public init(experiment: Experiment, state: MetaTrainingState) {
        self.experiment = experiment
        self.state = state
    }

    public static func file(in directory: URL) -> URL { directory.appendingPathComponent("checkpoint.safetensors") }

    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var tensors: [String: Tensor] = [:]
        for (k, v) in state.metaParameters { tensors["meta." + k] = v.detached() }
        for (k, v) in state.optimizer.firstMoment { tensors["adam.m." + k] = v.detached() }
        for (k, v) in state.optimizer.secondMoment { tensors["adam.v." + k] = v.detached() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = String(decoding: try encoder.encode(experiment), as: UTF8.self)
        let metadata = ["format": "msr-checkpoint-1", "kind": Experiment.kind.rawValue, "step": String(state.step), "adam_step": String(state.optimizer.step),
                        "experiment": json]
        try SafeTensors(tensors: tensors, metadata: metadata).write(to: Self.file(in: directory))
        try AtomicFile.write(Data(json.utf8), to: directory.appendingPathComponent("experiment.json"))
    }

    public init(contentsOf directory: URL) throws {
        let url = Self.file(in: directory)
        guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.missing(url.path) }
        let file = try SafeTensors(contentsOf: url)
        guard file.metadata["format"] == "msr-checkpoint-1", let stepText = file.metadata["step"], let step = Int(stepText),
              let adamText = file.metadata["adam_step"], let adamStep = Int(adamText),
              let json = file.metadata["experiment"] else {
            throw CheckpointError.malformed(url.path, "expected metadata format = msr-checkpoint-1, step, adam_step and experiment")
        }
        if let kind = file.metadata["kind"], kind != Experiment.kind.rawValue {
            throw CheckpointError.wrongKind(url.path, found: kind, expected: Experiment.kind.rawValue)
        }
        do {
            experiment = try JSONDecoder().decode(Experiment.self, from: Data(json.utf8))
        } catch {
            throw CheckpointError.malformed(url.path, "the experiment description does not decode: \(error)")
        }
        func group(_ prefix: String) -> Parameters {
            var p = Parameters()
            for (k, v) in file.tensors where k.hasPrefix(prefix) { p[String(k.dropFirst(prefix.count))] = v }
            return p
        }
        var optimizer = Adam.State()
        optimizer.step = adamStep
        optimizer.firstMoment = group("adam.m.")
        optimizer.secondMoment = group("adam.v.")
        state = MetaTrainingState(metaParameters: group("meta."), optimizer: optimizer, step: step)
        guard state.metaParameters.count > 0 else { throw CheckpointError.malformed(url.path, "it holds no meta.* parameters") }
    }
}

/// Which kind of run the checkpoint in `directory` holds: its `kind` metadata, or for a checkpoint written
/// before that field existed, the kind whose experiment description its metadata decodes as.
public func checkpointKind(in directory: URL) throws -> ExperimentKind {
    let url = Checkpoint<RegressionExperiment>.file(in: directory)
    guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.missing(url.path) }
    let file = try SafeTensors(contentsOf: url)
    if let text = file.metadata["kind"] {
        guard let kind = ExperimentKind(rawValue: text) else {
            throw CheckpointError.malformed(url.path, "unknown kind ‘\(text)’; expected one of \(ExperimentKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }
    let json = Data((file.metadata["experiment"] ?? "").utf8)
    if (try? JSONDecoder().decode(FewShotExperiment.self, from: json)) != nil { return .fewShot }
    return .regression
}

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missing(String)
    case malformed(String, String)
    case wrongKind(String, found: String, expected: String)

    public var description: String {
        switch self {
        case .missing(let path): return "no checkpoint at \(path) (expected a directory written by --checkpoint)"
        case let .malformed(path, why): return "\(path) is not a usable checkpoint: \(why)"
        case let .wrongKind(path, found, expected): return "\(path) holds a \(found) run, not a \(expected) run"
        }
    }
}

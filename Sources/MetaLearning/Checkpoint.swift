import Datasets
import Foundation
import NeuralNets
import Tensors

/// A saved meta-training run: the meta-parameters, Adam's state, the step, and the experiment that made
/// them. Stored as `DIR/checkpoint.safetensors` (tensors `meta.<key>`, `adam.m.<key>`, `adam.v.<key>`;
/// metadata `kind`, `step`, `adam_step`, `experiment` and `evaluations` as JSON) plus a readable
/// `DIR/experiment.json`. Each file is written to a temporary file and renamed, so an interrupted save leaves the
/// previous checkpoint intact. Checkpoints written before `kind` existed still load: their kind is read from the
/// experiment they hold.
///
/// A file may be hostile or hand-edited: reading one validates its configuration (`Experiment.validate`), and
/// `state(fitting:)` checks every tensor against what the model needs before anything uses it.
public struct Checkpoint<Experiment: MetaLearning.Experiment>: Sendable {
    public var experiment: Experiment
    public var state: MetaTrainingState
    /// Where it was read from (for messages); empty for one made in memory.
    public var path = ""

    public init(experiment: Experiment, state: MetaTrainingState) {
        self.experiment = experiment
        self.state = state
    }

    public static func file(in directory: URL) -> URL { directory.appendingPathComponent("checkpoint.safetensors") }

    public func write(to directory: URL) throws {
        do { try AtomicFile.createDirectory(directory) } catch DatasetError.unwritableFile(_, let reason) {
            throw CheckpointError.unwritable(directory.path, reason)
        }
        var tensors: [String: Tensor] = [:]
        for (k, v) in state.metaParameters { tensors["meta." + k] = v.detached() }
        for (k, v) in state.optimizer.firstMoment { tensors["adam.m." + k] = v.detached() }
        for (k, v) in state.optimizer.secondMoment { tensors["adam.v." + k] = v.detached() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = String(decoding: try encoder.encode(experiment), as: UTF8.self)
        // A periodic evaluation's train loss is nan when no batch ran since the previous one.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let evaluations = String(decoding: try encoder.encode(state.evaluations), as: UTF8.self)
        let metadata = ["format": "msr-checkpoint-1", "kind": Experiment.kind.rawValue, "step": String(state.step), "adam_step": String(state.optimizer.step),
                        "experiment": json, "evaluations": evaluations]
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
        do { try experiment.validate() } catch let error as ConfigurationError {
            throw CheckpointError.invalidConfiguration(url.path, error)
        }
        path = directory.path
        // Checkpoints written before the evaluations were kept hold none.
        var evaluations: [Evaluation] = []
        if let text = file.metadata["evaluations"] {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            guard let list = try? decoder.decode([Evaluation].self, from: Data(text.utf8)) else {
                throw CheckpointError.malformed(url.path, "its evaluations (metadata) do not decode as a list of {step, test, trainLoss, …}")
            }
            evaluations = list
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
        guard step >= 0, adamStep >= 0 else { throw CheckpointError.malformed(url.path, "step \(step) and adam_step \(adamStep) must be at least 0") }
        state = MetaTrainingState(metaParameters: group("meta."), optimizer: optimizer, step: step, evaluations: evaluations)
        guard state.metaParameters.count > 0 else { throw CheckpointError.malformed(url.path, "it holds no meta.* parameters") }
    }

    /// The saved state, checked against `template` (the meta-parameters the experiment's model starts from):
    /// every `meta.*` tensor present with the template's shape and no other, every value finite, and Adam's
    /// moments either absent (a run saved before its first step) or one `adam.m.*` and one `adam.v.*` per
    /// parameter with its shape. Float64 tensors (a valid safetensors dtype) are converted to the template's
    /// element type. Throws `CheckpointError.incompatible` naming the tensor, the expected and the found shape.
    public func state(fitting template: Parameters) throws -> MetaTrainingState {
        func fitted(_ saved: Parameters, _ prefix: String) throws -> Parameters {
            for key in saved.keys where !template.contains(key) {
                throw CheckpointError.incompatible(path, tensor: prefix + key, expected: "absent (the model has no such tensor)",
                                                   found: shapeText(saved[key].shape))
            }
            var out = Parameters()
            for (key, t) in template {
                guard saved.contains(key) else {
                    throw CheckpointError.incompatible(path, tensor: prefix + key, expected: shapeText(t.shape), found: "no such tensor")
                }
                let s = saved[key]
                guard s.shape == t.shape else {
                    throw CheckpointError.incompatible(path, tensor: prefix + key, expected: shapeText(t.shape), found: shapeText(s.shape))
                }
                guard s.isFinite else { throw CheckpointError.nonFinite(path, tensor: prefix + key) }
                out[key] = s.to(t.dtype)
            }
            return out
        }
        var fitting = state
        fitting.metaParameters = try fitted(state.metaParameters, "meta.")
        let moments = state.optimizer
        if moments.step == 0 && moments.firstMoment.count == 0 && moments.secondMoment.count == 0 { return fitting }
        guard moments.step > 0 else {
            throw CheckpointError.malformed(path, "adam_step is 0 but it holds Adam moments (adam.m.*, adam.v.*)")
        }
        fitting.optimizer.firstMoment = try fitted(moments.firstMoment, "adam.m.")
        fitting.optimizer.secondMoment = try fitted(moments.secondMoment, "adam.v.")
        return fitting
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
    /// A tensor the model needs is missing or has another shape, or the model has no such tensor.
    case incompatible(String, tensor: String, expected: String, found: String)
    case nonFinite(String, tensor: String)
    case invalidConfiguration(String, ConfigurationError)
    /// The directory cannot be written (with the system's reason).
    case unwritable(String, String)

    public var description: String {
        switch self {
        case let .incompatible(path, tensor, expected, found):
            return "\(path) does not fit its model: tensor \(tensor) should be \(expected), found \(found)"
        case let .nonFinite(path, tensor):
            return "\(path) holds non-finite values (NaN or ∞) in \(tensor); a diverged run's weights cannot be used"
        case let .invalidConfiguration(path, error):
            return "\(path) holds an unusable configuration (its experiment metadata): \(error.description)"
        case let .unwritable(path, why):
            return "cannot write the checkpoint to \(path): \(why)"
        case .missing(let path): return "no checkpoint at \(path) (expected a directory written by --checkpoint)"
        case let .malformed(path, why): return "\(path) is not a usable checkpoint: \(why)"
        case let .wrongKind(path, found, expected): return "\(path) holds a \(found) run, not a \(expected) run"
        }
    }
}

extension Checkpoint {
    /// The saved state checked against `trainer`'s model (`state(fitting:)` with the model's fresh parameters).
    public func state(for trainer: Trainer<Experiment.Problem>) throws -> MetaTrainingState {
        try state(fitting: trainer.initialState().metaParameters)
    }
}

extension Checkpoint where Experiment == FewShotExperiment {
    /// The saved state checked against the run's Conv4 (no data is read: the network alone sets the shapes).
    public func checkedState() throws -> MetaTrainingState {
        var g = SplitMix64(seed: 0)
        return try state(fitting: FewShotLearner(configuration: experiment.training).initialMetaParameters(using: &g))
    }
}

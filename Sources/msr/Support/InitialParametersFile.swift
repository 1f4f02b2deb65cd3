import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors

/// `msr train --init-from FILE.safetensors`: a run that starts from parameters in a file instead of (some of)
/// its fresh ones, e.g. a U learned elsewhere, or a whole model written by `msr export`. Tensors are named by
/// the reference layout (`TorchReferenceLayout`: `0.warp`, `block1.conv.A_warp`, …, in the reference shapes)
/// or by this package's keys (`symmetryMatrix`, in this package's shapes); any subset may be given. Metadata
/// `<name>_lr` (what `msr export` writes) sets the learned inner rate of parameter `name`.
struct InitialParametersFile {
    var path: String
    var safeTensors: SafeTensors

    init(_ path: String) throws {
        self.path = path
        safeTensors = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
    }

    /// The layout the file's names are read with: the reference layout of `network`, or for a network
    /// without one (msr-conv-full) this package's own keys.
    static func layout(of network: any Layer, _ parameters: Parameters) -> TorchReferenceLayout {
        if let layout = try? TorchReferenceLayout(of: network) { return layout }
        let own = parameters.keys.filter { !$0.hasPrefix(InnerLoop.learningRateKey("")) }
        return TorchReferenceLayout(entries: own.map { .init(key: $0, name: $0, shape: parameters[$0].shape) }, module: "")
    }

    /// `metaParameters` with the file's tensors (and inner rates) in place of theirs; returns them and a line
    /// saying what was replaced. Throws `InitialParametersError`, naming the file and the tensor, for a name
    /// the network does not have or a shape other than the expected one.
    func applied(to metaParameters: Parameters, network: any Layer) throws -> (Parameters, String) {
        let layout = Self.layout(of: network, metaParameters)
        var (p, replaced): (Parameters, [String])
        do { (p, replaced) = try layout.imported(safeTensors.tensors, into: metaParameters) } catch let error as TorchReferenceError {
            throw InitialParametersError(path: path, reason: error.description)
        }
        var rates: [String] = []
        for e in layout.entries {
            guard let text = safeTensors.metadata[e.name + "_lr"] else { continue }
            let key = InnerLoop.learningRateKey(e.key)
            guard p.contains(key) else {
                throw InitialParametersError(path: path, reason: "metadata \(e.name)_lr sets an inner rate, but \(e.name) is not adapted by this run's inner loop")
            }
            guard let rate = Double(text), rate.isFinite else {
                throw InitialParametersError(path: path, reason: "metadata \(e.name)_lr is ‘\(text)’; expected a finite number")
            }
            p[key] = Tensor(rate, dtype: p[key].dtype).reshaped(p[key].shape)
            rates.append(e.name + "_lr")
        }
        guard !replaced.isEmpty || !rates.isEmpty else {
            throw InitialParametersError(path: path, reason: "it holds no tensors; expected some of: \(layout.entries.map(\.name).joined(separator: ", "))")
        }
        let names = replaced.map { layout.name(ofKey: $0) ?? $0 }
        return (p, "initial parameters from \(path): " + (names + rates).joined(separator: ", "))
    }
}

extension InitialParametersFile {
    /// Replaces `state`'s fresh parameters by the file's, printing what was replaced unless `quiet`.
    func apply<P>(to state: inout MetaTrainingState, trainer: Trainer<P>, quiet: Bool) throws {
        guard let network = trainer.network else { throw InitialParametersError(path: path, reason: "this kind of run has no network to initialise") }
        let line: String
        (state.metaParameters, line) = try applied(to: state.metaParameters, network: network)
        if !quiet { print(line) }
    }
}

/// A `--init-from` file that does not fit the network being trained.
struct InitialParametersError: Error, CustomStringConvertible, LocalizedError {
    var path: String
    var reason: String
    var description: String { "--init-from \(path): \(reason)" }
    var errorDescription: String? { description }
}

extension Trainer {
    /// The network this trainer meta-trains (regression: the model; few-shot: the learner's Conv4).
    var network: (any Layer)? {
        (problem as? RegressionProblem)?.model ?? (problem as? FewShotProblem)?.learner.network
    }
}

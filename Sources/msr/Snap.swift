import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Symmetry
import Tensors

extension MSR {
    /// `msr snap`: make a learned symmetry exact. A command of its own rather than an `inspect` flag: inspect
    /// only reads, snap writes a checkpoint and evaluates two models, with flags (--output, --orthonormalise,
    /// --test-tasks, --threads) inspect has no use for.
    struct Snap: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Project a checkpoint's symmetry matrices onto a group, write the snapped checkpoint, and evaluate both.",
            discussion: """
            Each MSR layer's U becomes U' = P_G·U: every column, read as a weight, replaced by its average over the
            group G (the G-equivariant part), so W = reshape(U'·v) is exactly G-equivariant for every v. The group
            is a name `msr inspect` prints for the layer (translation, reversal, translation+reversal, c4, c2, d4,
            flip, …; the channel permutation and field size are the ones its search found best), or `named` for
            the group it names. The snapped and the original model are then evaluated on the same held-out
            tasks. Only dense symmetry matrices snap (msr-fc, msr-conv-full, msr-linear, msr-conv2d-full).
            """)

        @Option(help: "A directory written by `msr train --checkpoint`.")
        var checkpoint: String

        @Option(help: "The group: a name `msr inspect` prints for the layer (translation, c4, d4, …) or `named`.")
        var group: String

        @Option(help: "Where to write the snapped checkpoint (a new directory).")
        var output: String

        @Option(name: .customLong("layer"), parsing: .singleValue, help: "Snap only this layer (a prefix `msr inspect` prints; repeatable; default: every MSR layer).")
        var layers: [String] = []

        @Flag(help: "Orthonormalise U' (U' = Q·R, keep Q and set v to R·v, so the initial weights stay the same).")
        var orthonormalise = false

        @Option(name: .customLong("test-tasks"), help: "Held-out tasks, or meta-test episodes of a few-shot run (default: the run's own setting).")
        var testTasks: Int?

        @Option(help: "Random g samples for the group search.")
        var samples = 50

        @Option(help: "The largest defect of a group `named` may name.")
        var threshold = GroupSearch.defaultThreshold

        @Option(help: "Threads (default: all cores).")
        var threads: Int = availableProcessorCount

        @Flag(help: "Print the result as JSON on standard output.")
        var json = false

        func validate() throws {
            if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples).") }
            if !(threshold > 0 && threshold < 1) { throw ValidationError("--threshold must lie in (0, 1), got \(threshold).") }
            if let testTasks, testTasks < 1 { throw ValidationError("--test-tasks must be at least 1, got \(testTasks).") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1, got \(threads).") }
            if URL(fileURLWithPath: output).standardizedFileURL == URL(fileURLWithPath: checkpoint).standardizedFileURL {
                throw ValidationError("--output must be another directory than --checkpoint (the original is evaluated beside the snapped one).")
            }
        }

        func run() throws {
            let directory = URL(fileURLWithPath: checkpoint)
            switch try checkpointKind(in: directory) {
            case .regression:
                var saved = try Checkpoint<RegressionExperiment>(contentsOf: directory)
                let trainer = try saved.experiment.trainer(threads: 1)
                saved.state = try saved.state(for: trainer)
                try snap(saved, model: trainer.model)
            case .fewShot:
                var saved = try Checkpoint<FewShotExperiment>(contentsOf: directory)
                saved.state = try saved.checkedState()
                try snap(saved, model: saved.experiment.training.network)
            }
        }

        /// The result `--json` prints.
        struct Output: Encodable {
            var group: String
            var orthonormalised: Bool
            var layers: [SymmetryMatrix.SnapReport]
            var output: String
            var unsnapped: CheckpointEvaluation
            var snapped: CheckpointEvaluation
        }

        func snap<E: PresentedExperiment>(_ saved: Checkpoint<E>, model: any Layer) throws {
            let out = URL(fileURLWithPath: output)
            if FileManager.default.fileExists(atPath: Checkpoint<E>.file(in: out).path) {
                throw ValidationError("\(output) already holds a checkpoint; choose another --output directory.")
            }
            let (parameters, reports) = try SymmetryMatrix.snap(network: model, saved.state.metaParameters, group: group,
                                                                layers: layers.isEmpty ? nil : layers, orthonormalise: orthonormalise,
                                                                samples: samples, threshold: threshold)
            var state = saved.state
            state.metaParameters = parameters
            // Adam's moments belong to the parameters before the snap: those of the changed keys start again at 0.
            for (key, value) in parameters where !(value.scalars == saved.state.metaParameters[key].scalars) {
                if state.optimizer.firstMoment.contains(key) { state.optimizer.firstMoment[key] = Tensor.zeros(value.shape, dtype: value.dtype) }
                if state.optimizer.secondMoment.contains(key) { state.optimizer.secondMoment[key] = Tensor.zeros(value.shape, dtype: value.dtype) }
            }
            let snappedCheckpoint = Checkpoint(experiment: saved.experiment, state: state)
            try snappedCheckpoint.write(to: out)
            let communicator = SingleProcess()
            let before = try CheckpointEvaluation(saved, testEpisodes: testTasks, threads: threads, communicator: communicator, figures: false)
            let after = try CheckpointEvaluation(snappedCheckpoint, testEpisodes: testTasks, threads: threads, communicator: communicator, figures: false)
            if json {
                let result = Output(group: group, orthonormalised: orthonormalise, layers: reports, output: out.path, unsnapped: before, snapped: after)
                print(String(decoding: try CheckpointEvaluation.json(result), as: UTF8.self))
                return
            }
            for r in reports {
                print("\(r.prefix.isEmpty ? "(model)" : r.prefix) \(r.layer): U snapped onto \(r.description)"
                      + (orthonormalise ? " and orthonormalised" : "") + "; defect of P·g \(String(format: "%.3g", r.defectBefore)) → "
                      + "\(String(format: "%.3g", r.defectAfter)), ‖U' − U‖/‖U‖ = \(String(format: "%.3g", r.change))")
            }
            print("unsnapped: \(before.resultLine)")
            print("snapped:   \(after.resultLine)  (\(output))")
        }
    }
}

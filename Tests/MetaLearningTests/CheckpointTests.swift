import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors
import TestSupport
import XCTest

/// A checkpoint may be hostile or hand-edited: every tensor is checked against the model and every configuration
/// value validated before use, each case a typed error naming what was expected (issue 14, item 1).
final class CheckpointTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("msr-checkpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func experiment() -> RegressionExperiment {
        var c = MetaTrainingConfiguration()
        c.steps = 2
        c.metaBatchSize = 2
        c.testTasks = 4
        return RegressionExperiment(problem: .rank1, model: .msrFC, taskCount: 20, training: c)
    }

    /// A checkpoint of `experiment()` after two steps (so Adam's moments exist), in a fresh directory.
    func saved() throws -> (dir: URL, trainer: MetaTrainer, state: MetaTrainingState) {
        let trainer = try experiment().trainer(threads: 1)
        var state = trainer.initialState()
        _ = try trainer.train(&state)
        let dir = try temporaryDirectory()
        try Checkpoint(experiment: experiment(), state: state).write(to: dir)
        return (dir, trainer, state)
    }

    /// Rewrites the checkpoint's tensors (and metadata) through `edit`.
    func edit(_ dir: URL, _ edit: (inout [String: Tensor], inout [String: String]) -> Void) throws {
        let url = Checkpoint<RegressionExperiment>.file(in: dir)
        let file = try SafeTensors(contentsOf: url)
        var tensors = file.tensors, metadata = file.metadata
        edit(&tensors, &metadata)
        try SafeTensors(tensors: tensors, metadata: metadata).write(to: url)
    }

    func fittingError(_ dir: URL, _ trainer: MetaTrainer) -> CheckpointError? {
        do {
            _ = try Checkpoint<RegressionExperiment>(contentsOf: dir).state(for: trainer)
            return nil
        } catch { return error as? CheckpointError }
    }

    func testAValidCheckpointFitsAndKeepsItsEvaluations() throws {
        let (dir, trainer, state) = try saved()
        let loaded = try Checkpoint<RegressionExperiment>(contentsOf: dir)
        let fitted = try loaded.state(for: trainer)
        for key in state.metaParameters.keys { XCTAssertEqual(fitted.metaParameters[key].scalars, state.metaParameters[key].scalars, key) }
        // The learning curve travels with the checkpoint: evaluations after step 1 and 2.
        XCTAssertEqual(loaded.state.evaluations.map(\.step), [1, 2])
        XCTAssertEqual(loaded.state.evaluations, state.evaluations)
    }

    func testMissingExtraAndMisshapenTensorsNameTheTensorAndBothShapes() throws {
        let (dir, trainer, _) = try saved()
        let path = dir.path
        let u = "meta.symmetryMatrix"
        try edit(dir) { t, _ in t[u] = nil }
        XCTAssertEqual(fittingError(dir, trainer), .incompatible(path, tensor: u, expected: "(4760, 3)", found: "no such tensor"))
        let (dir2, _, _) = try saved()
        try edit(dir2) { t, _ in t[u] = t[u]!.sliced(axis: 1, 0..<2) }
        XCTAssertEqual(fittingError(dir2, trainer), .incompatible(dir2.path, tensor: u, expected: "(4760, 3)", found: "(4760, 2)"))
        try edit(dir2) { t, _ in t[u] = Tensor.zeros([3, 4760]) }
        XCTAssertEqual(fittingError(dir2, trainer), .incompatible(dir2.path, tensor: u, expected: "(4760, 3)", found: "(3, 4760)"))
        try edit(dir2) { t, _ in t[u] = Tensor.zeros([4760, 3]); t["meta.bogus"] = Tensor.zeros([2]) }
        XCTAssertEqual(fittingError(dir2, trainer),
                       .incompatible(dir2.path, tensor: "meta.bogus", expected: "absent (the model has no such tensor)", found: "(2)"))
        // A latent size edited in the configuration no longer matches the saved v and U.
        let (dir3, _, _) = try saved()
        try edit(dir3) { _, m in m["experiment"] = m["experiment"]!.replacingOccurrences(of: "\"latentSize\" : 3", with: "\"latentSize\" : 5") }
        var wider = experiment()
        wider.latentSize = 5
        XCTAssertEqual(fittingError(dir3, try wider.trainer(threads: 1)),
                       .incompatible(dir3.path, tensor: "meta.filterParameters", expected: "(5)", found: "(3)"))
    }

    func testAdamMomentsMustMatchOrBeAbsentBeforeTheFirstStep() throws {
        let (dir, trainer, _) = try saved()
        try edit(dir) { t, _ in t["adam.v.symmetryMatrix"] = Tensor.zeros([4760, 2]) }
        XCTAssertEqual(fittingError(dir, trainer),
                       .incompatible(dir.path, tensor: "adam.v.symmetryMatrix", expected: "(4760, 3)", found: "(4760, 2)"))
        let (dir2, _, _) = try saved()
        try edit(dir2) { t, _ in for k in t.keys where k.hasPrefix("adam.m.") { t[k] = nil } }
        XCTAssertEqual(fittingError(dir2, trainer),
                       .incompatible(dir2.path, tensor: "adam.m.filterParameters", expected: "(3)", found: "no such tensor"))
        // Before the first step there are no moments, and none is required.
        let fresh = try temporaryDirectory()
        try Checkpoint(experiment: experiment(), state: trainer.initialState()).write(to: fresh)
        XCTAssertNil(fittingError(fresh, trainer))
    }

    /// Float64 is a valid safetensors dtype: such a checkpoint loads, converted to the model's Float32.
    func testAFloat64CheckpointLoadsConverted() throws {
        let (dir, trainer, state) = try saved()
        try edit(dir) { t, _ in t = t.mapValues { $0.to(.float64) } }
        let fitted = try Checkpoint<RegressionExperiment>(contentsOf: dir).state(for: trainer)
        for key in state.metaParameters.keys {
            XCTAssertEqual(fitted.metaParameters[key].dtype, .float32, key)
            XCTAssertEqual(fitted.metaParameters[key].scalars, state.metaParameters[key].scalars, key)
        }
    }

    func testNonFiniteWeightsAreRefused() throws {
        let (dir, trainer, _) = try saved()
        try edit(dir) { t, _ in
            var v = t["meta.filterParameters"]!.scalars
            v[1] = .nan
            t["meta.filterParameters"] = Tensor(shape: [v.count], values: v, dtype: .float32)
        }
        XCTAssertEqual(fittingError(dir, trainer), .nonFinite(dir.path, tensor: "meta.filterParameters"))
    }

    /// The configuration in a checkpoint gets the command line's check: each value no run can use is an error
    /// naming the flag, the requirement and the value (meta-batch 0, inner steps −1, query or test count 0, …).
    func testAnEditedConfigurationIsValidatedLikeTheFlags() throws {
        let (dir, _, _) = try saved()
        let cases: [(String, String, ConfigurationError)] = [
            ("\"metaBatchSize\" : 2", "\"metaBatchSize\" : 0", ConfigurationError(flag: "--meta-batch", requirement: "at least 1", found: "0")),
            ("\"innerSteps\" : 1", "\"innerSteps\" : -1", ConfigurationError(flag: "--inner-steps", requirement: "at least 1", found: "-1")),
            ("\"queryCount\" : 19", "\"queryCount\" : 0", ConfigurationError(flag: "--k-qry", requirement: "at least 1", found: "0")),
            ("\"testTasks\" : 4", "\"testTasks\" : 0", ConfigurationError(flag: "--test-tasks", requirement: "at least 1", found: "0")),
            ("\"latentSize\" : 3", "\"latentSize\" : -2", ConfigurationError(flag: "--latent-size", requirement: "at least 0", found: "-2")),
            ("\"outerLearningRate\" : 0.001", "\"outerLearningRate\" : -1", ConfigurationError(flag: "--outer-lr", requirement: "a finite positive number", found: "-1.0")),
        ]
        let url = Checkpoint<RegressionExperiment>.file(in: dir)
        let original = try SafeTensors(contentsOf: url)
        for (from, to, expected) in cases {
            let json = original.metadata["experiment"]!
            XCTAssertTrue(json.contains(from), from)
            var metadata = original.metadata
            metadata["experiment"] = json.replacingOccurrences(of: from, with: to)
            try SafeTensors(tensors: original.tensors, metadata: metadata).write(to: url)
            XCTAssertThrowsError(try Checkpoint<RegressionExperiment>(contentsOf: dir), to) { error in
                XCTAssertEqual(error as? CheckpointError, .invalidConfiguration(url.path, expected))
            }
        }
    }

    /// A few-shot checkpoint is checked against its Conv4 the same way.
    func testAFewShotCheckpointIsCheckedAgainstItsNetwork() throws {
        var c = FewShotConfiguration(method: .maml)
        c.width = 4
        let learner = FewShotLearner(configuration: c)
        var g = SplitMix64(seed: 1)
        let template = learner.initialMetaParameters(using: &g)
        var state = MetaTrainingState(metaParameters: template)
        state.metaParameters["head.weight"] = Tensor.zeros([4, 4])
        let dir = try temporaryDirectory()
        try Checkpoint(experiment: FewShotExperiment(training: c), state: state).write(to: dir)
        let loaded = try Checkpoint<FewShotExperiment>(contentsOf: dir)
        XCTAssertThrowsError(try loaded.state(fitting: template)) { error in
            XCTAssertEqual(error as? CheckpointError, .incompatible(dir.path, tensor: "meta.head.weight",
                                                                   expected: "(" + template["head.weight"].shape.map(String.init).joined(separator: ", ") + ")",
                                                                   found: "(4, 4)"))
        }
    }
}

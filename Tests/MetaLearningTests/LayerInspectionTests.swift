import Datasets
import MetaLearning
import NeuralNets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// `LayerInspection` names each layer's group on small trained models: translation for MSR-FC after a short (600-step)
/// rank1 run, nothing for MAML-FC (the control) or for MSR-FC's random U before training; with U started at
/// the D8 family's d4 banks, d4 in fields of 16. `SymmetryInspection` takes its field size from the search.
final class LayerGroupNamingTests: XCTestCase {
    func experiment(_ model: RegressionModel, steps: Int) -> RegressionExperiment {
        var c = MetaTrainingConfiguration()
        (c.steps, c.metaBatchSize, c.outerLearningRate, c.testTasks, c.evaluationInterval) = (steps, 8, 0.01, 20, 1000)
        return RegressionExperiment(problem: .rank1, model: model, taskCount: 300, training: c)
    }

    func testShortRank1RunNamesTranslationForMSRAndNothingForMAMLOrARandomU() throws {
        var named: [String: String] = [:]
        for (label, model, steps) in [("msr", RegressionModel.msrFC, 600), ("fc", .fc, 600), ("random", .msrFC, 0)] {
            let trainer = try experiment(model, steps: steps).trainer(threads: 2)
            var state = trainer.initialState()
            if steps > 0 { _ = try trainer.train(&state) }
            let layers = try LayerInspection.inspect(trainer.model, state.metaParameters, samples: 10)
            XCTAssertEqual(layers.count, 1)
            named[label] = layers[0].group.named?.name ?? "no group"
            if label == "msr" {
                let g = try XCTUnwrap(layers[0].group.named)
                XCTAssertLessThan(g.defect, 0.2)
                XCTAssertEqual(layers[0].group.rejected?.name, "translation+reversal")
                XCTAssertEqual(layers[0].groupMeasure, "inner-step directions P·g, random g")
            }
        }
        XCTAssertEqual(named["msr"], "translation")
        XCTAssertEqual(named["fc"], "no group")
        XCTAssertEqual(named["random"], "no group")
    }

    /// msr-conv-full on 2d_rot8_flip with U at the d4 orbit construction (fields of 16): the search names d4
    /// with the found field size, and the whole-model inspection uses it.
    func testDihedralPriorIsNamedWithItsFieldSize() throws {
        var c = MetaTrainingConfiguration()
        (c.steps, c.metaBatchSize, c.testTasks, c.evaluationInterval, c.supportCount, c.queryCount) = (1, 2, 4, 1000, 1, 1)
        var e = RegressionExperiment(problem: .rotation8Flip, model: .msrConvFull, taskCount: 20, training: c)
        e.initialSymmetry = "d4"
        e.latentSize = 54
        let trainer = try e.trainer(threads: 2)
        let state = try e.initialState(trainer)
        let layer = try XCTUnwrap(LayerInspection.inspect(trainer.model, state.metaParameters, samples: 4).first)
        XCTAssertEqual(layer.group.named?.name, "d4")
        XCTAssertEqual(layer.group.named?.fieldSize, 16)
        XCTAssertLessThan(try XCTUnwrap(layer.group.named?.defect), 1e-5)
        let whole = try XCTUnwrap(SymmetryInspection.inspect(trainer, state.metaParameters, problem: "", samples: 2, tasks: 4))
        XCTAssertEqual(whole.fieldSize, 16)
        XCTAssertEqual(Set(whole.measures.keys), ["c4", "c8-ring", "flip"])
    }
}

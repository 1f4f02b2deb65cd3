import Datasets
@testable import MetaLearning
import NeuralNets
import Tensors
import XCTest

final class SymmetryInspectionTests: XCTestCase {
    /// On 2d_scale, msr-conv-full with U's columns the orthonormal basis of the tasks' filter space
    /// (`TaskFilterSpace.scale`, K = 18): every W = reshape(U·v) and every inner step P·g = U·Uᵀ·g is a bank
    /// of rescaled copies (error 0), U lies wholly in the task space; a random U's W are not rescaled copies.
    func testScaleFamilyRescaledCopiesOfAConstructedAndARandomU() throws {
        var c = MetaTrainingConfiguration()
        c.testTasks = 2
        c.metaBatchSize = 2
        let e = RegressionExperiment(problem: .scale, model: .msrConvFull, latentSize: 18, taskCount: 6, training: c)
        let trainer = try e.trainer(threads: 1)
        var state = try e.initialState(trainer)
        let random = try XCTUnwrap(SymmetryInspection.inspect(trainer, state.metaParameters, model: "msr-conv-full",
                                                               problem: "2d_scale", samples: 3, tasks: 2))
        let space = TaskFilterSpace.scale
        XCTAssertEqual(space.basis.count, 18)
        XCTAssertEqual(space.basis[0].count, 9 * 81)
        // U (729, 18): column j is basis bank j.
        let u = (0..<(9 * 81)).flatMap { r in space.basis.map { $0[r] } }
        state.metaParameters[DenseSymmetricConv2d.symmetryMatrixKey] = Tensor(shape: [729, 18], values: u, dtype: .float32)
        let built = try XCTUnwrap(SymmetryInspection.inspect(trainer, state.metaParameters, model: "msr-conv-full",
                                                              problem: "2d_scale", samples: 3, tasks: 2))
        XCTAssertTrue(built.measures.isEmpty)
        XCTAssertEqual(built.fieldSize, 3)
        let copies = try XCTUnwrap(built.rescaledCopies)
        for e in try XCTUnwrap(copies.randomV) + copies.initial + copies.adapted + copies.randomGradientUpdate { XCTAssertLessThan(e, 1e-4) }
        XCTAssertEqual(try XCTUnwrap(built.symmetryMatrix).taskSpaceFraction, 1, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(built.innerStep).randomGradientTaskShare, 1, accuracy: 1e-5)
        for e in try XCTUnwrap(random.rescaledCopies?.randomV) { XCTAssertGreaterThan(e, 0.5) }
        XCTAssertLessThan(try XCTUnwrap(random.symmetryMatrix).taskSpaceFraction, 0.1)
    }
}

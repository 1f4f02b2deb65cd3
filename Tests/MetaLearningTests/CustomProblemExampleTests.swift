import Datasets
import MetaLearning
import NeuralNets
import Tensors
import XCTest

/// The Swift path for your own problem, as README's "Your own tasks" shows it: a custom task family, a
/// network composed from layers, the one trainer. Kept short on purpose: it is the example.
final class CustomProblemExampleTests: XCTestCase {
    /// Tasks made on demand from their index: y = a·x + b on 8 inputs, with (a, b) drawn per task.
    struct ScaledShifts: TaskFamily {
        var count = 200
        var inputShape: [Int] { [8] }
        var targetShape: [Int] { [8] }

        func task(at index: Int) -> TaskExamples {
            var g = SplitMix64(seed: UInt64(index))
            let a = Tensor.randomUniform([], low: 0.5, high: 2, using: &g), b = Tensor.randomNormal([], using: &g)
            let x = Tensor.randomNormal([10, 8], using: &g)     // 10 examples per task
            return TaskExamples(inputs: x, targets: x * a + b)
        }
    }

    func testMetaTrainACustomFamilyWithACustomNetwork() throws {
        // Two MSR layers with a ReLU between them: W = reshape(U·v) in each, U shared by all tasks.
        let network = Sequential([SymmetricLinear(8, 16, latentSize: 4), ReLU(), SymmetricLinear(16, 8, latentSize: 4)])
        var configuration = MetaTrainingConfiguration()
        configuration.steps = 400
        configuration.metaBatchSize = 8
        configuration.supportCount = 5
        configuration.queryCount = 5
        configuration.testTasks = 40
        let (train, test) = ScaledShifts().trainTest(fraction: 0.8)
        let trainer = MetaTrainer(model: network, configuration: configuration, trainTasks: train, testTasks: test, threads: 2)
        var state = trainer.initialState()
        let before = try trainer.evaluate(state.metaParameters)
        let history = try trainer.train(&state)                  // inner loop on v and biases, U in the outer loop only
        let after = try XCTUnwrap(history.evaluations.last).test
        XCTAssertLessThan(after.mean, 0.5 * before.mean, "held-out MSE \(before) → \(after)")
        XCTAssertEqual(network.reparameterisedLayers().map(\.prefix), ["0", "2"])
        XCTAssertFalse(network.innerParameterKeys.contains("0.symmetryMatrix"))
    }
}

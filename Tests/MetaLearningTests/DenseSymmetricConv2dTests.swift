import Datasets
import MetaLearning
import NeuralNets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// msr-conv-full: a 3×3 convolution whose whole filter bank is W = reshape(U·v), U dense (D·C·9, K).
final class DenseSymmetricConv2dTests: XCTestCase {
    /// Shapes as documented, only v adapted, and y = conv2d(x, reshape(U·v)).
    func testShapesAndForward() {
        let layer = DenseSymmetricConv2d(2, 3, latentSize: 5)
        var g = SplitMix64(seed: 1)
        let p = layer.initialParameters(dtype: .float64, using: &g)
        XCTAssertEqual(p[DenseSymmetricConv2d.symmetryMatrixKey].shape, [3 * 2 * 9, 5])
        XCTAssertEqual(p[DenseSymmetricConv2d.filterParametersKey].shape, [5])
        XCTAssertEqual(layer.innerParameterKeys, ["filterParameters"])
        let w = layer.effectiveWeight(p)
        XCTAssertEqual(w.shape, [3, 2, 3, 3])
        // W[d, c, i, j] = Σ_k U[((d·C + c)·3 + i)·3 + j, k]·v[k]
        let u = p[DenseSymmetricConv2d.symmetryMatrixKey].scalars, v = p[DenseSymmetricConv2d.filterParametersKey].scalars
        for r in 0..<54 { XCTAssertEqual(w.scalars[r], (0..<5).reduce(0) { $0 + u[r * 5 + $1] * v[$1] }, accuracy: 1e-14) }
        let x = randn([2, 2, 6, 5], seed: 2)
        assertClose(layer.apply(p, x), Tensor.conv2d(x, weight: w), tolerance: 1e-14)
    }

    /// With U from the C4 action on (channel, tap), every bank is 90°-equivariant, whatever v.
    func testGroupSymmetryMatrixGivesEquivariantFilters() throws {
        let layer = DenseSymmetricConv2d(1, 24, latentSize: 54)
        var p = Parameters()
        p[DenseSymmetricConv2d.symmetryMatrixKey] = try FilterBankSymmetry.symmetryMatrix(named: "c4", channels: 24, fieldSize: 8, dtype: .float64)
        let c4 = try FilterBankSymmetry.candidates(channels: 24, fieldSize: 8)[0].action
        for seed in 0..<3 as Range<UInt64> {
            p[DenseSymmetricConv2d.filterParametersKey] = randn([54], seed: seed)
            XCTAssertLessThan(try FilterBankSymmetry.defect(layer.effectiveWeight(p), c4), 1e-12)
        }
        var g = SplitMix64(seed: 4)
        let random = layer.initialParameters(dtype: .float64, using: &g)
        XCTAssertGreaterThan(try FilterBankSymmetry.defect(layer.effectiveWeight(random), c4), 0.5)
    }

    /// First and second derivatives with respect to U and v, by finite differences.
    func testGradients() {
        let layer = DenseSymmetricConv2d(1, 2, latentSize: 3)
        var g = SplitMix64(seed: 8)
        let p = layer.initialParameters(dtype: .float64, using: &g)
        let x = randn([2, 1, 5, 5], seed: 11)
        checkGradients([p[DenseSymmetricConv2d.symmetryMatrixKey], p[DenseSymmetricConv2d.filterParametersKey]]) { t in
            var q = p
            q[DenseSymmetricConv2d.symmetryMatrixKey] = t[0]; q[DenseSymmetricConv2d.filterParametersKey] = t[1]
            return layer.apply(q, x).tanh()
        }
    }

    /// The meta-gradient through one inner step on v (second order) with respect to U, v and α.
    func testMetaGradientThroughInnerStep() {
        let layer = DenseSymmetricConv2d(1, 2, latentSize: 2)
        var g = SplitMix64(seed: 12)
        let p = InnerLoop.metaParameters(for: layer, initial: layer.initialParameters(dtype: .float64, using: &g), initialLearningRate: 0.3)
        let support = TaskExamples(inputs: randn([1, 1, 4, 4], seed: 13), targets: randn([1, 2, 2, 2], seed: 14))
        let queryInputs = randn([2, 1, 4, 4], seed: 15)
        let keys = ["filterParameters", "innerLearningRate.filterParameters", "symmetryMatrix"]
        checkGradients(keys.map { p[$0] }) { t in
            var q = p
            for (k, v) in zip(keys, t) { q[k] = v }
            let fast = InnerLoop(steps: 1).adapt(layer, q, on: support, createGraph: true)
            return layer.apply(fast, queryInputs)
        }
    }

    /// `--init-symmetry c4` starts U at the orthonormal C4 orbit indicators (then zero columns), so every
    /// initial bank is 90°-equivariant; the inspection sees it; too small a K is an error.
    func testInitialSymmetryAndInspection() throws {
        var c = MetaTrainingConfiguration()
        c.testTasks = 2
        c.metaBatchSize = 2
        var e = RegressionExperiment(problem: .rotation8, model: .msrConvFull, latentSize: 60, taskCount: 6, training: c)
        e.initialSymmetry = "c4"
        let trainer = try e.trainer(threads: 1)
        let state = try e.initialState(trainer)
        let u = state.metaParameters[DenseSymmetricConv2d.symmetryMatrixKey]
        XCTAssertEqual(u.shape, [216, 60])
        XCTAssertEqual(u.sliced(axis: 1, 54..<60).scalars.map(abs).max(), 0)
        let inspection = try XCTUnwrap(SymmetryInspection.inspect(trainer, state.metaParameters, model: "msr-conv-full",
                                                                   problem: "2d_rot8", samples: 3, tasks: 2))
        XCTAssertLessThan(try XCTUnwrap(inspection.measures["c4"]?.randomV), 1e-6)
        XCTAssertLessThan(inspection.measures["c4"]!.initial, 1e-6)
        XCTAssertLessThan(inspection.measures["c4"]!.adapted, 1e-6)
        XCTAssertLessThan(inspection.measures["c4"]!.randomGradientUpdate!, 1e-6)
        XCTAssertGreaterThan(inspection.measures["c8-ring"]!.randomV!, 0.1)
        let structure = try XCTUnwrap(inspection.symmetryMatrix)
        XCTAssertEqual(structure.equivariantFraction["c4"]!, 1, accuracy: 1e-6)
        // The 18-dim task space sits inside the 54-dim C4 space: U·Uᵀ = P_C4 keeps it whole.
        XCTAssertEqual(structure.taskSpaceFraction, 18.0 / 54, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(inspection.innerStep).taskSpaceRate, 0.1, accuracy: 1e-6)

        var small = e
        small.latentSize = 10
        XCTAssertThrowsError(try small.initialState(try small.trainer(threads: 1))) { error in
            XCTAssertEqual(error as? ExperimentError, .priorNeedsLatentSize(prior: "c4", columns: 54, latentSize: 10))
        }
        var defaultK = RegressionExperiment(problem: .rotation8, model: .msrConvFull, taskCount: 6, training: c)
        defaultK.initialSymmetry = "flip"
        XCTAssertEqual((try defaultK.layer(outputChannels: 24) as? DenseSymmetricConv2d)?.latentSize, 54)
        XCTAssertThrowsError(try defaultK.initialState(try defaultK.trainer(threads: 1)))
    }
}

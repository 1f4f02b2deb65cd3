import NeuralNets
import Tensors
import TestSupport
import XCTest

final class BatchNormTests: XCTestCase {
    /// `scale` ones and `shift` zeros of shape (C), both adapted; y = γ·(x − μ)/√(σ² + ε) + β per channel.
    func testParametersAndFormula() {
        let layer = BatchNorm(2)
        var g = SplitMix64(seed: 1)
        let p = layer.initialParameters(dtype: .float64, using: &g)
        XCTAssertEqual(p["scale"].scalars, [1, 1])
        XCTAssertEqual(p["shift"].scalars, [0, 0])
        XCTAssertEqual(layer.innerParameterKeys, ["scale", "shift"])
        let x = randn([3, 2, 2], seed: 2)
        let q = Parameters(["scale": Tensor(shape: [2], values: [2, -1], dtype: .float64), "shift": Tensor(shape: [2], values: [0.5, 0], dtype: .float64)])
        let y = layer.apply(q, x).scalars, v = x.scalars
        // Channel 0 by hand: its six values are v[n·4 + j], n = 0…2, j = 0, 1.
        let channel = (0..<3).flatMap { n in [v[n * 4], v[n * 4 + 1]] }
        let mean = channel.reduce(0, +) / 6, variance = channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
        XCTAssertEqual(y[4 + 1], 2 * (v[4 + 1] - mean) / (variance + 1e-5).squareRoot() + 0.5, accuracy: 1e-12)
    }
}

import NeuralNets
import Tensors
import TestSupport
import XCTest

final class ReLUTests: XCTestCase {
    func testMaxOfInputAndZeroWithoutParameters() {
        var g = SplitMix64(seed: 1)
        XCTAssertEqual(ReLU().initialParameters(dtype: .float64, using: &g).count, 0)
        XCTAssertEqual(ReLU().innerParameterKeys, [])
        let x = Tensor(shape: [1, 4], values: [-2, 0.5, 0, 3], dtype: .float64)
        XCTAssertEqual(ReLU().apply(Parameters(), x).scalars, [0, 0.5, 0, 3])
    }
}

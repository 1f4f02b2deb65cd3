import NeuralNets
import Tensors
import TestSupport
import XCTest

final class FlattenTests: XCTestCase {
    /// (N, d₁, …, dₖ) → (N, d₁·…·dₖ), row-major: the elements keep their order.
    func testFlattensAllButTheBatchAxis() {
        let x = randn([2, 3, 2, 2], seed: 1)
        let y = Flatten().apply(Parameters(), x)
        XCTAssertEqual(y.shape, [2, 12])
        XCTAssertEqual(y.scalars, x.scalars)
        XCTAssertEqual(Flatten().innerParameterKeys, [])
    }
}

import NeuralNets
import Tensors
import TestSupport
import XCTest

final class Pool2dTests: XCTestCase {
    /// Max and mean of each window of a 4×4 image in 2×2 windows; the stride defaults to the kernel.
    func testWindowsOfMaxAndMean() {
        let x = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Double.init), dtype: .float64)
        XCTAssertEqual(Pool2d(.max, kernelSize: (2, 2)).apply(Parameters(), x).scalars, [5, 7, 13, 15])
        XCTAssertEqual(Pool2d(.average, kernelSize: (2, 2)).apply(Parameters(), x).scalars, [2.5, 4.5, 10.5, 12.5])
        let strided = Pool2d(.max, kernelSize: (2, 2), stride: (1, 2)).apply(Parameters(), x)
        XCTAssertEqual(strided.shape, [1, 1, 3, 2])
        XCTAssertEqual(strided.scalars, [5, 7, 9, 11, 13, 15])
        var g = SplitMix64(seed: 1)
        XCTAssertEqual(Pool2d(.average, kernelSize: (2, 2)).initialParameters(dtype: .float64, using: &g).count, 0)
        XCTAssertEqual(Pool2d(.max, kernelSize: (2, 2)).innerParameterKeys, [])
    }
}

@testable import MetaLearning
import NeuralNets
import XCTest

final class RegressionModelTests: XCTestCase {
    /// 2d_scale's models: 9×9 kernels from 1 to 9 channels; msr-conv-full's K is 54 by default (3 × the 18
    /// task dimensions) and at most the 729 bank entries. The rotation families keep 3×3 and K = D·9/4.
    func testScaleFamilyLayers() throws {
        let conv = try XCTUnwrap(try RegressionModel.conv.layer(for: .scale, latentSize: 0) as? Conv2d)
        XCTAssertEqual([conv.inputChannels, conv.outputChannels, conv.kernelSize.0, conv.kernelSize.1], [1, 9, 9, 9])
        let msr = try XCTUnwrap(try RegressionModel.msrConv.layer(for: .scale, latentSize: 0) as? SymmetricConv2d)
        XCTAssertEqual([msr.outputChannels, msr.taps], [9, 81])
        let full = try XCTUnwrap(try RegressionModel.msrConvFull.layer(for: .scale, latentSize: 0) as? DenseSymmetricConv2d)
        XCTAssertEqual([full.outputChannels, full.bankSize, full.latentSize], [9, 729, 54])
        XCTAssertThrowsError(try RegressionModel.msrConvFull.layer(for: .scale, latentSize: 730)) { error in
            XCTAssertEqual(error as? ExperimentError, .latentSizeTooLarge(latentSize: 730, maximum: 729, model: "msr-conv-full"))
        }
        XCTAssertThrowsError(try RegressionModel.msrFC.layer(for: .scale, latentSize: 0))
        let rotation = try XCTUnwrap(try RegressionModel.msrConvFull.layer(for: .rotation8, latentSize: 0) as? DenseSymmetricConv2d)
        XCTAssertEqual([rotation.outputChannels, rotation.kernelSize.0, rotation.latentSize], [24, 3, 54])
        XCTAssertEqual(SyntheticProblem.scale.rawValue, "2d_scale")
        XCTAssertEqual(SyntheticProblem.allCases.filter(\.isTwoDimensional), [.rotation8, .rotation8Flip, .scale])
        XCTAssertEqual(SyntheticProblem.scale.models, [.conv, .msrConv, .msrConvFull])
    }
}

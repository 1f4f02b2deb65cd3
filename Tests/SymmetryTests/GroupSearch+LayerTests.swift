import NeuralNets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// The search on any weight layer through `WeightLayer`: an MSR layer measured on its inner step's directions
/// P·g, a plain layer on its weight; U built from a group names that group, a random U none.
final class GroupSearchLayerTests: XCTestCase {
    func testSymmetricLinearWithAConvolutionUNamesTranslation() throws {
        let layer = SymmetricLinear(12, 10, latentSize: 3)
        var g = SplitMix64(seed: 1)
        var p = layer.initialParameters(dtype: .float64, using: &g)
        p[SymmetricLinear.symmetryMatrixKey] = try SymmetryMatrix.convolution1D(inputs: 12, outputs: 10, kernel: 3, dtype: .float64)
        let search = try GroupSearch(layer: layer, p, samples: 5)
        XCTAssertEqual(search.named.map { search.groups[$0].shortName }, "translation")
        p[SymmetricLinear.symmetryMatrixKey] = randn([120, 3], seed: 2)
        XCTAssertNil(try GroupSearch(layer: layer, p, samples: 5).named)
        XCTAssertEqual(GroupSearch.measure(of: layer), "inner-step directions P·g, random g")
    }

    func testDenseConvolutionWithTheC4BanksNamesC4AndAPlainBankIsMeasuredOnItsWeight() throws {
        let u = try FilterBankSymmetry.symmetryMatrix(named: "c4", channels: 16, fieldSize: 8, dtype: .float64)   // (144, 36)
        let layer = DenseSymmetricConv2d(1, 16, kernelSize: (3, 3), latentSize: u.shape[1])
        var g = SplitMix64(seed: 3)
        var p = layer.initialParameters(dtype: .float64, using: &g)
        p[DenseSymmetricConv2d.symmetryMatrixKey] = u
        let search = try GroupSearch(layer: layer, p, samples: 4)
        let named = try XCTUnwrap(search.named.map { search.groups[$0] })
        XCTAssertEqual(search.description(named), "c4 ⟨90° rotation × channel shift 2 in fields of 8⟩")
        let report = search.identification
        XCTAssertEqual(report.named?.fieldSize, 8)
        XCTAssertEqual(report.candidates.count, search.candidates.count)
        XCTAssertEqual(report.groups.filter(\.accepted).count, search.groups.filter { $0.defect <= 0.2 }.count)
        // A plain convolution: one sample, its weight; a random bank respects nothing.
        let plain = Conv2d(1, 16, kernelSize: (3, 3))
        let q = plain.initialParameters(dtype: .float64, using: &g)
        XCTAssertNil(try GroupSearch(layer: plain, q).named)
        XCTAssertEqual(GroupSearch.measure(of: plain), "meta-learned weight W")
        XCTAssertThrowsError(try GroupSearch(layer: plain, q, samples: 0))
    }

    /// A locally connected layer's positions are not taps: no candidates, no group.
    func testLocallyConnectedLayersHaveNoCandidates() throws {
        let layer = LocallyConnected1d(1, 2, outputSize: 4, kernelSize: 3)
        var g = SplitMix64(seed: 4)
        let search = try GroupSearch(layer: layer, layer.initialParameters(dtype: .float64, using: &g))
        XCTAssertTrue(search.candidates.isEmpty && search.groups.isEmpty)
        XCTAssertNil(search.named)
    }
}

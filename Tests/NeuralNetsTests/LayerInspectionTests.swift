import Foundation
import NeuralNets
import Tensors
import TestSupport
import XCTest

/// `weightLayers()` and `reparameterisedLayers()` find every weight and MSR layer of any network, with the
/// prefix of its keys, without knowing the network's type.
final class LayerInspectionTests: XCTestCase {
    func testALayerAloneIsAtTheRoot() {
        let msr = SymmetricLinear(70, 68, latentSize: 3).reparameterisedLayers()
        XCTAssertEqual(msr.map(\.prefix), [""])
        XCTAssertTrue(msr.first?.layer is SymmetricLinear)
        XCTAssertEqual(Linear(3, 2).weightLayers().map(\.prefix), [""])
        XCTAssertTrue(Linear(3, 2).reparameterisedLayers().isEmpty)
        XCTAssertTrue(ReLU().weightLayers().isEmpty)
    }

    /// MSR-Conv4: four MSR convolutions under `blockᵢ.conv` and a plain head; their keys are the network's.
    func testMSRConv4ListsItsFourMSRConvolutions() {
        let net = Conv4(imageSize: 16, width: 3, ways: 2, convolution: .symmetric)
        var g = SplitMix64(seed: 1)
        let p = net.initialParameters(dtype: .float64, using: &g)
        let msr = net.reparameterisedLayers()
        XCTAssertEqual(msr.map(\.prefix), ["block1.conv", "block2.conv", "block3.conv", "block4.conv"])
        XCTAssertEqual(net.weightLayers().map(\.prefix), ["block1.conv", "block2.conv", "block3.conv", "block4.conv", "head"])
        for (i, (prefix, layer)) in msr.enumerated() {
            let scoped = p.scoped(prefix)
            XCTAssertEqual(layer.effectiveWeight(scoped).shape, [3, i == 0 ? 1 : 3, 3, 3])
            for key in layer.symmetryMatrixKeys + layer.filterParameterKeys {
                XCTAssertTrue(p.contains(Parameters.key(key, under: prefix)), "\(prefix) \(key)")
            }
        }
        // At the identity factors the effective filters are the bank itself.
        XCTAssertEqual(msr[1].layer.effectiveWeight(p.scoped("block2.conv")).scalars, p["block2.conv.weight"].scalars)
        // MAML's Conv4, the control: five plain weight layers, no MSR layer.
        let plain = Conv4(imageSize: 16, width: 3, ways: 2)
        XCTAssertTrue(plain.reparameterisedLayers().isEmpty)
        XCTAssertEqual(plain.weightLayers().count, 5)
    }

    /// Nested networks join prefixes; a named network's only child sits at the network's prefix.
    func testNestedSequentialsJoinPrefixes() throws {
        let body = Sequential([SymmetricLinear(4, 3, latentSize: 2), ReLU(), DenseSymmetricConv2d(1, 1, kernelSize: (1, 1), latentSize: 1)])
        let net = Sequential([Sequential.Child(body, name: "body"), Sequential.Child(Sequential([Linear(3, 2)]), name: "head")])
        XCTAssertEqual(net.reparameterisedLayers().map(\.prefix), ["body.0", "body.2"])
        XCTAssertEqual(net.weightLayers().map(\.prefix), ["body.0", "body.2", "head"])
        let described = try NetworkDescription(json: Data(#"[{"type": "msr-linear", "outputs": 3, "latentSize": 2}, {"type": "relu"},"#
            .appending(#"{"type": "linear", "outputs": 2, "name": "head"}]"#).utf8)).network(inputShape: [4])
        XCTAssertEqual(described.reparameterisedLayers().map(\.prefix), ["0"])
        XCTAssertEqual(described.weightLayers().map(\.prefix), ["0", "head"])
    }
}

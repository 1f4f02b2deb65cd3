import Foundation
import NeuralNets
import Tensors
import TestSupport
import XCTest

final class LayerDescriptionTests: XCTestCase {
    func layer(_ json: String, _ input: [Int]) throws -> (layer: any Layer, outputShape: [Int]) {
        try JSONDecoder().decode(LayerDescription.self, from: Data(json.utf8)).layer(inputShape: input, index: 0)
    }

    /// The inferred output shape is the shape the built layer gives, for every type and some strides and
    /// paddings; input sizes come from the input.
    func testInferredShapesAreTheLayersShapes() throws {
        let cases: [(String, [Int], [Int])] = [
            (#"{"type": "linear", "outputs": 3}"#, [1, 7], [1, 3]),
            (#"{"type": "msr-linear", "outputs": 2, "latentSize": 4}"#, [7], [2]),
            (#"{"type": "conv1d", "channels": 3, "kernel": 4, "stride": 2, "padding": 1}"#, [2, 11], [3, 5]),
            (#"{"type": "locally-connected1d", "channels": 2, "kernel": 3, "stride": 2}"#, [1, 11], [2, 5]),
            (#"{"type": "conv2d", "channels": 3, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 0]}"#, [2, 7, 6], [3, 4, 5]),
            (#"{"type": "msr-conv2d", "channels": 2, "kernel": 3, "stride": 2, "padding": 1, "bias": true}"#, [2, 7, 7], [2, 4, 4]),
            (#"{"type": "msr-conv2d-full", "channels": 2, "kernel": 3, "padding": 1, "latentSize": 5}"#, [1, 5, 6], [2, 5, 6]),
            (#"{"type": "batch-norm"}"#, [3, 4, 4], [3, 4, 4]),
            (#"{"type": "relu"}"#, [3, 2], [3, 2]),
            (#"{"type": "max-pool", "kernel": 2}"#, [3, 5, 4], [3, 2, 2]),
            (#"{"type": "avg-pool", "kernel": [2, 3], "stride": 1}"#, [1, 5, 4], [1, 4, 2]),
            (#"{"type": "flatten"}"#, [3, 2, 2], [12]),
        ]
        for (json, input, output) in cases {
            let (built, shape) = try layer(json, input)
            XCTAssertEqual(shape, output, json)
            var g = SplitMix64(seed: 1)
            let p = built.initialParameters(dtype: .float64, using: &g)
            XCTAssertEqual(built.apply(p, randn([2] + input, seed: 2)).shape, [2] + output, json)
        }
    }

    /// Sizes, defaults and flags reach the layer: bias defaults to true, 2-D sizes read n as n×n.
    func testFieldsReachTheLayer() throws {
        let conv = try XCTUnwrap(try layer(#"{"type": "conv2d", "channels": 5, "kernel": [3, 2], "stride": 2}"#, [4, 9, 9]).layer as? Conv2d)
        XCTAssertEqual([conv.inputChannels, conv.outputChannels, conv.kernelSize.0, conv.kernelSize.1, conv.stride.0, conv.stride.1,
                        conv.padding.0, conv.padding.1], [4, 5, 3, 2, 2, 2, 0, 0])
        XCTAssertTrue(conv.hasBias)
        let msr = try XCTUnwrap(try layer(#"{"type": "msr-linear", "outputs": 3, "latentSize": 2, "bias": false}"#, [1, 6]).layer as? SymmetricLinear)
        XCTAssertEqual([msr.inputFeatures, msr.outputFeatures, msr.latentSize], [6, 3, 2])
        XCTAssertFalse(msr.hasBias)
        let dense = try XCTUnwrap(try layer(#"{"type": "msr-conv2d-full", "channels": 2, "kernel": 3, "latentSize": 4}"#, [3, 5, 5]).layer
            as? DenseSymmetricConv2d)
        XCTAssertEqual([dense.inputChannels, dense.outputChannels, dense.latentSize], [3, 2, 4])
        XCTAssertTrue(dense.hasBias)
        let pool = try XCTUnwrap(try layer(#"{"type": "max-pool", "kernel": 3}"#, [1, 9, 9]).layer as? Pool2d)
        XCTAssertEqual([pool.stride.0, pool.stride.1], [3, 3])   // stride defaults to the kernel
        XCTAssertEqual(pool.reduction, .max)
        XCTAssertEqual((try layer(#"{"type": "avg-pool", "kernel": 2}"#, [1, 4, 4]).layer as? Pool2d)?.reduction, .average)
        let d = try JSONDecoder().decode(LayerDescription.self, from: Data(#"{"type": "relu", "name": "act", "adapt": false}"#.utf8))
        XCTAssertEqual(d, LayerDescription(.relu, name: "act", adapt: false))
    }

    /// A 1-D layer needs (C, L); a batch norm needs a channel axis; a window larger than the input fails.
    func testShapesThatDoNotFit() {
        XCTAssertThrowsError(try layer(#"{"type": "conv1d", "channels": 2, "kernel": 3}"#, [1, 8, 8])) { e in
            XCTAssertEqual(e as? NetworkDescriptionError, .doesNotFit(layer: 0, type: "conv1d", input: [1, 8, 8], expected: "(C, L)"))
        }
        XCTAssertThrowsError(try layer(#"{"type": "conv1d", "channels": 2, "kernel": 9, "padding": 1}"#, [1, 6])) { e in
            XCTAssertEqual(e as? NetworkDescriptionError, .doesNotFit(layer: 0, type: "conv1d", input: [1, 6],
                                                                       expected: "(C, L) with L + 2·1 ≥ 9: the kernel 9 is larger than the input"))
        }
        XCTAssertThrowsError(try layer(#"{"type": "avg-pool", "kernel": 4}"#, [2, 3, 8])) { e in
            guard case let .doesNotFit(_, _, input, expected)? = e as? NetworkDescriptionError else { return XCTFail("\(e)") }
            XCTAssertEqual(input, [2, 3, 8])
            XCTAssertTrue(expected.contains("H ≥ 4"), expected)
        }
        XCTAssertThrowsError(try layer(#"{"type": "max-pool", "kernel": 2, "stride": 0}"#, [1, 4, 4])) { e in
            XCTAssertEqual(e as? NetworkDescriptionError, .invalidValue(layer: 0, type: "max-pool", field: "stride", value: 0, expected: "≥ 1"))
        }
    }

    /// msr-conv2d's `terms` (r of U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ) reaches the layer, defaults to 1 (and is then left out
    /// when written, so descriptions saved before it existed read and write the same), and is bounded before
    /// anything is allocated.
    func testKroneckerTerms() throws {
        let sum = try XCTUnwrap(try layer(#"{"type": "msr-conv2d", "channels": 4, "kernel": 3, "terms": 5}"#, [2, 6, 6]).layer as? SymmetricConv2d)
        XCTAssertEqual(sum.terms, 5)
        XCTAssertEqual(sum.symmetryMatrixKeys.count, 15)
        let one = try XCTUnwrap(try layer(#"{"type": "msr-conv2d", "channels": 4, "kernel": 3}"#, [2, 6, 6]).layer as? SymmetricConv2d)
        XCTAssertEqual(one.terms, 1)
        let written = String(decoding: try JSONEncoder().encode(LayerDescription(.symmetricConv2d(.init(channels: 4, kernel: .init(square: 3))))), as: UTF8.self)
        XCTAssertFalse(written.contains("terms"), written)
        let five = LayerDescription(.symmetricConv2d(.init(channels: 4, kernel: .init(square: 3)), terms: 5))
        XCTAssertEqual(try JSONDecoder().decode(LayerDescription.self, from: try JSONEncoder().encode(five)), five)
        for bad in [0, 65, 1_000_000_000] {
            XCTAssertThrowsError(try layer(#"{"type": "msr-conv2d", "channels": 4, "kernel": 3, "terms": \#(bad)}"#, [2, 6, 6])) { error in
                XCTAssertTrue(String(describing: error).contains("terms"), "\(error)")
            }
        }
    }
}

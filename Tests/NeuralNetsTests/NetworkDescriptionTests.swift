import Foundation
import NeuralNets
import Tensors
import TestSupport
import XCTest

final class NetworkDescriptionTests: XCTestCase {
    func parameters(_ layer: some Layer, seed: UInt64, dtype: DType = .float64) -> Parameters {
        var g = SplitMix64(seed: seed)
        return layer.initialParameters(dtype: dtype, using: &g)
    }

    func description(_ json: String) throws -> NetworkDescription { try NetworkDescription(json: Data(json.utf8)) }

    /// The error `body` throws, as a `NetworkDescriptionError`.
    func error(_ body: () throws -> Any) -> NetworkDescriptionError? {
        do { _ = try body() } catch let e as NetworkDescriptionError { return e } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    /// Two MSR layers with a ReLU between them, from a file: builds, initialises, applies and
    /// differentiates to second order (finite differences in Float64).
    func testTwoMSRLayersFromAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("two-msr-\(UUID().uuidString).json")
        try Data("""
            {"layers": [
                {"type": "msr-linear", "outputs": 6, "latentSize": 4},
                {"type": "relu"},
                {"type": "msr-linear", "outputs": 3, "latentSize": 2, "bias": false}
            ]}
            """.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let d = try NetworkDescription(contentsOf: url)
        XCTAssertEqual(d.layers, [LayerDescription(.symmetricLinear(outputs: 6, latentSize: 4, bias: true)), LayerDescription(.relu),
                                  LayerDescription(.symmetricLinear(outputs: 3, latentSize: 2, bias: false))])
        XCTAssertEqual(try d.outputShape(inputShape: [1, 5]), [1, 3])
        let net = try d.network(inputShape: [1, 5])
        let p = parameters(net, seed: 1)
        XCTAssertEqual(p.keys, ["0.bias", "0.filterParameters", "0.symmetryMatrix", "2.filterParameters", "2.symmetryMatrix"])
        XCTAssertEqual(p["0.symmetryMatrix"].shape, [30, 4])
        XCTAssertEqual(p["2.symmetryMatrix"].shape, [18, 2])
        XCTAssertEqual(net.innerParameterKeys, ["0.bias", "0.filterParameters", "2.filterParameters"])
        // Larger v than the initialisation's, so that the ReLU sees values of both signs well away from 0.
        var q = p
        q["0.symmetryMatrix"] = randn([30, 4], seed: 2)
        q["2.symmetryMatrix"] = randn([18, 2], seed: 3)
        let x = randn([4, 1, 5], seed: 4)
        XCTAssertEqual(net.apply(q, x).shape, [4, 1, 3])
        let keys = ["0.symmetryMatrix", "0.filterParameters", "2.symmetryMatrix", "2.filterParameters"]
        checkGradients([x] + keys.map { q[$0] }) { t in
            var r = q
            for (key, value) in zip(keys, t.dropFirst()) { r[key] = value }
            return net.apply(r, t[0])
        }
    }

    /// The built-in MSR-FC is the one-layer description: same keys, the same draws in the same order, and
    /// bit-identical outputs.
    func testMSRFCIsAPreset() throws {
        let d = try description(#"[{"type": "msr-linear", "outputs": 68, "latentSize": 3, "bias": false}]"#)
        try assertPreset(d, inputShape: [1, 70], builtIn: SymmetricLinear(70, 68, latentSize: 3, bias: false))
    }

    /// Every regression built-in (`RegressionModel`) is a one-layer description.
    func testRegressionModelsArePresets() throws {
        let cases: [(String, [Int], any Layer)] = [
            (#"{"type": "linear", "outputs": 68, "bias": false}"#, [1, 70], Linear(70, 68, bias: false)),
            (#"{"type": "locally-connected1d", "channels": 1, "kernel": 3, "bias": false}"#, [1, 70],
             LocallyConnected1d(1, 1, outputSize: 68, kernelSize: 3, bias: false)),
            (#"{"type": "conv1d", "channels": 1, "kernel": 3, "bias": false}"#, [1, 70], Conv1d(1, 1, kernelSize: 3, bias: false)),
            (#"{"type": "conv2d", "channels": 4, "kernel": 3, "bias": false}"#, [1, 8, 8], Conv2d(1, 4, kernelSize: (3, 3), bias: false)),
            (#"{"type": "msr-conv2d", "channels": 4, "kernel": 3, "bias": false}"#, [1, 8, 8], SymmetricConv2d(1, 4, kernelSize: (3, 3))),
            (#"{"type": "msr-conv2d-full", "channels": 4, "kernel": 3, "latentSize": 9, "bias": false}"#, [1, 8, 8],
             DenseSymmetricConv2d(1, 4, kernelSize: (3, 3), latentSize: 9)),
        ]
        for (json, shape, layer) in cases { try assertPreset(try description("[\(json)]"), inputShape: shape, builtIn: layer) }
    }

    /// Conv4 and MSR-Conv4, for each choice of inner parameters, are `NetworkDescription.conv4`.
    func testConv4IsAPreset() throws {
        for convolution in Conv4.Convolution.allCases {
            for inner in Conv4.InnerParameters.allCases {
                let net = Conv4(imageSize: 16, width: 3, ways: 2, convolution: convolution, innerParameters: inner)
                try assertPreset(.conv4(width: 3, ways: 2, convolution: convolution, innerParameters: inner), inputShape: [1, 16, 16], builtIn: net)
            }
        }
        let headless = Conv4(inputChannels: 3, imageSize: 16, width: 2, ways: nil, convolution: .symmetric)
        try assertPreset(.conv4(width: 2, ways: nil, convolution: .symmetric), inputShape: [3, 16, 16], builtIn: headless)
    }

    func assertPreset(_ d: NetworkDescription, inputShape: [Int], builtIn: any Layer, file: StaticString = #filePath, line: UInt = #line) throws {
        let net = try d.network(inputShape: inputShape)
        let (p, q) = (parameters(net, seed: 5, dtype: .float32), parameters(builtIn, seed: 5, dtype: .float32))
        XCTAssertEqual(p.keys, q.keys, "\(builtIn)", file: file, line: line)
        for key in q.keys where p.contains(key) {
            XCTAssertEqual(p[key].scalars, q[key].scalars, "\(type(of: builtIn)) \(key)", file: file, line: line)
        }
        XCTAssertEqual(net.innerParameterKeys, builtIn.innerParameterKeys, "\(type(of: builtIn))", file: file, line: line)
        var g = SplitMix64(seed: 6)
        let x = Tensor.randomNormal([2] + inputShape, dtype: .float32, using: &g)
        XCTAssertEqual(net.apply(p, x).scalars, builtIn.apply(q, x).scalars, "\(type(of: builtIn))", file: file, line: line)
        XCTAssertEqual([2] + (try d.outputShape(inputShape: inputShape)), builtIn.apply(q, x).shape, file: file, line: line)
    }

    /// Encoding then decoding gives the description back, for every layer type.
    func testRoundTripsThroughJSON() throws {
        let conv = LayerDescription.Convolution(channels: 4, kernel: .init(3, 5), stride: .init(square: 2), padding: .init(1, 0), bias: false)
        let d = NetworkDescription(layers: [
            LayerDescription(.linear(outputs: 3, bias: true), name: "head", adapt: false),
            LayerDescription(.symmetricLinear(outputs: 2, latentSize: 5, bias: false)),
            LayerDescription(.conv1d(.oneDimensional(channels: 2, kernel: 3, stride: 2, padding: 1))),
            LayerDescription(.locallyConnected1d(.oneDimensional(channels: 2, kernel: 3))),
            LayerDescription(.conv2d(conv)), LayerDescription(.symmetricConv2d(conv)),
            LayerDescription(.denseSymmetricConv2d(conv, latentSize: 7)),
            LayerDescription(.batchNorm), LayerDescription(.relu), LayerDescription(.flatten),
            LayerDescription(.maxPool(kernel: .init(square: 2), stride: nil)), LayerDescription(.avgPool(kernel: .init(2, 3), stride: .init(square: 1))),
        ])
        XCTAssertEqual(try NetworkDescription(json: d.jsonData()), d)
        XCTAssertEqual(Set(d.layers.map(\.kind.typeName)), Set(LayerDescription.typeNames))
    }

    /// A linear layer after a convolution without a flatten: the error names the layer and both shapes.
    func testLinearAfterConvolutionWithoutFlatten() throws {
        let d = try description(#"[{"type": "conv2d", "channels": 4, "kernel": 3}, {"type": "linear", "outputs": 2}]"#)
        let e = error { try d.network(inputShape: [1, 8, 8]) }
        guard case let .doesNotFit(layer, type, input, expected)? = e else { return XCTFail("got \(String(describing: e))") }
        XCTAssertEqual(layer, 1)
        XCTAssertEqual(type, "linear")
        XCTAssertEqual(input, [4, 6, 6])
        XCTAssertTrue(expected.contains("(1, …, 1, I)") && expected.contains("flatten") && expected.contains("144"), expected)
        XCTAssertTrue(e!.description.contains("layer 1 (linear) cannot take an input of shape (4, 6, 6)"), e!.description)
        // With the flatten it fits: 4·6·6 = 144 features.
        let fixed = try description(#"[{"type": "conv2d", "channels": 4, "kernel": 3}, {"type": "flatten"}, {"type": "linear", "outputs": 2}]"#)
        XCTAssertEqual(try fixed.outputShape(inputShape: [1, 8, 8]), [2])
    }

    /// A kernel larger than its input, and a 2-D layer given a 1-D input.
    func testKernelLargerThanTheInput() throws {
        let d = try description(#"[{"type": "conv2d", "channels": 2, "kernel": 3}, {"type": "msr-conv2d", "channels": 2, "kernel": [5, 3]}]"#)
        guard case let .doesNotFit(layer, type, input, expected)? = error({ try d.network(inputShape: [1, 6, 6]) }) else { return XCTFail() }
        XCTAssertEqual(layer, 1)
        XCTAssertEqual(type, "msr-conv2d")
        XCTAssertEqual(input, [2, 4, 4])
        XCTAssertTrue(expected.contains("5×3"), expected)
        XCTAssertNoThrow(try d.network(inputShape: [1, 7, 6]))
        guard case let .doesNotFit(0, _, shape, expected2)? = error({ try d.network(inputShape: [1, 70]) }) else { return XCTFail() }
        XCTAssertEqual(shape, [1, 70])
        XCTAssertEqual(expected2, "(C, H, W)")
        XCTAssertEqual(error { try d.network(inputShape: [1, 0, 6]) }, .invalidInputShape([1, 0, 6]))
    }

    /// Malformed descriptions are typed errors that say where and what was expected.
    func testMalformedDescriptionsSayWhereAndWhat() {
        func invalid(_ json: String) -> (path: String, detail: String)? {
            guard case let .invalidJSON(path, detail)? = error({ try self.description(json) }) else { return nil }
            return (path, detail)
        }
        let unknownType = invalid(#"{"layers": [{"type": "relu"}, {"type": "dense", "outputs": 2}]}"#)
        XCTAssertEqual(unknownType?.path, "layers[1].type")
        XCTAssertTrue(unknownType?.detail.contains("unknown layer type ‘dense’; expected one of linear, msr-linear") == true)
        let misspelt = invalid(#"[{"type": "conv2d", "channels": 2, "kernel": 3, "paddng": 1}]"#)
        XCTAssertEqual(misspelt?.path, "[0].paddng")
        XCTAssertTrue(misspelt?.detail.contains("unknown field ‘paddng’ for conv2d") == true)
        let missing = invalid(#"[{"type": "msr-linear", "outputs": 2}]"#)
        XCTAssertEqual(missing?.detail, "missing field ‘latentSize’")
        XCTAssertEqual(invalid(#"[{"type": "linear", "outputs": "two"}]"#)?.detail, "expected an integer")
        XCTAssertTrue(invalid(#"[{"type": "max-pool", "kernel": [2, 2, 2]}]"#)?.detail.contains("[height, width]") == true)
        XCTAssertEqual(invalid("{layers")?.detail.hasPrefix("not valid JSON"), true)
        XCTAssertEqual(error { try NetworkDescription(json: Data("[]".utf8)).network(inputShape: [3]) }, .emptyNetwork)
        XCTAssertEqual(error { try NetworkDescription(contentsOf: URL(fileURLWithPath: "/nonexistent/net.json")) }.map { "\($0)".hasPrefix("cannot read") }, true)
    }

    /// Out-of-range sizes and clashing names are typed errors naming the layer.
    func testInvalidValuesAndNames() throws {
        XCTAssertEqual(error { try self.description(#"[{"type": "msr-linear", "outputs": 3, "latentSize": 0}]"#).network(inputShape: [4]) },
                       .invalidValue(layer: 0, type: "msr-linear", field: "latentSize", value: 0, expected: "≥ 1"))
        XCTAssertEqual(error { try self.description(#"[{"type": "relu"}, {"type": "conv1d", "channels": 2, "kernel": 3, "padding": -1}]"#)
                .network(inputShape: [1, 9]) },
                       .invalidValue(layer: 1, type: "conv1d", field: "padding", value: -1, expected: "≥ 0"))
        XCTAssertEqual(error { try self.description(#"[{"type": "linear", "outputs": 3, "name": "fc"}, {"type": "linear", "outputs": 2, "name": "fc"}]"#)
                .network(inputShape: [4]) }, .duplicateName(layer: 1, name: "fc", firstLayer: 0))
        XCTAssertEqual(error { try self.description(#"[{"type": "linear", "outputs": 3, "name": "1"}, {"type": "relu"}]"#).network(inputShape: [4]) },
                       .duplicateName(layer: 1, name: "1", firstLayer: 0))
        XCTAssertEqual(error { try self.description(#"[{"type": "linear", "outputs": 3, "name": "a..b"}]"#).network(inputShape: [4]) },
                       .invalidName(layer: 0, name: "a..b"))
    }
}

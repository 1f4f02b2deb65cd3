import NeuralNets
import Tensors
import TestSupport
import XCTest

final class TorchReferenceLayoutTests: XCTestCase {
    func parameters(_ layer: any Layer, seed: UInt64) -> Parameters {
        var g = SplitMix64(seed: seed)
        return layer.initialParameters(dtype: .float64, using: &g)
    }

    /// MSR-FC is the reference script's `nn.Sequential(ShareLinearFull(70, 68, bias=False, latent_size=3))`.
    func testSymmetricLinearIsShareLinearFullInASequential() throws {
        let layout = try TorchReferenceLayout(of: SymmetricLinear(70, 68, latentSize: 3, bias: false))
        XCTAssertEqual(layout.entries.map(\.name), ["0.latent_params", "0.warp"])
        XCTAssertEqual(layout.entries.map(\.key), ["filterParameters", "symmetryMatrix"])
        XCTAssertEqual(layout.entries.map(\.shape), [[3], [4760, 3]])
        XCTAssertEqual(layout.module, "nn.Sequential(ShareLinearFull(70, 68, bias=False, latent_size=3))")
        let withBias = try TorchReferenceLayout(of: SymmetricLinear(5, 4, latentSize: 2))
        XCTAssertEqual(withBias.entries.map(\.name), ["0.latent_params", "0.warp", "0.bias"])
    }

    /// W = reshape(U·v) computed from the exported tensors with row-major (NumPy) indexing equals the layer's W.
    func testExportedSymmetricLinearGivesTheLayersWeight() throws {
        let layer = SymmetricLinear(7, 5, latentSize: 3)
        let p = parameters(layer, seed: 1)
        let exported = try TorchReferenceLayout(of: layer).exported(p)
        let warp = exported["0.warp"]!.scalars, v = exported["0.latent_params"]!.scalars
        let w = layer.weight(p).scalars
        for o in 0..<5 {
            for i in 0..<7 {
                // warp @ latent_params, viewed (out_features, in_features): row o·I + i.
                let expected = (0..<3).reduce(0.0) { $0 + warp[(o * 7 + i) * 3 + $1] * v[$1] }
                XCTAssertEqual(w[o * 7 + i], expected, accuracy: 1e-12, "W[\(o), \(i)]")
            }
        }
        XCTAssertEqual(exported["0.bias"]!.scalars, p["bias"].scalars)
    }

    /// ShareConv2d's three einsums ("ij,jkl->ikl" with A_warp, "ik,jkl->jil" with B_warp, "il,jkl->jki" with
    /// C_warp on the weight viewed (c_o, c_i, k·k)), written as loops over the exported tensors, give the
    /// layer's effective filter bank.
    func testExportedSymmetricConv2dFollowsShareConv2d() throws {
        let layer = SymmetricConv2d(2, 3, bias: true)
        var p = parameters(layer, seed: 2)
        p[SymmetricConv2d.outputChannelsKey] = randn([3, 3], seed: 3)
        p[SymmetricConv2d.inputChannelsKey] = randn([2, 2], seed: 4)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 5)
        let layout = try TorchReferenceLayout(of: layer)
        XCTAssertEqual(layout.entries.map(\.name), ["0.weight", "0.bias", "0.A_warp", "0.B_warp", "0.C_warp"])
        let e = try layout.exported(p)
        let (a, b, c, w) = (e["0.A_warp"]!.scalars, e["0.B_warp"]!.scalars, e["0.C_warp"]!.scalars, e["0.weight"]!.scalars)
        XCTAssertEqual(e["0.weight"]!.shape, [3, 2, 3, 3])
        var w1 = [Double](repeating: 0, count: 54), w2 = w1, w3 = w1
        func at(_ i: Int, _ k: Int, _ l: Int) -> Int { (i * 2 + k) * 9 + l }
        for i in 0..<3 { for k in 0..<2 { for l in 0..<9 { for j in 0..<3 { w1[at(i, k, l)] += a[i * 3 + j] * w[at(j, k, l)] } } } }
        for j in 0..<3 { for i in 0..<2 { for l in 0..<9 { for k in 0..<2 { w2[at(j, i, l)] += b[i * 2 + k] * w1[at(j, k, l)] } } } }
        for j in 0..<3 { for k in 0..<2 { for i in 0..<9 { for l in 0..<9 { w3[at(j, k, i)] += c[i * 9 + l] * w2[at(j, k, l)] } } } }
        let (error, _) = normError(layer.effectiveWeight(p).scalars, w3)
        XCTAssertLessThan(error, 1e-12)
    }

    /// Few-shot MSR-Conv4 is a torch.nn state dict: named blocks, BatchNorm's affine pair without running
    /// statistics, ShareConv2d's warps, a linear head.
    func testConv4IsANamedSequential() throws {
        let net = Conv4(width: 8, ways: 5, convolution: .symmetric)
        let layout = try TorchReferenceLayout(of: net)
        let names = layout.entries.map(\.name)
        XCTAssertEqual(names.count, 4 * 7 + 2)
        for n in ["block1.conv.weight", "block1.conv.bias", "block1.conv.A_warp", "block1.conv.B_warp", "block4.conv.C_warp",
                  "block2.norm.weight", "block2.norm.bias", "head.weight", "head.bias"] {
            XCTAssertTrue(names.contains(n), "missing \(n)")
        }
        XCTAssertFalse(names.contains { $0.contains("running") || $0.contains("scale") || $0.contains("shift") })
        XCTAssertEqual(layout.entry(named: "block2.norm.weight")?.key, "block2.norm.scale")
        XCTAssertEqual(layout.entry(named: "block1.conv.B_warp")?.shape, [1, 1])
        XCTAssertEqual(layout.entry(named: "block2.conv.B_warp")?.shape, [8, 8])
        XCTAssertEqual(layout.entry(named: "head.weight")?.shape, [5, 8])
        XCTAssertTrue(layout.module.contains("(\"norm\", nn.BatchNorm2d(8, eps=1e-05, track_running_stats=False))"), layout.module)
        // Every parameter of the network is covered, and nothing else.
        XCTAssertEqual(Set(layout.entries.map(\.key)), Set(parameters(net, seed: 0).keys))
    }

    /// A described network keeps nn.Sequential's child indices; the locally connected layer gains the reference's axis.
    func testSequentialKeepsChildIndices() throws {
        let net = Sequential([LocallyConnected1d(1, 1, outputSize: 6, kernelSize: 3), ReLU(), SymmetricLinear(6, 4, latentSize: 2, bias: false)])
        let layout = try TorchReferenceLayout(of: net)
        XCTAssertEqual(layout.entries.map(\.name), ["0.weight", "0.bias", "2.latent_params", "2.warp"])
        XCTAssertEqual(layout.entry(named: "0.weight")?.shape, [1, 1, 1, 6, 3])
        XCTAssertEqual(layout.entry(named: "0.bias")?.shape, [1, 1, 6])
        XCTAssertEqual(layout.module, "nn.Sequential(LocallyConnected1d(1, 1, 6, kernel_size=3, stride=1, bias=True), nn.ReLU(), "
                       + "ShareLinearFull(6, 4, bias=False, latent_size=2))")
        let p = parameters(net, seed: 6)
        XCTAssertEqual(try layout.exported(p)["0.weight"]!.scalars, p["0.weight"].scalars)
    }

    func testDenseSymmetricConv2dHasNoReferenceLayer() {
        XCTAssertThrowsError(try TorchReferenceLayout(of: DenseSymmetricConv2d(1, 4, latentSize: 3))) { error in
            XCTAssertEqual(error as? TorchReferenceError, .noReferenceLayer(layer: "DenseSymmetricConv2d", key: ""))
            XCTAssertTrue("\(error)".contains("no counterpart"), "\(error)")
        }
        let net = Sequential([ReLU(), DenseSymmetricConv2d(1, 4, latentSize: 3)])
        XCTAssertThrowsError(try TorchReferenceLayout(of: net)) { XCTAssertTrue("\($0)".contains("(parameters 1.*)"), "\($0)") }
    }

    /// Importing by reference names or by our keys replaces exactly those tensors; wrong names and shapes are refused by name.
    func testImportReplacesGivenTensorsAndChecksShapes() throws {
        let layer = SymmetricLinear(7, 5, latentSize: 3)
        let layout = try TorchReferenceLayout(of: layer)
        let fresh = parameters(layer, seed: 1), other = parameters(layer, seed: 2)
        let exported = try layout.exported(other)
        let (u, replaced) = try layout.imported(["0.warp": exported["0.warp"]!.to(.float32)], into: fresh)
        XCTAssertEqual(replaced, ["symmetryMatrix"])
        assertClose(u["symmetryMatrix"], other["symmetryMatrix"], tolerance: 1e-6)
        XCTAssertEqual(u["symmetryMatrix"].dtype, .float64)
        XCTAssertEqual(u["filterParameters"].scalars, fresh["filterParameters"].scalars)
        let (whole, all) = try layout.imported(exported, into: fresh)
        XCTAssertEqual(Set(all), Set(fresh.keys))
        for k in fresh.keys { XCTAssertEqual(whole[k].scalars, other[k].scalars, k) }
        XCTAssertEqual(try layout.imported(["symmetryMatrix": other["symmetryMatrix"]], into: fresh).replaced, ["symmetryMatrix"])

        XCTAssertThrowsError(try layout.imported(["0.warp": Tensor.zeros([35, 2])], into: fresh)) {
            XCTAssertEqual($0 as? TorchReferenceError, .shapeMismatch(name: "0.warp", expected: [35, 3], found: [35, 2]))
            XCTAssertEqual("\($0)", "tensor ‘0.warp’ has shape [35, 2]; expected [35, 3]")
        }
        XCTAssertThrowsError(try layout.imported(["0.wrap": Tensor.zeros([35, 3])], into: fresh)) {
            XCTAssertEqual($0 as? TorchReferenceError, .unknownTensor(name: "0.wrap", expected: ["0.latent_params", "0.warp", "0.bias"]))
        }
        XCTAssertThrowsError(try layout.imported(["0.warp": other["symmetryMatrix"], "symmetryMatrix": other["symmetryMatrix"]], into: fresh)) {
            XCTAssertEqual($0 as? TorchReferenceError, .duplicateTensor(key: "symmetryMatrix"))
        }
    }

    /// Exporting refuses parameters the network does not have, and reports missing ones.
    func testExportChecksCoverage() throws {
        let layer = Linear(3, 2)
        let layout = try TorchReferenceLayout(of: layer)
        var p = parameters(layer, seed: 1)
        p["innerLearningRate.weight"] = Tensor(0.1, dtype: .float64)
        XCTAssertThrowsError(try layout.exported(p)) { XCTAssertEqual($0 as? TorchReferenceError, .unmappedParameter(key: "innerLearningRate.weight")) }
        XCTAssertEqual(try layout.exported(p, ignoring: { $0.hasPrefix("innerLearningRate.") }).keys.sorted(), ["0.bias", "0.weight"])
        XCTAssertThrowsError(try layout.exported(Parameters(["weight": p["weight"]]))) {
            XCTAssertEqual($0 as? TorchReferenceError, .missingParameter(key: "bias", name: "0.bias"))
        }
    }
}

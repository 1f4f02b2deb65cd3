import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors
import XCTest

/// `msr export --format torch-reference` end to end, the file read back without the package's reader.
final class ExportTests: CommandLineTestCase {
    /// A safetensors file parsed by hand (8-byte little-endian header length, JSON header, little-endian
    /// F32 data), so that the test does not trust the reader it checks: name → (shape, values), and the metadata.
    func readByHand(_ url: URL) throws -> (tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        let n = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for (name, value) in header where name != "__metadata__" {
            let info = value as! [String: Any]
            XCTAssertEqual(info["dtype"] as? String, "F32", name)
            let shape = info["shape"] as! [Int], offsets = info["data_offsets"] as! [Int]
            var values: [Float] = []
            for p in stride(from: 8 + n + offsets[0], to: 8 + n + offsets[1], by: 4) {
                var bits: UInt32 = 0
                for b in 0..<4 { bits |= UInt32(bytes[p + b]) << (8 * UInt32(b)) }
                values.append(Float(bitPattern: bits))
            }
            XCTAssertEqual(values.count, shape.reduce(1, *), name)
            tensors[name] = (shape, values)
        }
        return (tensors, header["__metadata__"] as? [String: String] ?? [:])
    }

    func trainTiny(_ extra: [String], into name: String) throws {
        let r = try msr(["train", "--tasks", "20", "--steps", "2", "--meta-batch", "2", "--test-tasks", "2", "--threads", "1",
                         "--checkpoint", path(name)] + extra)
        XCTAssertEqual(r.status, 0, r.err)
    }

    /// MSR-FC exports as ShareLinearFull's `0.warp` (O·I, K) and `0.latent_params` (K); W = reshape(U·v) computed
    /// from them with row-major indexing is the tool's own W, and the inner rate is metadata `0.latent_params_lr`.
    func testMSRFCExportGivesTheToolsWeight() throws {
        try trainTiny([], into: "fc")
        let out = directory.appendingPathComponent("fc.safetensors")
        let r = try msr(["export", "--checkpoint", path("fc"), "--format", "torch-reference", out.path])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("0.warp [4760, 3]"), r.out)
        let (tensors, metadata) = try readByHand(out)
        XCTAssertEqual(Set(tensors.keys), ["0.warp", "0.latent_params"])   // no optimiser state, no inner rates as tensors
        XCTAssertEqual(tensors["0.warp"]!.shape, [4760, 3])
        XCTAssertEqual(tensors["0.latent_params"]!.shape, [3])
        XCTAssertEqual(metadata["torch_module"], "nn.Sequential(ShareLinearFull(70, 68, bias=False, latent_size=3))")
        XCTAssertEqual(metadata["step"], "2")

        let saved = try Checkpoint<RegressionExperiment>(contentsOf: directory.appendingPathComponent("fc"))
        let layer = try XCTUnwrap(try saved.experiment.layer() as? SymmetricLinear)
        let w = layer.weight(saved.state.metaParameters).scalars
        let (u, v) = (tensors["0.warp"]!.values, tensors["0.latent_params"]!.values)
        var largest = 0.0
        for o in 0..<68 {
            for i in 0..<70 {
                // (warp @ latent_params).view(68, 70)[o, i]
                var mine = 0.0
                for k in 0..<3 { mine += Double(u[(o * 70 + i) * 3 + k]) * Double(v[k]) }
                largest = max(largest, abs(mine - w[o * 70 + i]))
            }
        }
        XCTAssertLessThan(largest, 1e-6)
        let rate = saved.state.metaParameters[InnerLoop.learningRateKey("filterParameters")].item
        XCTAssertEqual(try XCTUnwrap(Double(try XCTUnwrap(metadata["0.latent_params_lr"]))), rate, accuracy: 1e-7)
        XCTAssertNotEqual(rate, 0.1, "two outer steps should have moved the rate from its start")
    }

    /// A model without a reference layer, and an unknown format, are refused with what would work.
    func testRefusals() throws {
        try trainTiny(["--problem", "2d_rot8", "--model", "msr-conv-full"], into: "full")
        try assertFails(["export", "--checkpoint", path("full"), path("x.safetensors")],
                        mentioning: ["DenseSymmetricConv2d", "no counterpart", "ShareConv2d"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.safetensors")))
        try assertFails(["export", "--checkpoint", path("full"), "--format", "onnx", path("x.safetensors")], mentioning: ["torch-reference"])
        try assertFails(["export", "--checkpoint", path("none"), path("x.safetensors")], mentioning: ["no checkpoint"])
    }
}

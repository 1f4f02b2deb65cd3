import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors
import XCTest

/// `msr train --init-from FILE.safetensors` end to end.
final class InitialParametersFileTests: CommandLineTestCase {
    let tiny = ["--tasks", "20", "--meta-batch", "2", "--test-tasks", "2", "--threads", "1"]

    func metaParameters(_ name: String) throws -> Parameters {
        try Checkpoint<RegressionExperiment>(contentsOf: directory.appendingPathComponent(name)).state.metaParameters
    }

    /// A whole model exported from one run starts another: U, v and the inner rate are the file's (an outer
    /// step of 1e-9 leaves them there).
    func testWholeModelRoundTrip() throws {
        XCTAssertEqual(try msr(["train", "--steps", "3", "--checkpoint", path("a")] + tiny).status, 0)
        XCTAssertEqual(try msr(["export", "--checkpoint", path("a"), path("a.safetensors")]).status, 0)
        let b = try msr(["train", "--steps", "1", "--outer-lr", "1e-9", "--seed", "7", "--init-from", path("a.safetensors"),
                         "--checkpoint", path("b")] + tiny)
        XCTAssertEqual(b.status, 0, b.err)
        XCTAssertTrue(b.out.contains("initial parameters from \(path("a.safetensors")): 0.latent_params, 0.warp, 0.latent_params_lr"), b.out)
        let (a, bp) = (try metaParameters("a"), try metaParameters("b"))
        for key in ["symmetryMatrix", "filterParameters", InnerLoop.learningRateKey("filterParameters")] {
            let (x, y) = (a[key].scalars, bp[key].scalars)
            XCTAssertLessThan(zip(x, y).map { abs($0 - $1) }.max()!, 1e-6, key)
        }
    }

    /// A U alone replaces U and leaves the fresh v; wrong names and shapes are refused, naming the tensor.
    func testSymmetryMatrixAloneAndRefusals() throws {
        var g = SplitMix64(seed: 3)
        let u = Tensor.randomNormal([4760, 3], dtype: .float64, using: &g)
        try SafeTensors(tensors: ["0.warp": u]).write(to: directory.appendingPathComponent("u.safetensors"))
        let r = try msr(["train", "--steps", "1", "--outer-lr", "1e-9", "--init-from", path("u.safetensors"), "--checkpoint", path("u")] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("u.safetensors: 0.warp\n"), r.out)
        XCTAssertLessThan(zip(try metaParameters("u")["symmetryMatrix"].scalars, u.scalars).map { abs($0 - $1) }.max()!, 1e-6)

        try SafeTensors(tensors: ["0.warp": Tensor.zeros([4760, 2])]).write(to: directory.appendingPathComponent("narrow.safetensors"))
        try assertFails(["train", "--steps", "1", "--init-from", path("narrow.safetensors")] + tiny,
                        mentioning: ["--init-from", "narrow.safetensors", "‘0.warp’ has shape [4760, 2]; expected [4760, 3]"])
        try SafeTensors(tensors: ["0.wrap": u]).write(to: directory.appendingPathComponent("typo.safetensors"))
        try assertFails(["train", "--steps", "1", "--init-from", path("typo.safetensors")] + tiny, mentioning: ["‘0.wrap’", "0.warp", "0.latent_params"])
        try assertFails(["train", "--steps", "1", "--init-from", path("missing.safetensors")] + tiny, mentioning: ["missing.safetensors"])
        try assertFails(["train", "--resume", "--checkpoint", path("u"), "--init-from", path("u.safetensors")], mentioning: ["--init-from", "--resume"])
    }

    /// A model without a reference layout (msr-conv-full) takes its U under this package's key.
    func testOwnKeysForModelsWithoutReferenceLayout() throws {
        var g = SplitMix64(seed: 4)
        let u = Tensor.randomNormal([216, 54], dtype: .float32, using: &g)
        try SafeTensors(tensors: ["symmetryMatrix": u]).write(to: directory.appendingPathComponent("full.safetensors"))
        let r = try msr(["train", "--problem", "2d_rot8", "--model", "msr-conv-full", "--steps", "1", "--outer-lr", "1e-9",
                         "--init-from", path("full.safetensors"), "--checkpoint", path("full")] + tiny)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertLessThan(zip(try metaParameters("full")["symmetryMatrix"].scalars, u.scalars).map { abs($0 - $1) }.max()!, 1e-6)
    }
}

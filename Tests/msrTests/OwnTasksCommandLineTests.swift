import Datasets
import Foundation
import Tensors
import XCTest

/// A user's own tasks end to end: NumPy files of other shapes (`msr train --data`), a network described in JSON
/// (`--network`), and `msr inspect` on any checkpoint, few-shot included. Each test writes its own files.
final class OwnTasksCommandLineTests: CommandLineTestCase {
    /// A 1-D family of another length and filter size: `tasks` tasks of `examples` signals of length 40, each
    /// task a random 5-tap convolution (targets of length 36), written as float32 (tasks, n, 1, 40) / (…, 36).
    func writeConvolutionFamily(_ name: String, tasks: Int, examples: Int = 10) throws {
        var g = SplitMix64(seed: 7)
        let (length, taps) = (40, 5)
        let x = Tensor.randomNormal([tasks, examples, 1, length], using: &g)
        let w = Tensor.randomNormal([tasks, taps], using: &g)
        let xs = x.floats, ws = w.floats
        var y = [Float](repeating: 0, count: tasks * examples * (length - taps + 1))
        for t in 0..<tasks {
            for n in 0..<examples {
                for o in 0..<(length - taps + 1) {
                    var s: Float = 0
                    for k in 0..<taps { s += ws[t * taps + k] * xs[(t * examples + n) * length + o + k] }
                    y[(t * examples + n) * (length - taps + 1) + o] = s
                }
            }
        }
        try NPZArchive.write([("x", x), ("y", Tensor(shape: [tasks, examples, 1, length - taps + 1], scalars: y))],
                             to: directory.appendingPathComponent(name))
    }

    /// A quarter turn of the 3×3 taps (index y·3 + x), k times: tap (y, x) of the turned filter is tap (x, 2 − y).
    static func turned(_ t: Int, _ k: Int) -> Int { (0..<k).reduce(t) { tap, _ in (tap % 3) * 3 + (2 - tap / 3) } }
    /// The left–right mirror of the 3×3 taps.
    static func mirrored(_ t: Int) -> Int { (t / 3) * 3 + 2 - t % 3 }

    /// A 2-D family of `tasks` tasks of `examples` random side × side images → `channels` valid 3×3 convolutions,
    /// float32: each task has two random base filters, and tap `tap` of channel c's filter is tap `source.tap` of
    /// base filter `source.base` (`source(c, tap)`), so the channels are the bases moved by a group.
    func writeFilterBankFamily(_ name: String, seed: UInt64, side: Int, channels: Int, tasks: Int = 600, examples: Int = 10,
                               source: (_ channel: Int, _ tap: Int) -> (base: Int, tap: Int)) throws {
        var g = SplitMix64(seed: seed)
        let out = side - 2
        let x = Tensor.randomNormal([tasks, examples, 1, side, side], using: &g), base = Tensor.randomNormal([tasks, 2, 9], using: &g)
        let xs = x.floats, bs = base.floats
        var y = [Float](repeating: 0, count: tasks * examples * channels * out * out)
        for t in 0..<tasks {
            for c in 0..<channels {
                let filter = (0..<9).map { tap -> Float in let s = source(c, tap); return bs[(t * 2 + s.base) * 9 + s.tap] }
                for n in 0..<examples {
                    let image = (t * examples + n) * side * side, target = ((t * examples + n) * channels + c) * out * out
                    for i in 0..<out { for j in 0..<out {
                        var s: Float = 0
                        for tap in 0..<9 { s += filter[tap] * xs[image + (i + tap / 3) * side + j + tap % 3] }
                        y[target + i * out + j] = s
                    } }
                }
            }
        }
        try NPZArchive.write([("x", x), ("y", Tensor(shape: [tasks, examples, channels, out, out], scalars: y))],
                             to: directory.appendingPathComponent(name))
    }

    func report(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as! [String: Any]
    }

    /// (a) MSR-FC learns translation from a family of length-40 signals and 5-tap filters with 10 examples per
    /// task: its translation defect in `msr inspect` is at least 10× below MAML-FC's and its MSE far below.
    func testOneDimensionalFamilyOfAnotherLength() throws {
        try writeConvolutionFamily("conv40.npz", tasks: 2000)
        for model in ["msr-fc", "fc"] {
            let r = try msr(["train", "--data", path("conv40.npz"), "--model", model, "--k-qry", "9", "--steps", "1000",
                             "--checkpoint", path(model), "--report", path("\(model).json")])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(r.out.contains("conv40.npz \(model)"), r.out)
        }
        let msrMSE = try report("msr-fc.json")["test_mse"] as! Double, fcMSE = try report("fc.json")["test_mse"] as! Double
        XCTAssertLessThan(msrMSE, 0.3 * fcMSE, "MSR-FC \(msrMSE) vs MAML-FC \(fcMSE)")
        XCTAssertEqual((try report("msr-fc.json")["config"] as? [String: Any])?["problem"] as? String, "data")
        let inspect = try msr(["inspect", "--checkpoint", path("msr-fc"), "--baseline", path("fc"), "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        let msrDefect = (json["defects"] as! [String: Double])["translation"]!
        let fcDefect = ((json["baseline"] as! [String: Any])["defects"] as! [String: Double])["translation"]!
        XCTAssertLessThanOrEqual(10 * msrDefect, fcDefect, "translation defect: MSR-FC \(msrDefect), MAML-FC \(fcDefect)")
    }

    /// (b) A 2-D family of another image size and channel count, equivariant to 90° rotations: 16×16 images,
    /// 8 output channels (one field: channel c is the base filter of its parity turned by (c / 2)·90°), valid
    /// 3×3 convolutions. msr-conv-full's adapted banks reach a C4 defect far below MAML-Conv's.
    func testTwoDimensionalRotationFamilyOfAnotherSize() throws {
        try writeFilterBankFamily("c4.npz", seed: 11, side: 16, channels: 8) { c, tap in (c % 2, Self.turned(tap, c / 2)) }
        for model in ["msr-conv-full", "conv"] {
            let r = try msr(["train", "--data", path("c4.npz"), "--model", model, "--k-qry", "9", "--steps", "1000", "--meta-batch", "16",
                             "--test-tasks", "50", "--eval-interval", "1000", "--checkpoint", path(model)])
            XCTAssertEqual(r.status, 0, r.err)
        }
        let inspect = try msr(["inspect", "--checkpoint", path("msr-conv-full"), "--baseline", path("conv"), "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        let full = ((json["measures"] as! [String: Any])["c4"] as! [String: Any])["adapted"] as! Double
        let conv = ((json["baseline"] as! [String: Any])["defects"] as! [String: Double])["c4"]!
        XCTAssertLessThan(full, 0.3 * conv, "C4 defect of the adapted banks: msr-conv-full \(full), MAML-Conv \(conv)")
        // The group search names c4 for the trained msr-conv-full, with the channel shift it found.
        let group = ((json["layers"] as! [[String: Any]])[0]["group"] as! [String: Any])["named"] as? [String: Any]
        XCTAssertEqual(group?["name"] as? String, "c4", "\(String(describing: group))")
        XCTAssertEqual(group?["fieldSize"] as? Int, 8)
    }

    /// (b′) The same with flips, a D4-equivariant family: 16 channels in one field, channel c = 8h + 2r + p the base
    /// filter of parity p turned by r·90° (h = 0), or mirrored after a turn by (−r − p)·90° (h = 1), so that a
    /// quarter turn of the input shifts every half by 2 and a mirror swaps the halves with g ↦ −g (the regular
    /// representation the 2d_rot8_flip generator uses). The group search names d4 for the trained msr-conv-full.
    func testTwoDimensionalRotationAndFlipFamilyIsNamedD4() throws {
        try writeFilterBankFamily("d4.npz", seed: 12, side: 12, channels: 16) { c, tap in
            let (h, r, parity) = (c / 8, c % 8 / 2, c % 2)
            return (parity, h == 0 ? Self.turned(tap, r) : Self.turned(Self.mirrored(tap), ((-r - parity) % 4 + 4) % 4))
        }
        let r = try msr(["train", "--data", path("d4.npz"), "--model", "msr-conv-full", "--k-qry", "9", "--steps", "1000", "--meta-batch", "16",
                         "--test-tasks", "50", "--eval-interval", "1000", "--checkpoint", path("d4")])
        XCTAssertEqual(r.status, 0, r.err)
        let inspect = try msr(["inspect", "--checkpoint", path("d4"), "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        let group = ((json["layers"] as! [[String: Any]])[0]["group"] as! [String: Any])
        let named = group["named"] as? [String: Any]
        XCTAssertEqual(named?["name"] as? String, "d4", "\(group["summary"] ?? "")")
        XCTAssertEqual(named?["fieldSize"] as? Int, 16)
    }

    /// (c) Flat float64 vectors (6 → 4) with no symmetry: the models that fit train, evaluate (from another
    /// directory: the stored data path is absolute) and are inspected; the ones that do not fit say why.
    func testFlatVectorsEveryFittingModel() throws {
        var g = SplitMix64(seed: 3)
        let x = Tensor.randomNormal([40, 8, 6], dtype: .float64, using: &g), a = Tensor.randomNormal([40, 4, 6], dtype: .float64, using: &g)
        let y = Tensor.matmul(x, a, transposeB: true)  // (40, 8, 4): each task its own linear map
        try NPZArchive.write([("x", x), ("y", y)], to: directory.appendingPathComponent("flat.npz"))
        for model in ["fc", "msr-fc"] {
            let r = try msr(["train", "--data", "flat.npz", "--model", model, "--k-qry", "7", "--steps", "5", "--checkpoint", path(model)],
                            in: directory)
            XCTAssertEqual(r.status, 0, r.err)
            let e = try msr(["eval", "--checkpoint", path(model)])
            XCTAssertEqual(e.status, 0, e.err)
            XCTAssertTrue(e.out.contains("flat.npz \(model) after 5 steps: test mse"), e.out)
            XCTAssertEqual(try msr(["inspect", "--checkpoint", path(model), "--json"]).status, 0)
        }
        for model in ["conv", "lc", "msr-conv", "msr-conv-full"] {
            try assertFails(["train", "--data", path("flat.npz"), "--model", model, "--k-qry", "7", "--steps", "1"],
                            mentioning: ["model \(model) does not fit examples of shape (6) → (4)"])
        }
    }

    /// Two MSR layers with a ReLU between them, from a JSON file: trains, checkpoints, resumes to exactly the
    /// uninterrupted run, and `msr inspect` reports each MSR layer.
    func testDescribedNetworkTrainsResumesExactlyAndIsInspectedPerLayer() throws {
        try writeConvolutionFamily("conv40.npz", tasks: 40)
        let network = """
        {"layers": [{"type": "msr-linear", "outputs": 38, "latentSize": 4}, {"type": "relu"},
                    {"type": "msr-linear", "outputs": 36, "latentSize": 4, "bias": false}]}
        """
        try Data(network.utf8).write(to: directory.appendingPathComponent("net.json"))
        let common = ["train", "--data", path("conv40.npz"), "--network", path("net.json"), "--k-qry", "9", "--meta-batch", "4",
                      "--test-tasks", "4", "--eval-interval", "2"]
        XCTAssertEqual(try msr(common + ["--steps", "6", "--checkpoint", path("straight")]).status, 0)
        XCTAssertEqual(try msr(common + ["--steps", "3", "--checkpoint", path("resumed")]).status, 0)
        let resume = try msr(["train", "--resume", "--checkpoint", path("resumed"), "--steps", "6"])
        XCTAssertEqual(resume.status, 0, resume.err)
        let a = try SafeTensors(contentsOf: directory.appendingPathComponent("straight/checkpoint.safetensors"))
        let b = try SafeTensors(contentsOf: directory.appendingPathComponent("resumed/checkpoint.safetensors"))
        XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys))
        XCTAssertTrue(a.tensors.keys.contains("meta.2.symmetryMatrix"))
        for key in a.tensors.keys { XCTAssertEqual(a.tensors[key]!.scalars, b.tensors[key]!.scalars, key) }
        let inspect = try msr(["inspect", "--checkpoint", path("resumed"), "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let layers = (try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any])["layers"] as! [[String: Any]]
        XCTAssertEqual(layers.map { $0["prefix"] as? String }, ["0", "2"])
        XCTAssertEqual(layers.map { $0["reparameterised"] as? Bool }, [true, true])
        XCTAssertNotNil((layers[0]["measures"] as? [String: Any])?["translation"])
    }

    /// `msr inspect` on a few-shot MSR checkpoint prints the figures of each of MSR-Conv4's layers.
    func testInspectFewShotCheckpointPerLayer() throws {
        let r = try msr(["train", "--problem", "omniglot", "--method", "msr", "--steps", "1", "--width", "4", "--queries", "2",
                         "--test-episodes", "2", "--validation-episodes", "2", "--checkpoint", path("fs")])
        XCTAssertEqual(r.status, 0, r.err)
        let inspect = try msr(["inspect", "--checkpoint", path("fs")])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        for layer in ["block1.conv", "block4.conv", "head"] { XCTAssertTrue(inspect.out.contains(layer), inspect.out) }
        XCTAssertTrue(inspect.out.contains("SymmetricConv2d") && inspect.out.contains("rotation (taps)"), inspect.out)
    }
}

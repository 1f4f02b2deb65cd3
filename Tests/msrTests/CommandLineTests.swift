import Datasets
import Foundation
import Tensors
import XCTest

/// The `msr` tool end to end: runs the built executable (beside the test bundle) with real arguments.
final class CommandLineTests: CommandLineTestCase {
    func testBadFlags() throws {
        try assertFails(["train", "--steps", "0"], mentioning: ["--steps must be at least 1"])
        try assertFails(["train", "--model", "mlp"], mentioning: ["fc", "lc", "conv", "msr-fc"])
        try assertFails(["train", "--problem", "rank3"], mentioning: ["rank1", "rank2", "rank5"])
        try assertFails(["train", "--resume"], mentioning: ["--resume needs --checkpoint"])
        try assertFails(["train", "--k-spt", "15", "--k-qry", "10", "--tasks", "10", "--steps", "1"], mentioning: ["exceed the 20 examples"])
        try assertFails(["eval", "--checkpoint", path("none")], mentioning: ["no checkpoint"])
        try assertFails(["train", "--latent-size", "100000", "--steps", "1"], mentioning: ["--latent-size 100000 exceeds the 4760 entries"])
        try assertFails(["train", "--problem", "2d_rot8", "--model", "msr-conv-full", "--latent-size", "1000", "--steps", "1"],
                        mentioning: ["exceeds the 216 entries"])
        try assertFails(["inspect", "--checkpoint", path("none"), "--samples", "0"], mentioning: ["--samples must be at least 1"])
    }

    func testBadDataFiles() throws {
        try assertFails(["train", "--data", path("missing.npz"), "--steps", "1"], mentioning: ["missing.npz"])
        try Data("hello".utf8).write(to: directory.appendingPathComponent("text.npz"))
        try assertFails(["train", "--data", path("text.npz"), "--steps", "1"], mentioning: ["text.npz"])
        // Right format, wrong shape for the reference's rank1 layout (--problem rank1): inputs of length 71.
        // (Without --problem the file is a family of its own shapes: see OwnTasksCommandLineTests.)
        let x = Tensor.zeros([4, 20, 1, 71]), y = Tensor.zeros([4, 20, 1, 68])
        try NPZArchive.write([("x", x), ("y", y)], to: directory.appendingPathComponent("shape.npz"))
        try assertFails(["train", "--problem", "rank1", "--data", path("shape.npz"), "--steps", "1"], mentioning: ["(tasks, 20, 1, 70)"])
    }

    /// generate → train (report, checkpoint) → resume → eval, on a tiny family.
    func testGenerateTrainResumeEval() throws {
        let gen = try msr(["generate", "--problem", "rank2", "--tasks", "20", "--out", path("r2.npz")])
        XCTAssertEqual(gen.status, 0, gen.err)
        let common = ["--data", path("r2.npz"), "--problem", "rank2", "--model", "msr-fc", "--meta-batch", "4", "--test-tasks", "4", "--threads", "2",
                      "--checkpoint", path("run")]
        let train = try msr(["train", "--steps", "3", "--report", path("report.json")] + common)
        XCTAssertEqual(train.status, 0, train.err)
        XCTAssertTrue(train.out.contains("test mse"), train.out)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("report.json"))) as! [String: Any]
        for key in ["test_mse", "test_mse_ci95", "steps_per_second", "wall_seconds", "config", "evaluations"] {
            XCTAssertNotNil(report[key], "report lacks \(key)")
        }
        XCTAssertEqual(report["test_tasks_used"] as? Int, 4)
        XCTAssertEqual((report["config"] as? [String: Any])?["latentSize"] as? Int, 6)

        // A second run into the same directory must not overwrite it silently.
        try assertFails(["train", "--steps", "3"] + common, mentioning: ["already holds a checkpoint", "--resume"])
        let resumed = try msr(["train", "--resume", "--steps", "5"] + common)
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertTrue(resumed.out.contains("from step 3"), resumed.out)
        XCTAssertTrue(resumed.out.contains("after 5 steps"), resumed.out)

        let eval = try msr(["eval", "--checkpoint", path("run"), "--threads", "1"])
        XCTAssertEqual(eval.status, 0, eval.err)
        XCTAssertTrue(eval.out.contains("after 5 steps: test mse"), eval.out)
        XCTAssertTrue(eval.out.contains("Toeplitz"), eval.out)
    }

    func testHelpListsEveryTrainingFlag() throws {
        let help = try msr(["train", "--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--problem", "--model", "--latent-size", "--data", "--steps", "--meta-batch", "--k-spt", "--k-qry",
                     "--inner-steps", "--inner-lr", "--outer-lr", "--first-order", "--eval-interval", "--test-tasks", "--seed",
                     "--threads", "--report", "--checkpoint", "--resume"] {
            XCTAssertTrue(help.out.contains(flag), "help lacks \(flag)")
        }
    }
}

extension CommandLineTests {
    /// inspect prints defects for every candidate, as a table or JSON with a `defects` object; the table run writes
    /// its figures (the JSON run none).
    func testInspect() throws {
        let train = try msr(["train", "--tasks", "20", "--steps", "2", "--meta-batch", "2", "--test-tasks", "3", "--threads", "1",
                             "--checkpoint", path("ck")])
        XCTAssertEqual(train.status, 0, train.err)
        let json = try msr(["inspect", "--checkpoint", path("ck"), "--json", "--samples", "3"])
        XCTAssertEqual(json.status, 0, json.err)
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as! [String: Any]
        let defects = object["defects"] as! [String: Double]
        XCTAssertEqual(Set(defects.keys), ["translation", "reversal"])
        XCTAssertTrue(defects.values.allSatisfy { $0 >= 0 && $0 <= 1.0001 })
        let table = try msr(["inspect", "--checkpoint", path("ck"), "--samples", "3"])
        XCTAssertTrue(table.out.contains("translation") && table.out.contains("random v"), table.out)
        XCTAssertTrue(table.out.contains("symmetry group of each weight layer") && table.out.contains("translation by 1: "), table.out)
        for name in ["W-random-v", "U-columns", "W-adapted"] {   // titled SVG figures with their heat maps embedded as PNG
            let svg = try String(contentsOf: directory.appendingPathComponent("ck/pictures/\(name).svg"), encoding: .utf8)
            XCTAssertTrue(svg.contains("rank1 msr-fc: ") && svg.contains("url(#diverging)") && svg.contains("data:image/png;base64,"), name)
        }
    }
}

extension CommandLineTests {
    /// The 2-D path end to end: generate a tiny D8 family, train MSR-Conv from it, inspect its filters.
    func testTwoDimensionalTrainAndInspect() throws {
        let gen = try msr(["generate", "--problem", "2d_rot8_flip", "--tasks", "10", "--out", path("d8.npz")])
        XCTAssertEqual(gen.status, 0, gen.err)
        let train = try msr(["train", "--problem", "2d_rot8_flip", "--model", "msr-conv", "--data", path("d8.npz"), "--steps", "2",
                             "--meta-batch", "2", "--test-tasks", "2", "--threads", "2", "--checkpoint", path("d8run"),
                             "--report", path("d8.json")])
        XCTAssertEqual(train.status, 0, train.err)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("d8.json"))) as! [String: Any]
        XCTAssertNotNil(report["test_mse"])
        XCTAssertNotNil(report["peak_memory_mib"])
        XCTAssertEqual(report["ranks"] as? Int, 1)
        let inspect = try msr(["inspect", "--checkpoint", path("d8run"), "--json", "--samples", "2"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let object = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        XCTAssertEqual(Set((object["defects"] as! [String: Double]).keys), ["c4", "c8-ring", "flip"])
        XCTAssertNotNil(object["factors"])
        try assertFails(["train", "--problem", "2d_rot8", "--model", "msr-fc"], mentioning: ["does not fit", "msr-conv"])
    }

    /// The scale family end to end: generate it, train msr-conv-full from the file, inspect the rescaled copies.
    func testScaleFamilyGenerateTrainAndInspect() throws {
        let gen = try msr(["generate", "--problem", "2d_scale", "--tasks", "10", "--out", path("scale.npz")])
        XCTAssertEqual(gen.status, 0, gen.err)
        XCTAssertTrue(gen.out.contains("(10, 9, 1, 9, 9)"), gen.out)
        let train = try msr(["train", "--problem", "2d_scale", "--model", "msr-conv-full", "--data", path("scale.npz"), "--steps", "2",
                             "--meta-batch", "2", "--test-tasks", "2", "--threads", "2", "--checkpoint", path("scalerun")])
        XCTAssertEqual(train.status, 0, train.err)
        let inspect = try msr(["inspect", "--checkpoint", path("scalerun"), "--json", "--samples", "2"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let object = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        let copies = try XCTUnwrap(object["rescaledCopies"] as? [String: Any])
        XCTAssertEqual((copies["adapted"] as? [Double])?.count, 2)
        XCTAssertNotNil(object["symmetryMatrix"])
        try assertFails(["reproduce", "table2", "--problems", "rank1"], mentioning: ["2-D families", "2d_scale"])
    }
}

extension CommandLineTests {
    /// eval --json and inspect --json are machine-readable on standard output; inspect with JSON writes no
    /// pictures unless --pictures is given, and --json-file writes the same JSON to a file.
    func testMachineReadableEvalAndInspect() throws {
        let train = try msr(["train", "--tasks", "20", "--steps", "2", "--meta-batch", "2", "--test-tasks", "3", "--threads", "1",
                             "--checkpoint", path("ck")])
        XCTAssertEqual(train.status, 0, train.err)
        let eval = try msr(["eval", "--checkpoint", path("ck"), "--json"])
        XCTAssertEqual(eval.status, 0, eval.err)
        let e = try JSONSerialization.jsonObject(with: Data(eval.out.utf8)) as! [String: Any]
        XCTAssertEqual(e["metric"] as? String, "mse")
        XCTAssertEqual(e["episodes"] as? Int, 3)
        XCTAssertEqual(e["step"] as? Int, 2)
        XCTAssertNotNil(e["mean"] as? Double)
        XCTAssertNotNil(e["halfWidth95"] as? Double)
        let inspect = try msr(["inspect", "--checkpoint", path("ck"), "--json", "--samples", "3", "--json-file", path("i.json")])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let object = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        let fromFile = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("i.json"))) as! [String: Any]
        XCTAssertEqual(NSDictionary(dictionary: object), NSDictionary(dictionary: fromFile))
        let group = ((object["layers"] as! [[String: Any]])[0]["group"] as! [String: Any])
        XCTAssertEqual((group["candidates"] as? [[String: Any]])?.map { $0["name"] as? String }, ["translation by 1", "translation by 2", "reversal"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("ck/pictures")))
        XCTAssertEqual(try msr(["inspect", "--checkpoint", path("ck"), "--json", "--samples", "3", "--pictures", path("p")]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("p/W-random-v.svg")))
        try assertFails(["inspect", "--checkpoint", path("ck"), "--threshold", "0"], mentioning: ["--threshold must lie in (0, 1)"])
    }
}

extension CommandLineTests {
    /// `--kronecker-terms r`: MSR-Conv with U = Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ trains, saves r factor triples, resumes and
    /// evaluates with them and is inspected (without the single-product factor figures); the flag is refused
    /// out of range, for models without a Kronecker U, and by the reference-code export (ShareConv2d holds one
    /// product).
    func testKroneckerTerms() throws {
        let train = try msr(["train", "--problem", "2d_rot8", "--model", "msr-conv", "--kronecker-terms", "3", "--tasks", "8", "--steps", "2",
                             "--meta-batch", "2", "--test-tasks", "2", "--checkpoint", path("r3")])
        XCTAssertEqual(train.status, 0, train.err)
        let tensors = try SafeTensors(contentsOf: directory.appendingPathComponent("r3").appendingPathComponent("checkpoint.safetensors")).tensors
        for t in ["", ".1", ".2"] {
            XCTAssertEqual(tensors["meta.symmetryMatrix.outputChannels" + t]?.shape, [24, 24], t)
            XCTAssertEqual(tensors["meta.symmetryMatrix.kernelTaps" + t]?.shape, [9, 9], t)
        }
        XCTAssertNil(tensors["meta.symmetryMatrix.outputChannels.3"])
        let resumed = try msr(["train", "--resume", "--checkpoint", path("r3"), "--steps", "3"])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertEqual(try msr(["eval", "--checkpoint", path("r3")]).status, 0)
        let inspect = try msr(["inspect", "--checkpoint", path("r3"), "--json", "--samples", "2"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        let object = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as! [String: Any]
        XCTAssertNotNil(object["rotatedCopiesError"], inspect.out)
        XCTAssertNil(object["factors"])
        try assertFails(["export", "--checkpoint", path("r3"), "--format", "torch-reference", path("r3.safetensors")],
                        mentioning: ["3 Kronecker terms", "no counterpart"])
        try assertFails(["train", "--problem", "2d_rot8", "--model", "msr-conv", "--kronecker-terms", "0", "--steps", "1"],
                        mentioning: ["--kronecker-terms must be from 1 to 64, got 0"])
        try assertFails(["train", "--problem", "2d_rot8", "--model", "msr-conv", "--kronecker-terms", "65", "--steps", "1"],
                        mentioning: ["--kronecker-terms must be from 1 to 64, got 65"])
        try assertFails(["train", "--problem", "2d_rot8", "--model", "conv", "--kronecker-terms", "2", "--steps", "1"],
                        mentioning: ["--kronecker-terms sizes msr-conv's U", "conv has none"])
        try assertFails(["train", "--problem", "omniglot", "--method", "protonets", "--kronecker-terms", "2", "--steps", "1"],
                        mentioning: ["--method protonets has none"])
    }
}

extension CommandLineTests {
    /// `reproduce table2 --kronecker-terms 1 2`: an MSR-Conv column per r, each run's r in the report; r out of
    /// range is refused.
    func testTable2SweepsKroneckerTerms() throws {
        let r = try msr(["reproduce", "table2", "--problems", "2d_rot8", "--kronecker-terms", "1", "2", "--steps", "2", "--tasks", "8",
                         "--meta-batch", "2", "--test-tasks", "2", "--report", path("sweep.json")])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("MSR-Conv r = 1") && r.out.contains("MSR-Conv r = 2"), r.out)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("sweep.json"))) as! [String: Any]
        let runs = report["runs"] as! [[String: Any]]
        XCTAssertEqual(runs.map { $0["model"] as! String }, ["conv", "msr-conv", "msr-conv"])
        XCTAssertEqual(runs.map { $0["kronecker_terms"] as? Int }, [nil, 1, 2])
        try assertFails(["reproduce", "table2", "--kronecker-terms", "0"], mentioning: ["--kronecker-terms must be from 1 to 64, got 0"])
    }
}

import Datasets
import Foundation
import XCTest

/// `msr train --problem omniglot`, `msr eval` and `msr reproduce table3` end to end, on tiny settings (the
/// tests run the debug build): the report's keys, a checkpoint that resumes and evaluates, and clear errors.
final class FewShotCommandLineTests: CommandLineTestCase {
    /// A tiny few-shot run's flags: width 4, 2 queries per class, few episodes.
    let tiny = ["--problem", "omniglot", "--width", "4", "--queries", "2", "--meta-batch", "2", "--test-episodes", "6",
                "--validation-episodes", "4", "--threads", "2"]

    func testFewShotTrainResumeEval() throws {
        let checkpoint = path("fs"), report = path("fs.json")
        let first = try msr(["train", "--method", "maml", "--steps", "2"] + tiny + ["--checkpoint", checkpoint])
        XCTAssertEqual(first.status, 0, first.err + first.out)
        XCTAssertTrue(first.out.contains("Aug-Omniglot 5-way 1-shot maml"), first.out)
        XCTAssertTrue(first.out.contains("20 one-shot runs"), first.out)

        // Resume to step 3 with a report; the run continues from the saved step.
        let resumed = try msr(["train", "--checkpoint", checkpoint, "--resume", "--steps", "3", "--report", report])
        XCTAssertEqual(resumed.status, 0, resumed.err + resumed.out)
        XCTAssertTrue(resumed.out.contains("from step 2"), resumed.out)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        let accuracy = try XCTUnwrap(json["test_accuracy"] as? Double)
        XCTAssertTrue((0...1).contains(accuracy), "test_accuracy is a fraction: \(accuracy)")
        XCTAssertNotNil(json["test_accuracy_ci95"] as? Double)
        XCTAssertEqual(json["test_episodes"] as? Int, 6)
        XCTAssertEqual(json["steps_completed"] as? Int, 3)
        XCTAssertEqual(json["resumed_from_step"] as? Int, 2)
        for key in ["steps_per_second", "tasks_per_second", "wall_seconds", "peak_memory_mib", "config", "evaluations", "one_shot_runs"] {
            XCTAssertNotNil(json[key], "report lacks \(key)")
        }
        let config = try XCTUnwrap(json["config"] as? [String: Any])
        XCTAssertEqual((config["training"] as? [String: Any])?["method"] as? String, "maml")

        let eval = try msr(["eval", "--checkpoint", checkpoint, "--test-tasks", "4"])
        XCTAssertEqual(eval.status, 0, eval.err + eval.out)
        XCTAssertTrue(eval.out.contains("after 3 steps: meta-test accuracy"), eval.out)

        // A finished run's checkpoint is never overwritten by a new run.
        try assertFails(["train", "--method", "maml", "--steps", "1"] + tiny + ["--checkpoint", checkpoint], mentioning: ["already holds a checkpoint"])
    }

    func testTable3() throws {
        let report = path("t3.json")
        let r = try msr(["reproduce", "table3", "--methods", "protonets", "--settings", "5w1s", "--steps", "2", "--test-episodes", "4",
                         "--width", "4", "--no-augment-queries", "--report", report])
        XCTAssertEqual(r.status, 0, r.err + r.out)
        XCTAssertTrue(r.out.contains("Omniglot 5-way 1-shot protonets"), r.out)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        XCTAssertEqual((json["runs"] as? [[String: Any]])?.count, 1)
    }

    /// mini-ImageNet in the users' layout (written here: 5 classes of 3 flat-coloured 84×84 JPEG images per
    /// split) trains and evaluates through the same command.
    func testMiniImageNetLayout() throws {
        let root = directory.appendingPathComponent("mini")
        let images = root.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for split in MiniImageNet.Split.allCases {
            var csv = "filename,label\n"
            for c in 0..<5 {
                for i in 0..<3 {
                    let name = "\(split.rawValue)\(c)_\(i).jpg"
                    let colour: [UInt8] = [UInt8(40 * c + 20), UInt8(60 * i + 20), 128]
                    try JPEGImage(width: 84, height: 84, channels: 3, pixels: Array((0..<(84 * 84)).map { _ in colour }.joined()))
                        .write(to: images.appendingPathComponent(name), quality: 90)
                    csv += "\(name),\(split.rawValue)class\(c)\n"
                }
            }
            try Data(csv.utf8).write(to: root.appendingPathComponent(split.fileName))
        }
        let report = path("mini.json")
        let r = try msr(["train", "--problem", "mini-imagenet", "--mini-imagenet", root.path, "--method", "protonets", "--steps", "1",
                         "--width", "4", "--queries", "2", "--test-episodes", "2", "--validation-episodes", "2", "--report", report])
        XCTAssertEqual(r.status, 0, r.err + r.out)
        XCTAssertTrue(r.out.contains("Aug-MiniImagenet 5-way 1-shot protonets: 5 meta-train / 5 meta-validation / 5 meta-test classes"), r.out)
        XCTAssertTrue(r.out.contains("step 1: meta-validation accuracy"), "val.csv's classes are the periodic evaluations'\n" + r.out)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        XCTAssertNotNil(json["test_accuracy"] as? Double)
        XCTAssertNil(json["one_shot_runs"], "the Omniglot one-shot runs are not for mini-ImageNet models")
        try assertFails(["train", "--problem", "mini-imagenet", "--mini-imagenet", root.path, "--queries", "5", "--steps", "1"],
                        mentioning: ["has only 3"])
    }

    func testFewShotBadFlags() throws {
        try assertFails(["train", "--problem", "omniglot", "--model", "msr-fc"], mentioning: ["--method"])
        try assertFails(["train", "--problem", "rank1", "--method", "maml"], mentioning: ["--method", "few-shot"])
        try assertFails(["train", "--problem", "omniglot", "--method", "reptile"], mentioning: ["maml", "anil", "protonets", "msr"])
        try assertFails(["train", "--problem", "omniglot", "--ways", "0"], mentioning: ["--ways must be at least 1"])
        try assertFails(["train", "--problem", "omniglot", "--ways", "500", "--steps", "1"], mentioning: ["500 ways", "classes"])
        try assertFails(["train", "--problem", "omniglot", "--omniglot", path("missing.zip"), "--steps", "1"], mentioning: ["missing.zip"])
        try assertFails(["train", "--problem", "mini-imagenet", "--steps", "1"], mentioning: ["--mini-imagenet"])
        try assertFails(["reproduce", "table3", "--settings", "5x1"], mentioning: ["settings"])
    }
}

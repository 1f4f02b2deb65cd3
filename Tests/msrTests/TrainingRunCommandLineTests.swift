import Datasets
import Foundation
import Tensors
import XCTest

/// The edges of a run (`runTraining`): nothing is lost and nothing non-finite is saved — divergence, Ctrl-C,
/// unwritable destinations, resumed learning curves, hostile checkpoints (issue 14, items 1, 2, 5 and 6).
final class TrainingRunCommandLineTests: CommandLineTestCase {
    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name))) as! [String: Any]
    }

    /// The tensors of a checkpoint, for bitwise comparison.
    func tensors(_ checkpoint: String) throws -> [String: [Float]] {
        try SafeTensors(contentsOf: directory.appendingPathComponent(checkpoint).appendingPathComponent("checkpoint.safetensors"))
            .tensors.mapValues(\.floats)
    }

    /// A flat family (tasks, 10, 4) → (tasks, 10, 2) of random linear maps, whose task 0 (meta-training) has
    /// targets scaled by 1e25: finite in Float, but its squared error overflows, so the run diverges on the
    /// first meta-batch that draws it.
    func writeFamilyWithOneExplodingTask(_ name: String, tasks: Int = 200) throws {
        var g = SplitMix64(seed: 3)
        let x = Tensor.randomNormal([tasks, 10, 4], using: &g), w = Tensor.randomNormal([tasks, 4, 2], using: &g)
        let xs = x.floats, ws = w.floats
        var y = [Float](repeating: 0, count: tasks * 10 * 2)
        for t in 0..<tasks {
            for n in 0..<10 {
                for o in 0..<2 {
                    var s: Float = 0
                    for i in 0..<4 { s += xs[(t * 10 + n) * 4 + i] * ws[(t * 4 + i) * 2 + o] }
                    y[(t * 10 + n) * 2 + o] = t == 0 ? s * 1e25 : s
                }
            }
        }
        try NPZArchive.write([("x", x), ("y", Tensor(shape: [tasks, 10, 2], scalars: y))], to: directory.appendingPathComponent(name))
    }

    /// A run that diverges on purpose fails with a non-zero status naming the step; its checkpoint still equals,
    /// bit for bit, the state of the same run stopped one step earlier (the last finite one), and its report
    /// says `diverged` with only finite evaluations.
    func testADivergingRunLeavesTheLastFiniteCheckpoint() throws {
        try writeFamilyWithOneExplodingTask("explode.npz")
        let common = ["train", "--data", path("explode.npz"), "--model", "msr-fc", "--k-spt", "2", "--k-qry", "8", "--meta-batch", "2",
                      "--eval-interval", "1", "--test-tasks", "4", "--threads", "1"]
        let r = try msr(common + ["--steps", "500", "--checkpoint", path("run"), "--report", path("run.json")])
        XCTAssertNotEqual(r.status, 0, r.out)
        guard let match = r.err.range(of: #"diverged at step (\d+)"#, options: .regularExpression),
              let step = Int(r.err[match].split(separator: " ").last!) else { return XCTFail("no step in ‘\(r.err)’") }
        XCTAssertGreaterThan(step, 1, "task 0 should not be in the first meta-batch for this seed")
        XCTAssertTrue(r.err.contains("--outer-lr"), r.err)
        let report = try json("run.json")
        XCTAssertEqual(report["status"] as? String, "diverged")
        let evaluations = report["evaluations"] as! [[String: Any]]
        XCTAssertEqual(evaluations.count, step - 1)
        XCTAssertTrue(evaluations.allSatisfy { ($0["test_mse"] as? Double)?.isFinite == true })

        let earlier = try msr(common + ["--steps", "\(step - 1)", "--checkpoint", path("earlier")])
        XCTAssertEqual(earlier.status, 0, earlier.err)
        let saved = try tensors("run"), reference = try tensors("earlier")
        XCTAssertEqual(saved.keys.sorted(), reference.keys.sorted())
        for (key, values) in reference {
            XCTAssertTrue(saved[key]!.allSatisfy(\.isFinite), key)
            XCTAssertEqual(saved[key]!, values, key)
        }
    }

    /// Learning rates that explode at once (the issue's cases) fail at step 1 and leave the initial state, finite,
    /// as the checkpoint; the report says `diverged` and why.
    func testExplodingLearningRatesStopAtTheFirstStep() throws {
        for (i, flags) in [["--outer-lr", "1e6"], ["--inner-lr", "1e30"]].enumerated() {
            let r = try msr(["train", "--steps", "50", "--tasks", "20", "--meta-batch", "4", "--test-tasks", "4", "--checkpoint", path("c\(i)"),
                             "--report", path("r\(i).json")] + flags)
            XCTAssertNotEqual(r.status, 0, flags.joined(separator: " "))
            XCTAssertTrue(r.err.contains("diverged at step 1"), r.err)
            let file = try SafeTensors(contentsOf: directory.appendingPathComponent("c\(i)/checkpoint.safetensors"))
            XCTAssertEqual(file.metadata["step"], "0")
            XCTAssertTrue(file.tensors.values.allSatisfy(\.isFinite))
            let report = try json("r\(i).json")
            XCTAssertEqual(report["status"] as? String, "diverged")
            XCTAssertTrue((report["error"] as? String)?.contains("diverged at step 1") == true)
        }
    }

    /// The report is rewritten after every evaluation while the run goes on (status `running`), and Ctrl-C
    /// saves checkpoint and report (status `interrupted`) and exits with 130.
    func testTheReportFollowsTheRunAndCtrlCSavesIt() throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["train", "--steps", "1000000", "--eval-interval", "5", "--test-tasks", "4", "--meta-batch", "4",
                             "--tasks", "40", "--threads", "1", "--checkpoint", path("long"), "--report", path("long.json")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let r = try? json("long.json"), (r["evaluations"] as? [Any])?.count ?? 0 >= 3 { seen = r; break }
            usleep(20_000)
        }
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(seen["status"] as? String, "running")
        XCTAssertEqual(process.terminationStatus, 130)
        let final = try json("long.json")
        XCTAssertEqual(final["status"] as? String, "interrupted")
        XCTAssertEqual(final["interrupted"] as? Bool, true)
        let steps = final["steps_completed"] as! Int
        // Three evaluations (after steps 1, 5 and 10) were seen before the interrupt; the stop comes before a step.
        XCTAssertGreaterThanOrEqual(steps, 10)
        let resumed = try msr(["train", "--resume", "--checkpoint", path("long"), "--steps", "\(steps + 1)", "--report", path("more.json")])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        // The resumed report holds the whole curve: every evaluation before the interruption, then the new one.
        let before = (final["evaluations"] as! [[String: Any]]).map { $0["step"] as! Int }
        let after = (try json("more.json")["evaluations"] as! [[String: Any]]).map { $0["step"] as! Int }
        XCTAssertEqual(after, before + [steps + 1])
        // Every evaluation records the process's peak memory then: positive, never falling within one process.
        let memory = (final["evaluations"] as! [[String: Any]]).map { $0["peak_memory_mib"] as? Double ?? -1 }
        XCTAssertTrue(memory.allSatisfy { $0 > 0 }, "\(memory)")
        XCTAssertEqual(memory, memory.sorted())
    }

    /// Unwritable destinations fail before the first step, with the system's reason, not Foundation's dump.
    func testUnwritableDestinationsFailBeforeTraining() throws {
        try Data().write(to: directory.appendingPathComponent("file"))
        for (flag, target, words) in [("--checkpoint", "file/run", "cannot write the checkpoint to"), ("--report", "file/run.json", "run.json")] {
            let r = try msr(["train", "--steps", "1000000", "--tasks", "20", flag, path(target)])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.err.contains(words), r.err)
            XCTAssertFalse(r.err.contains("NSCocoaErrorDomain") || r.err.contains("UserInfo"), r.err)
            XCTAssertFalse(r.out.contains("steps, second-order"), "training started: \(r.out)")
        }
    }

    /// Small silent nonsense that is now an error: a negative count reads as a value (not "Missing value"),
    /// `--tasks` below what the 80/20 split needs, and `--resume --steps` at or below the checkpoint's step.
    func testCountsAndResumeBudgetsAreChecked() throws {
        try assertFails(["train", "--steps", "-1"], mentioning: ["--steps must be at least 1, got -1"])
        try assertFails(["train", "--inner-steps", "-1"], mentioning: ["--inner-steps must be at least 1, got -1"])
        for tasks in 3...5 { try assertFails(["train", "--tasks", "\(tasks)", "--steps", "1"], mentioning: ["--tasks must be at least 6"]) }
        for tasks in [7, 9] {
            let r = try msr(["train", "--tasks", "\(tasks)", "--steps", "1", "--meta-batch", "2", "--test-tasks", "2"])
            XCTAssertEqual(r.status, 0, r.err)
        }
        let ok = try msr(["train", "--tasks", "6", "--steps", "3", "--meta-batch", "2", "--test-tasks", "2", "--checkpoint", path("six")])
        XCTAssertEqual(ok.status, 0, ok.err)
        try assertFails(["train", "--resume", "--checkpoint", path("six"), "--steps", "2"], mentioning: ["at step 3 already", "more than 3"])
        try assertFails(["train", "--resume", "--checkpoint", path("six"), "--steps", "3"], mentioning: ["at step 3 already"])
    }

    /// A hand-edited checkpoint is an error from every command that reads it, never a trap: here U with a
    /// column removed, and NaN weights (which `inspect` used to report as exactly symmetric).
    func testEveryCommandRefusesACheckpointThatDoesNotFit() throws {
        let r = try msr(["train", "--tasks", "20", "--steps", "2", "--meta-batch", "2", "--test-tasks", "2", "--checkpoint", path("good")])
        XCTAssertEqual(r.status, 0, r.err)
        let url = directory.appendingPathComponent("good/checkpoint.safetensors")
        let file = try SafeTensors(contentsOf: url)
        var narrow = file.tensors
        narrow["meta.symmetryMatrix"] = narrow["meta.symmetryMatrix"]!.sliced(axis: 1, 0..<2)
        try SafeTensors(tensors: narrow, metadata: file.metadata).write(to: url)
        for command in [["eval"], ["inspect"], ["train", "--resume", "--steps", "3"]] {
            try assertFails(command + ["--checkpoint", path("good")],
                            mentioning: ["tensor meta.symmetryMatrix should be (4760, 3), found (4760, 2)"])
        }
        var poisoned = file.tensors
        var v = poisoned["meta.filterParameters"]!.scalars
        v[0] = .nan
        poisoned["meta.filterParameters"] = Tensor(shape: [v.count], values: v, dtype: .float32)
        try SafeTensors(tensors: poisoned, metadata: file.metadata).write(to: url)
        try assertFails(["inspect", "--checkpoint", path("good")], mentioning: ["non-finite", "meta.filterParameters"])
    }
}

import Datasets
import Foundation
import Tensors
import TestSupport
import XCTest

/// Runs the built `msr` under `mpirun` on this machine (loopback) and compares with one process: parameters
/// after 50 outer steps with P = 1, 2, 4 ranks, reports, resuming across modes, and a rank that dies.
/// Skipped when Open MPI (mpirun and libmpi.so.40) is absent.
final class MPITrainingTests: XCTestCase {
    struct Result { var status: Int32; var out: String; var seconds: Double; var timedOut: Bool }

    static let executable = builtExecutable(named: "msr")

    static let mpirun: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static let openMPILoads: Bool = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL) != nil

    /// A small rank1 MSR-FC run: 8 tasks per step (so 4 ranks own 2 each), two evaluations.
    static let training = ["train", "--problem", "rank1", "--model", "msr-fc", "--tasks", "100", "--test-tasks", "20",
                           "--meta-batch", "8", "--eval-interval", "25", "--threads", "1", "--seed", "3"]

    var directory: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.executable.path), "msr not built at \(Self.executable.path)")
        try XCTSkipIf(Self.mpirun == nil, "mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev) to run the MPI tests")
        try XCTSkipUnless(Self.openMPILoads, "Open MPI's libmpi.so.40 does not load: install libopenmpi-dev to run the MPI tests")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("msr-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let directory { try? FileManager.default.removeItem(at: directory) } }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs a command (output of both streams into one file), killing it after `timeout` seconds.
    func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = directory.appendingPathComponent("log-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try process.run()
        var timedOut = false
        while process.isRunning {
            if Date().timeIntervalSince(start) > timeout { timedOut = true; process.terminate(); break }
            usleep(20_000)
        }
        process.waitUntilExit()
        try handle.close()
        let out = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, out: out, seconds: Date().timeIntervalSince(start), timedOut: timedOut)
    }

    func msr(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        try run(Self.executable, arguments, environment: environment)
    }

    /// `mpirun -np ranks msr ARGS --distributed mpi`, as root where needed, on loopback.
    func mpi(_ ranks: Int, _ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Result {
        var launcher = ["--oversubscribe", "--bind-to", "none", "-np", String(ranks)]
        if getuid() == 0 { launcher.insert("--allow-run-as-root", at: 0) }
        for key in environment.keys.sorted() { launcher += ["-x", key] }
        return try run(Self.mpirun!, launcher + [Self.executable.path] + arguments + ["--distributed", "mpi"],
                       environment: environment.merging(["OMPI_MCA_btl": "self,vader"]) { a, _ in a }, timeout: timeout)
    }

    func tensors(_ checkpoint: String) throws -> [String: Tensor] {
        try SafeTensors(contentsOf: URL(fileURLWithPath: checkpoint).appendingPathComponent("checkpoint.safetensors")).tensors
    }

    func report(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// Every tensor of both checkpoints (meta-parameters and Adam's moments) equal bit for bit.
    func assertBitwiseEqual(_ a: String, _ b: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try tensors(a), y = try tensors(b)
        XCTAssertEqual(Set(x.keys), Set(y.keys), what, file: file, line: line)
        for (k, t) in x {
            guard let u = y[k] else { continue }
            XCTAssertEqual(t.shape, u.shape, "\(what): \(k)", file: file, line: line)
            let differing = zip(t.floats, u.floats).filter { $0.bitPattern != $1.bitPattern }.count
            XCTAssertEqual(differing, 0, "\(what): \(k) differs in \(differing) of \(t.count) elements", file: file, line: line)
        }
    }

    /// The single-process reference (50 steps, checkpoint and report), run once for all the tests.
    static var referenceRun: (checkpoint: String, report: String)?

    func reference() throws -> (checkpoint: String, report: String) {
        if let done = Self.referenceRun, FileManager.default.fileExists(atPath: done.report) { return done }
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("msr-mpi-reference-\(getpid())")
        try? FileManager.default.removeItem(at: shared)
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        let run = (shared.appendingPathComponent("one").path, shared.appendingPathComponent("one.json").path)
        let r = try msr(Self.training + ["--steps", "50", "--checkpoint", run.0, "--report", run.1])
        XCTAssertEqual(r.status, 0, r.out)
        Self.referenceRun = run
        return run
    }

    override class func tearDown() {
        if let done = referenceRun { try? FileManager.default.removeItem(at: URL(fileURLWithPath: done.report).deletingLastPathComponent()) }
        referenceRun = nil
    }

    func testParametersAfter50StepsEqualOneProcessForOneTwoAndFourRanks() throws {
        let one = try reference()
        let mse = try report(one.report)["test_mse"] as! Double
        for ranks in [1, 2, 4] {
            let r = try mpi(ranks, Self.training + ["--steps", "50", "--checkpoint", path("p\(ranks)"), "--report", path("p\(ranks).json")])
            XCTAssertEqual(r.status, 0, r.out)
            try assertBitwiseEqual(one.checkpoint, path("p\(ranks)"), "P = \(ranks)")
            XCTAssertEqual(try report(path("p\(ranks).json"))["test_mse"] as? Double, mse, "P = \(ranks): test_mse")
            XCTAssertEqual(try report(path("p\(ranks).json"))["ranks"] as? Int, ranks, "P = \(ranks): ranks in the report")
            if ranks > 1 { XCTAssertTrue(r.out.contains("data-parallel over MPI, \(ranks) ranks"), r.out) }
            // Rank 0 alone prints: one final line, not P.
            XCTAssertEqual(r.out.components(separatedBy: "held-out tasks after 50 steps").count - 1, 1, r.out)
        }
    }

    func testPartialSumsAboveTheSlotLimitAgreeClosely() throws {
        let one = try reference()
        let r = try mpi(2, Self.training + ["--steps", "50", "--checkpoint", path("partial"), "--report", path("partial.json")],
                        environment: ["MSR_MPI_EXACT_LIMIT_BYTES": "0"])
        XCTAssertEqual(r.status, 0, r.out)
        let x = try tensors(one.checkpoint), y = try tensors(path("partial"))
        for (k, t) in x where k.hasPrefix("meta.") {
            let a = t.scalars, b = y[k]!.scalars
            let scale = a.map(abs).max()! + 1e-12
            let worst = zip(a, b).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThan(worst, 1e-4, "\(k): largest difference \(worst) of the largest magnitude")
        }
        let m1 = try report(one.report)["test_mse"] as! Double, m2 = try report(path("partial.json"))["test_mse"] as! Double
        XCTAssertEqual(m2, m1, accuracy: 1e-4 * abs(m1))
    }

    func testCheckpointsResumeAcrossOneProcessAndSeveralRanks() throws {
        let one = try reference()
        // Distributed first half, one process second half.
        var r = try mpi(2, Self.training + ["--steps", "25", "--checkpoint", path("a")])
        XCTAssertEqual(r.status, 0, r.out)
        r = try msr(Self.training + ["--steps", "50", "--checkpoint", path("a"), "--resume"])
        XCTAssertEqual(r.status, 0, r.out)
        try assertBitwiseEqual(one.checkpoint, path("a"), "2 ranks then one process")
        // One process first half, four ranks second half.
        r = try msr(Self.training + ["--steps", "25", "--checkpoint", path("b")])
        XCTAssertEqual(r.status, 0, r.out)
        r = try mpi(4, Self.training + ["--steps", "50", "--checkpoint", path("b"), "--resume"])
        XCTAssertEqual(r.status, 0, r.out)
        try assertBitwiseEqual(one.checkpoint, path("b"), "one process then 4 ranks")
    }

    /// Few-shot meta-training (MAML, second order, augmented queries) over 2 ranks gives the single process's
    /// checkpoint bit for bit and the same meta-test accuracy (episodes and one-shot runs split over ranks).
    func testFewShotOverTwoRanksEqualsOneProcess() throws {
        let tiny = ["train", "--problem", "omniglot", "--method", "maml", "--width", "4", "--queries", "2", "--meta-batch", "4",
                    "--steps", "2", "--test-episodes", "6", "--validation-episodes", "4", "--threads", "1"]
        var r = try msr(tiny + ["--checkpoint", path("fs1"), "--report", path("fs1.json")])
        XCTAssertEqual(r.status, 0, r.out)
        r = try mpi(2, tiny + ["--checkpoint", path("fs2"), "--report", path("fs2.json")])
        XCTAssertEqual(r.status, 0, r.out)
        try assertBitwiseEqual(path("fs1"), path("fs2"), "few-shot, 2 ranks")
        let a = try report(path("fs1.json")), b = try report(path("fs2.json"))
        XCTAssertEqual(a["test_accuracy"] as? Double, b["test_accuracy"] as? Double)
        XCTAssertEqual(a["ranks"] as? Int, 1)
        XCTAssertEqual(b["ranks"] as? Int, 2)
        XCTAssertEqual((a["one_shot_runs"] as? [String: Any])?["accuracy"] as? Double, (b["one_shot_runs"] as? [String: Any])?["accuracy"] as? Double)
    }

    /// `msr eval --distributed mpi` splits the held-out tasks and prints one process's figure, once.
    func testEvaluationOverTwoRanksEqualsOneProcess() throws {
        let one = try reference()
        let single = try msr(["eval", "--checkpoint", one.checkpoint, "--threads", "1"])
        XCTAssertEqual(single.status, 0, single.out)
        let spread = try mpi(2, ["eval", "--checkpoint", one.checkpoint, "--threads", "1"])
        XCTAssertEqual(spread.status, 0, spread.out)
        func resultLines(_ out: String) -> [String] { out.split(separator: "\n").map(String.init).filter { $0.contains("test mse") } }
        XCTAssertEqual(resultLines(single.out).count, 1, single.out)
        XCTAssertEqual(resultLines(spread.out), resultLines(single.out), spread.out)
    }

    /// `msr reproduce table1 --distributed mpi`: every cell's figure equals one process's, and rank 0 alone
    /// prints the table and writes the report.
    func testReproducedTableOverTwoRanksEqualsOneProcess() throws {
        let tiny = ["reproduce", "table1", "--tasks", "40", "--steps", "3", "--meta-batch", "4", "--test-tasks", "4", "--threads", "1"]
        var r = try msr(tiny + ["--report", path("t1.json")])
        XCTAssertEqual(r.status, 0, r.out)
        r = try mpi(2, tiny + ["--report", path("t2.json")])
        XCTAssertEqual(r.status, 0, r.out)
        XCTAssertEqual(r.out.components(separatedBy: "Whole table").count - 1, 1, r.out)
        let one = try report(path("t1.json")), two = try report(path("t2.json"))
        XCTAssertEqual(one["ranks"] as? Int, 1)
        XCTAssertEqual(two["ranks"] as? Int, 2)
        let a = one["runs"] as! [[String: Any]], b = two["runs"] as! [[String: Any]]
        XCTAssertEqual(a.count, 12)
        XCTAssertEqual(a.map { $0["test_mse"] as! Double }, b.map { $0["test_mse"] as! Double })
    }

    func testADeadRankStopsTheJobAndTheLastCheckpointResumes() throws {
        let one = try reference()
        // Rank 1 vanishes (SIGKILL) after step 30; checkpoints were written after steps 1 and 25.
        let r = try mpi(2, Self.training + ["--steps", "50", "--checkpoint", path("dead")],
                        environment: ["MSR_TEST_KILL_RANK": "1", "MSR_TEST_KILL_STEP": "30"], timeout: 60)
        XCTAssertFalse(r.timedOut, "the job hung after a rank died:\n\(r.out)")
        XCTAssertNotEqual(r.status, 0, r.out)
        XCTAssertTrue(r.out.contains("killing this rank"), r.out)
        XCTAssertTrue(r.out.contains("exited on signal 9") || r.out.lowercased().contains("killed"), r.out)
        let saved = try tensors(path("dead"))
        XCTAssertFalse(saved.isEmpty)
        let resumed = try msr(Self.training + ["--steps", "50", "--checkpoint", path("dead"), "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.out)
        XCTAssertTrue(resumed.out.contains("from step 25"), resumed.out)
        try assertBitwiseEqual(one.checkpoint, path("dead"), "resumed after a dead rank")
    }
}

/// The flag's errors, checked on every machine (no MPI needed).
final class DistributedFlagTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: MPITrainingTests.executable.path), "msr not built")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("msr-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let directory { try? FileManager.default.removeItem(at: directory) } }

    func msr(_ arguments: [String], environment: [String: String] = [:]) throws -> MPITrainingTests.Result {
        let process = Process()
        process.executableURL = MPITrainingTests.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        for key in env.keys where key.hasPrefix("OMPI_") || key.hasPrefix("PMIX_") || key == "PMI_RANK" { env[key] = nil }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, out: String(decoding: data, as: UTF8.self), seconds: 0, timedOut: false)
    }

    func testClearErrorsWhenNotStartedByMpirunOrOpenMPIMissing() throws {
        var r = try msr(MPITrainingTests.training + ["--steps", "2", "--distributed", "mpi"], environment: ["MSR_MPI_LIBRARY": "/nonexistent/libmpi.so.40"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("needs Open MPI") && r.out.contains("apt-get install openmpi-bin libopenmpi-dev"), r.out)
        // Where Open MPI is installed: started by hand instead of by mpirun.
        guard MPITrainingTests.openMPILoads else { return }
        r = try msr(MPITrainingTests.training + ["--steps", "2", "--distributed", "mpi"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("not started by mpirun"), r.out)
    }
}

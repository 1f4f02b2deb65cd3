import Foundation
import TestSupport
import XCTest

/// `msr bench fewshot` end to end with tiny settings, so the benchmark keeps running as the code changes.
final class FewShotBenchmarkTests: XCTestCase {
    static let executable = builtExecutable(named: "msr")

    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.executable.path), "msr not built at \(Self.executable.path)")
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testTinyRunPrintsTheTable() throws {
        let r = try run(["bench", "fewshot", "--methods", "protonets", "maml-fo", "msr", "--width", "4", "--queries", "2",
                         "--steps", "1", "--repeats", "1", "--warmup", "0", "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.output)
        for part in ["tasks/s", "PyTorch tasks/s (recorded)", "GFLOP/task", "of matmul ceiling", "measured matmul rate", "machine: ", "multiply-add peak of this build", "memory bandwidth, 1 thread (triad): "] {
            XCTAssertTrue(r.output.contains(part), "missing ‘\(part)’ in:\n\(r.output)")
        }
        // The measured bandwidth is a positive number of GB/s (the roofline's second figure).
        let bandwidth = r.output.components(separatedBy: "memory bandwidth, 1 thread (triad): ").last?
            .split(separator: " ").first.flatMap { Double($0) }
        XCTAssertGreaterThan(bandwidth ?? 0, 0, r.output)
        let rows = r.output.split(separator: "\n").filter { line in
            ["protonets ", "maml-fo ", "msr "].contains { line.hasPrefix($0) }
        }
        // A row per method in the speed table, then one per method in the time split.
        XCTAssertEqual(rows.count, 6, r.output)
        // ProtoNets has a PyTorch figure (15.3 tasks/s), MSR none.
        XCTAssertTrue(rows[0].contains("15.3"), String(rows[0]))
        XCTAssertTrue(rows[2].contains("—"), String(rows[2]))
        // The split: the kernels' shares and the rest add up to the sample's CPU time (to the rounding of 9
        // whole percentages), products claim a share.
        XCTAssertTrue(r.output.contains("Where the CPU time goes"), r.output)
        for row in rows[3...] {
            let shares = row.split(separator: " ").filter { $0.hasSuffix("%") }.compactMap { Double($0.dropLast()) }
            XCTAssertEqual(shares.count, 9, String(row))
            XCTAssertEqual(shares.reduce(0, +), 100, accuracy: 5, String(row))
            XCTAssertGreaterThan(shares[0], 0, String(row))
        }
    }

    func testBadSettingsAreRejected() throws {
        let r = try run(["bench", "fewshot", "--threads", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("--threads must be at least 1"), r.output)
        let m = try run(["bench", "fewshot", "--methods", "reptile"])
        XCTAssertNotEqual(m.status, 0)
        XCTAssertTrue(m.output.contains("maml-fo"), m.output)
    }
}

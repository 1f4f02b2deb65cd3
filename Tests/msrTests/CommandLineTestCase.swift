import Foundation
import TestSupport
import XCTest

/// Runs the built `msr` executable (beside the test bundle) with real arguments, in a fresh temporary
/// directory per test; the base of the command-line tests.
class CommandLineTestCase: XCTestCase {
    struct Result { var status: Int32; var out: String; var err: String }

    static let executable = builtExecutable(named: "msr")

    /// Runs `msr arguments`, in `directory` when given (relative paths are then resolved there).
    func msr(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("msr-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.executable.path), "msr not built at \(Self.executable.path)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func assertFails(_ arguments: [String], mentioning parts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try msr(arguments)
        XCTAssertNotEqual(r.status, 0, "msr \(arguments) should fail", file: file, line: line)
        for p in parts {
            XCTAssertTrue((r.err + r.out).contains(p), "msr \(arguments): ‘\(r.err)\(r.out)’ does not mention ‘\(p)’", file: file, line: line)
        }
    }
}

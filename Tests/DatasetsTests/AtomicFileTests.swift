@testable import Datasets
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
    func testReplacesTheFileAndLeavesNothingElse() throws {
        let directory = try temporaryDirectory(for: self)
        let url = directory.appendingPathComponent("f.bin")
        try AtomicFile.write(Data([1, 2]), to: url)
        try AtomicFile.write(Data([3]), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data([3]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["f.bin"])
    }

    func testAFailedWriteKeepsTheOldFile() throws {
        let directory = try temporaryDirectory(for: self)
        let url = directory.appendingPathComponent("f.bin")
        try AtomicFile.write(Data([1, 2]), to: url)
        struct Failure: Error {}
        XCTAssertThrowsError(try AtomicFile.write(to: url) { temporary in
            try Data([9, 9, 9]).write(to: temporary)
            throw Failure()
        })
        XCTAssertEqual(try Data(contentsOf: url), Data([1, 2]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["f.bin"])
        let missing = URL(fileURLWithPath: "/nonexistent/dir/f.bin")
        XCTAssertThrowsError(try AtomicFile.write(Data([1]), to: missing)) { error in
            XCTAssertEqual(error as? DatasetError, .unwritableFile(path: missing.path, detail: "the directory /nonexistent/dir does not exist"))
        }
    }
}

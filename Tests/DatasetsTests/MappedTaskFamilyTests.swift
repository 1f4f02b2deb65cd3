@testable import Datasets
import Foundation
import Tensors
import XCTest

final class MappedTaskFamilyTests: XCTestCase {
    func testReadsNumPySavezFilesInPlace() throws {
        let url = Fixture.url("tasks_savez.npz")
        let mapped = try MappedTaskFamily(contentsOf: url, examplesPerTask: 20, inputShape: [1, 70], targetShape: [1, 68])
        let whole = try ArrayTaskFamily.syntheticTranslation(contentsOf: url)
        XCTAssertEqual(mapped.count, 3)
        XCTAssertEqual(mapped.examplesPerTask, 20)
        XCTAssertEqual(mapped.inputShape, [1, 70])
        XCTAssertEqual(mapped.targetShape, [1, 68])
        for index in 0..<3 {
            XCTAssertEqual(mapped.task(at: index).inputs.floats, whole.task(at: index).inputs.floats)
            XCTAssertEqual(mapped.task(at: index).targets.floats, whole.task(at: index).targets.floats)
        }
        XCTAssertEqual(mapped.task(at: 1).inputs.scalars, Array(NPZTests.expectedX[1400..<2800]))
        // Compressed entries cannot be read in place.
        let compressed = Fixture.url("tasks_savez_compressed.npz")
        let error = thrownError { try MappedTaskFamily(contentsOf: compressed) }
        XCTAssertTrue(error?.description.contains("x.npy is compressed (np.savez_compressed)") == true, "\(String(describing: error))")
    }

    func testReadsStreamedRotationFamilies() throws {
        let directory = try temporaryDirectory(for: self)
        for problem in SyntheticRotationProblem.allCases {
            let family = SyntheticRotationTasks(problem: problem, count: 3, seed: 8)
            let url = directory.appendingPathComponent("\(problem).npz")
            try family.writeNPZ(to: url)
            for mapped in [try MappedTaskFamily.syntheticRotation(contentsOf: url),
                           try MappedTaskFamily.syntheticRotation(contentsOf: url, problem: problem)] {
                XCTAssertEqual(mapped.count, 3)
                XCTAssertEqual(mapped.targetShape, [problem.outputChannels, 30, 30])
                for index in 0..<3 {
                    XCTAssertEqual(mapped.task(at: index).inputs.floats, family.task(at: index).inputs.floats)
                    XCTAssertEqual(mapped.task(at: index).targets.floats, family.task(at: index).targets.floats)
                }
            }
        }
        let url = directory.appendingPathComponent("2d_rot8.npz")
        XCTAssertEqual(thrownError { try MappedTaskFamily.syntheticRotation(contentsOf: url, problem: .rot8Flip) }?.description,
                       "2d_rot8.npz: expected y of shape (tasks, 20, 48, 30, 30), found (3, 20, 24, 30, 30)")
    }

    func testFloat64ShapesAndDamagedFiles() throws {
        let directory = try temporaryDirectory(for: self)
        let url = directory.appendingPathComponent("small.npz")
        let x = Tensor(shape: [2, 3, 4], values: (0..<24).map(Double.init), dtype: .float64)
        try NPZArchive.write([("w", Tensor.ones([5])), ("x", x), ("y", Tensor.ones([2, 3], dtype: .float64))], to: url)
        let family = try MappedTaskFamily(contentsOf: url)
        XCTAssertEqual(family.task(at: 1).inputs.dtype, .float32)
        XCTAssertEqual(family.task(at: 1).inputs.scalars, (12..<24).map(Double.init))
        XCTAssertEqual(family.targetShape, [])
        XCTAssertEqual(try MappedTaskFamily(contentsOf: url, dtype: .float64).task(at: 0).targets.dtype, .float64)

        XCTAssertEqual(thrownError { try MappedTaskFamily(contentsOf: url, examplesPerTask: 4) }?.description,
                       "small.npz: expected x of shape (tasks, 4, …), found (2, 3, 4)")
        try NPZArchive.write([("x", x)], to: url)
        assertThrows(.missingArray(name: "y", path: url.path, available: ["x"])) { try MappedTaskFamily(contentsOf: url) }

        // Cut short: the end record is gone.
        try NPZArchive.write([("x", x), ("y", x)], to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 30).write(to: url)
        assertThrows(.notAZipArchive(path: url.path)) { try MappedTaskFamily(contentsOf: url) }
        try Data("not a zip archive at all".utf8).write(to: url)
        assertThrows(.notAZipArchive(path: url.path)) { try MappedTaskFamily(contentsOf: url) }
        assertThrows(.fileNotFound(path: directory.appendingPathComponent("none.npz").path)) {
            try MappedTaskFamily(contentsOf: directory.appendingPathComponent("none.npz"))
        }
    }
}

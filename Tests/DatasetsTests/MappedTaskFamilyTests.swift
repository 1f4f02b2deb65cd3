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

    /// Its episodes copy only the drawn examples out of the file; they are the episodes `TaskFamily`'s default draws
    /// from the whole task with the same generator (same examples, same order, same generator state after), also
    /// through a `TaskSubset` and in Float64.
    func testEpisodesAreTheDefaultDrawCopiedFromTheFile() throws {
        let url = Fixture.url("tasks_savez.npz")
        for dtype in [DType.float32, .float64] {
            let mapped = try MappedTaskFamily(contentsOf: url, examplesPerTask: 20, inputShape: [1, 70], targetShape: [1, 68], dtype: dtype)
            let whole = try ArrayTaskFamily.syntheticTranslation(contentsOf: url)
            assertEpisodesAreTheDefaultDraw(mapped.subset(0..<3), whole: whole, dtype: dtype)
        }
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

    // MARK: - Hostile files

    /// x (2, 3, 4) and y (2, 3) as `.npy` bytes.
    let npyX = [UInt8](NPY.encoded(Tensor(shape: [2, 3, 4], scalars: (0..<24).map(Float.init)))),
        npyY = [UInt8](NPY.encoded(Tensor.ones([2, 3])))

    /// A stored entry whose declared size runs past its data: it used to be read past the mapping (SIGSEGV).
    func testStoredEntryLyingAboutItsSizeIsAnError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("lie.npz")
        let x = HandMadeZipEntry(name: "x.npy", data: npyX)
        try zipArchive([x, HandMadeZipEntry(name: "y.npy", data: npyY, uncompressedSize: 1 << 30)]).write(to: url)
        assertThrows(.corruptArchive(source: "lie.npz", detail: "y.npy is stored uncompressed but declares 1073741824 bytes of contents in \(npyY.count) bytes of data; expected equal sizes")) {
            try MappedTaskFamily(contentsOf: url)
        }
        try zipArchive([x, HandMadeZipEntry(name: "y.npy", data: npyY, compressedSize: 1 << 20, uncompressedSize: 1 << 20)]).write(to: url)
        guard case .corruptArchive(_, let detail)? = thrownError({ try MappedTaskFamily(contentsOf: url) }) else { return XCTFail() }
        XCTAssertTrue(detail.hasPrefix("y.npy declares 1048576 bytes of data, but only "), detail)
        // Read whole, the same file gives the same error.
        XCTAssertEqual(thrownError { try ArrayTaskFamily(contentsOf: url) }, thrownError { try MappedTaskFamily(contentsOf: url) })
    }

    /// A Zip64 local-header offset near Int.max: it used to overflow (a trap) when read.
    func testZip64OffsetNearIntMaxIsAnError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("far.npz")
        let far = UInt64(Int.max - 2)
        let archive = zipArchive([HandMadeZipEntry(name: "x.npy", data: npyX),
                                  HandMadeZipEntry(name: "y.npy", data: npyY, localHeaderOffset: far, zip64: true)])
        try archive.write(to: url)
        assertThrows(.corruptArchive(source: "far.npz", detail: "a record at offset \(far) runs past the end of the file (\(archive.count) bytes)")) {
            try MappedTaskFamily(contentsOf: url)
        }
    }

    /// A stored member damaged on disk: its CRC-32 is checked when the family is opened.
    func testDamagedMemberIsACRCError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("damaged.npz")
        var y = HandMadeZipEntry(name: "y.npy", data: npyY)
        y.crc32 = crc32(npyY) ^ 1
        try zipArchive([HandMadeZipEntry(name: "x.npy", data: npyX), y]).write(to: url)
        guard case .corruptArchive(let source, let detail)? = thrownError({ try MappedTaskFamily(contentsOf: url) }) else { return XCTFail() }
        XCTAssertEqual(source, "damaged.npz: y.npy")
        XCTAssertTrue(detail.hasPrefix("the CRC-32 of the contents is 0x"), detail)
    }

    /// NaN or ±∞ in x or y is an error naming the array and task, unless allowed.
    func testNonFiniteValuesAreAnErrorUnlessAllowed() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("nan.npz")
        for (bad, name, value) in [(Float.nan, "y", "nan"), (-Float.infinity, "y", "-inf")] {
            var targets = [Float](repeating: 1, count: 6)
            targets[4] = bad
            try NPZArchive.write([("x", Tensor.ones([2, 3, 4])), ("y", Tensor(shape: [2, 3], scalars: targets))], to: url)
            assertThrows(.nonFiniteValue(source: "nan.npz", name: name, task: 1, value: value)) { try MappedTaskFamily(contentsOf: url) }
            assertThrows(.nonFiniteValue(source: "nan.npz", name: name, task: 1, value: value)) { try ArrayTaskFamily(contentsOf: url) }
            XCTAssertTrue(try MappedTaskFamily(contentsOf: url, allowNonFinite: true).task(at: 1).targets.floats[1].isNaN == bad.isNaN)
            XCTAssertEqual(try ArrayTaskFamily(contentsOf: url, allowNonFinite: true).count, 2)
        }
        // A <f8 value Float32 cannot hold becomes ∞ in Float32 tasks, and is refused; as Float64 it is kept.
        var inputs = [Double](repeating: 0, count: 24)
        inputs[3] = 1e300
        try NPZArchive.write([("x", Tensor(shape: [2, 3, 4], scalars: inputs)), ("y", Tensor.ones([2, 3]))], to: url)
        assertThrows(.nonFiniteValue(source: "nan.npz", name: "x", task: 0, value: "1e+300 (beyond Float32's range)")) {
            try MappedTaskFamily(contentsOf: url)
        }
        XCTAssertEqual(try MappedTaskFamily(contentsOf: url, dtype: .float64).task(at: 0).inputs.scalars[3], 1e300)
        XCTAssertEqual(try ArrayTaskFamily(contentsOf: url, dtype: .float64).inputs.scalars[3], 1e300)
        XCTAssertThrowsError(try ArrayTaskFamily(contentsOf: url))
    }
}

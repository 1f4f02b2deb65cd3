import Datasets
import Foundation
import Tensors
import XCTest

final class ArrayTaskFamilyTests: XCTestCase {
    func testReadsTheReferenceLayoutIgnoringOtherArrays() throws {
        for name in ["tasks_savez.npz", "tasks_savez_compressed.npz"] {
            let family = try ArrayTaskFamily.syntheticTranslation(contentsOf: Fixture.url(name))
            XCTAssertEqual(family.count, 3)
            XCTAssertEqual(family.examplesPerTask, 20)
            XCTAssertEqual(family.inputShape, [1, 70])
            XCTAssertEqual(family.targetShape, [1, 68])
            let task = family.task(at: 1)
            XCTAssertEqual(task.inputs.shape, [20, 1, 70])
            XCTAssertEqual(task.inputs.scalars, Array(NPZTests.expectedX[1400..<2800]))
            XCTAssertEqual(task.targets.shape, [20, 1, 68])
        }
    }

    /// Its episodes copy only the drawn examples out of the arrays; they are what `TaskFamily`'s default draws from
    /// the whole task with the same generator (same examples, order and generator state after), also through a subset.
    func testEpisodesAreTheDefaultDrawOfTheWholeTask() throws {
        let family = try ArrayTaskFamily.syntheticTranslation(contentsOf: Fixture.url("tasks_savez.npz"))
        assertEpisodesAreTheDefaultDraw(family.subset(0..<3), whole: family)
    }

    func testWriteReadRoundTripAndTaskSlicing() throws {
        let generated = SyntheticTranslationTasks(problem: .rank5, count: 7, seed: 4).materialized()
        let url = try temporaryDirectory(for: self).appendingPathComponent("rank5.npz")
        try generated.write(to: url, extraArrays: [("w", Tensor.zeros([7, 1, 1, 1, 68, 3]))])
        let back = try ArrayTaskFamily.syntheticTranslation(contentsOf: url)
        XCTAssertEqual(back.inputs.scalars, generated.inputs.scalars)
        XCTAssertEqual(back.targets.scalars, generated.targets.scalars)
        XCTAssertEqual(back.task(at: 6).targets.scalars, Array(generated.targets.scalars[(6 * 1360)...]))
        XCTAssertEqual(try NPZArchive(contentsOf: url).names, ["x", "y", "w"])
        // Float64 files are converted to Float32 unless asked otherwise.
        try NPZArchive.write([("x", Tensor.ones([2, 3, 4], dtype: .float64)), ("y", Tensor.ones([2, 3], dtype: .float64))], to: url)
        XCTAssertEqual(try ArrayTaskFamily(contentsOf: url).inputs.dtype, .float32)
        XCTAssertEqual(try ArrayTaskFamily(contentsOf: url, dtype: .float64).inputs.dtype, .float64)
        XCTAssertEqual(try ArrayTaskFamily(contentsOf: url).targetShape, [])
    }

    func testWrongShapesAndMissingArraysAreReported() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("bad.npz")
        try NPZArchive.write([("x", Tensor.zeros([2, 20, 1, 71])), ("y", Tensor.zeros([2, 20, 1, 68]))], to: url)
        let error = thrownError { try ArrayTaskFamily.syntheticTranslation(contentsOf: url) }
        XCTAssertEqual(error, .wrongShape(source: "bad.npz", name: "x", expected: "(tasks, 20, 1, 70)", actual: [2, 20, 1, 71]))
        XCTAssertEqual(error?.description, "bad.npz: expected x of shape (tasks, 20, 1, 70), found (2, 20, 1, 71)")

        try NPZArchive.write([("x", Tensor.zeros([2, 20, 1, 70])), ("y", Tensor.zeros([2, 19, 1, 68]))], to: url)
        XCTAssertEqual(thrownError { try ArrayTaskFamily.syntheticTranslation(contentsOf: url) }?.description,
                       "bad.npz: expected y of shape (tasks, 20, 1, 68), found (2, 19, 1, 68)")
        try NPZArchive.write([("x", Tensor.zeros([2, 20, 1, 70])), ("y", Tensor.zeros([3, 20, 1, 68]))], to: url)
        XCTAssertEqual(thrownError { try ArrayTaskFamily(contentsOf: url) }?.description,
                       "bad.npz: expected y of shape (2, 20, …) to match x (2, 20, 1, 70), found (3, 20, 1, 68)")

        try NPZArchive.write([("y", Tensor.zeros([2, 20, 1, 68]))], to: url)
        assertThrows(.missingArray(name: "x", path: url.path, available: ["y"])) { try ArrayTaskFamily(contentsOf: url) }
    }
}

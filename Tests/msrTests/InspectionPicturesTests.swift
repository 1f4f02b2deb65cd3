import Datasets
import Foundation
import XCTest

/// The figures `msr inspect` writes for the 2-D models (the 1-D ones: `CommandLineTests.testInspect`).
final class InspectionPicturesTests: CommandLineTestCase {
    /// Widths of the PNG heat maps embedded in an SVG figure.
    func embeddedWidths(_ svg: String) throws -> [Int] {
        try svg.components(separatedBy: "base64,").dropFirst().map { part in
            try PNGImage(decoding: Data(base64Encoded: String(part.prefix { $0 != "\"" }))!, channels: 3).width
        }
    }

    func inspect(model: String) throws -> URL {
        let run = path(model)
        let train = try msr(["train", "--problem", "2d_rot8", "--model", model, "--tasks", "10", "--steps", "1", "--meta-batch", "2",
                             "--test-tasks", "2", "--threads", "1", "--checkpoint", run])
        XCTAssertEqual(train.status, 0, train.err)
        let inspect = try msr(["inspect", "--checkpoint", run, "--samples", "2"])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        return URL(fileURLWithPath: run).appendingPathComponent("pictures")
    }

    /// MSR-Conv: U's three factors with their index axes, and the adapted bank at 24 px per tap, 24 filters.
    func testFactoredConvolution() throws {
        let dir = try inspect(model: "msr-conv")
        let factors = try String(contentsOf: dir.appendingPathComponent("U-factors.svg"), encoding: .utf8)
        XCTAssertTrue(factors.contains("2d_rot8 msr-conv: the factors of the symmetry matrix U = A ⊗ B ⊗ C"))
        XCTAssertTrue(factors.contains(">output channel</text>") && factors.contains(">tap</text>"))
        XCTAssertEqual(try embeddedWidths(factors), [24 * 16, 1 * 16, 9 * 16])
        let bank = try String(contentsOf: dir.appendingPathComponent("filters-adapted.svg"), encoding: .utf8)
        XCTAssertEqual(try embeddedWidths(bank), [Int](repeating: 72, count: 24))
        XCTAssertTrue(bank.contains(">field 3</text>") && bank.contains(">23</text>") && bank.contains(">filter tap</text>"))
    }

    /// msr-conv-full: U's 54 columns as banks of 24 filters, and banks for random v.
    func testDenseSymmetryMatrix() throws {
        let dir = try inspect(model: "msr-conv-full")
        let u = try String(contentsOf: dir.appendingPathComponent("U-columns.svg"), encoding: .utf8)
        XCTAssertEqual(try embeddedWidths(u).count, 54 * 24)
        XCTAssertTrue(u.contains(">column 54</text>"))
        let random = try String(contentsOf: dir.appendingPathComponent("filters-random-v.svg"), encoding: .utf8)
        XCTAssertEqual(try embeddedWidths(random).count, 4 * 24)
        XCTAssertTrue(random.contains(">v₄ field 3</text>"))
    }
}

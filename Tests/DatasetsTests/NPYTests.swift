@testable import Datasets
import Foundation
import Tensors
import TestSupport
import XCTest

final class NPYTests: XCTestCase {
    /// An .npy file from its parts: version, header text (padded to 64 bytes as NumPy does) and data.
    func npy(_ header: String, version: UInt8 = 1, data: [UInt8] = []) -> Data {
        let lengthBytes = version == 1 ? 2 : 4
        var text = Array(header.utf8)
        let total = 8 + lengthBytes + text.count + 1
        text += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64) + [0x0A]
        var out = NPY.magic + [version, 0]
        for i in 0..<lengthBytes { out.append(UInt8((text.count >> (8 * i)) & 0xFF)) }
        return Data(out + text + data)
    }

    func floatBytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    func testRoundTripKeepsShapeValuesAndDtypeForEveryRank() throws {
        for shape in [[], [5], [2, 3], [2, 1, 3], [3, 20, 1, 7], [0, 4]] {
            for dtype in DType.allCases {
                let tensor = randn(shape, seed: 7, dtype: dtype)
                let array = try NPY.decode(NPY.encoded(tensor))
                XCTAssertEqual(array.shape, shape)
                XCTAssertEqual(array.dtype.tensorDType, dtype)
                let back = try array.tensor()
                XCTAssertEqual(back.dtype, dtype)
                XCTAssertEqual(back.scalars, tensor.scalars, "shape \(shape) \(dtype)")
            }
        }
    }

    func testHeaderIsNumPysAndDataStartsAtAMultipleOf64() {
        let header = NPY.header(shape: [3, 20, 1, 70], dtype: .float32)
        XCTAssertEqual(header.count % 64, 0)
        XCTAssertEqual(Array(header.prefix(8)), NPY.magic + [1, 0])
        let text = String(decoding: header[10...], as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 20, 1, 70), }"), text)
        XCTAssertTrue(text.hasSuffix(" \n"))
        XCTAssertTrue(String(decoding: NPY.header(shape: [5], dtype: .float64), as: UTF8.self).contains("'<f8'"))
        XCTAssertTrue(String(decoding: NPY.header(shape: [5], dtype: .float64), as: UTF8.self).contains("(5,)"))
    }

    func testReadsFormatVersions2And3WrittenByNumPy() throws {
        for name in ["matrix_v2.npy", "matrix_v3.npy"] {
            let array = try NPY.read(contentsOf: Fixture.url(name))
            XCTAssertEqual(array.shape, [2, 3])
            XCTAssertEqual(array.dtype, .float64)
            XCTAssertEqual(array.doubles, [0, 0.5, 1, 1.5, 2, 2.5])
        }
    }

    func testReadsHeadersInAnyKeyOrderAndDtypeSpelling() throws {
        let data = npy("{'shape': (2,), 'fortran_order': False, 'descr': '=f4'}", data: floatBytes([1.5, -2]))
        let array = try NPY.decode(data)
        XCTAssertEqual(array.shape, [2])
        XCTAssertEqual(array.doubles, [1.5, -2])
        let integers = try NPY.decode(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                                          data: [Int64(-3), 9].withUnsafeBytes { Array($0) }))
        guard case .int64(let values) = integers.elements else { return XCTFail("expected int64 elements") }
        XCTAssertEqual(values, [-3, 9])
        let booleans = try NPY.decode(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", data: [1, 0, 1]))
        XCTAssertEqual(booleans.doubles, [1, 0, 1])
    }

    func testDecodingInSmallChunksGivesTheSameArray() throws {
        let tensor = randn([4, 9], seed: 3, dtype: .float32)
        let data = NPY.encoded(tensor)
        var decoder = NPYDecoder(source: "chunks")
        for start in stride(from: 0, to: data.count, by: 7) {
            try data[start..<min(start + 7, data.count)].withUnsafeBytes { try decoder.consume($0) }
        }
        XCTAssertEqual(try decoder.finish().tensor().scalars, tensor.scalars)
    }

    func testWriteIsReadBackAndLeavesNoTemporaryFile() throws {
        let directory = try temporaryDirectory(for: self)
        let url = directory.appendingPathComponent("a.npy")
        try NPY.write(randn([2, 3], seed: 1, dtype: .float32), to: url)
        let tensor = randn([3, 5, 2], seed: 2, dtype: .float64)
        try NPY.write(tensor, to: url)  // replaces the first file
        XCTAssertEqual(try NPY.read(contentsOf: url).tensor().scalars, tensor.scalars)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["a.npy"])
    }

    // MARK: - Errors

    func testMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/a.npy")
        assertThrows(.fileNotFound(path: url.path)) { try NPY.read(contentsOf: url) }
    }

    func testBadMagic() {
        assertThrows(.badMagic(source: "t")) { try NPY.decode(Data("PK\u{3}\u{4} not numpy at all".utf8), source: "t") }
        assertThrows(.badMagic(source: "t")) { try NPY.decode(Data([0x93, 0x4E]), source: "t") }
    }

    func testUnsupportedDtypeNamesTheSupportedOnes() {
        let supported = NumPyDType.allCases.map(\.descr)
        for descr in [">f4", "<c8", "<U5", "|O"] {
            assertThrows(.unsupportedDType(source: "t", descr: descr, supported: supported)) {
                try NPY.decode(npy("{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0]), source: "t")
            }
        }
        let error = thrownError { try NPY.decode(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }"), source: "t") }
        XCTAssertEqual(error?.description, "t: element type '>f4' is not supported; expected one of '<f4', '<f8', '<i8', '<i4', '|b1', '|u1'")
        // Integer arrays are read but do not become tensors.
        let integers = try? NPY.decode(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", data: [1, 0, 0, 0]), source: "t")
        assertThrows(.unsupportedDType(source: "t", descr: "<i4", supported: ["<f4", "<f8"])) { try integers!.tensor() }
    }

    func testFortranOrderIsRejected() {
        assertThrows(.fortranOrder(source: "t")) {
            try NPY.decode(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: floatBytes([1, 2, 3, 4])), source: "t")
        }
    }

    func testTruncatedData() {
        assertThrows(.truncatedData(source: "t", expectedBytes: 24, actualBytes: 8)) {
            try NPY.decode(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: floatBytes([1, 2])), source: "t")
        }
        // Cut inside the header.
        let whole = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
        assertThrows(.malformedHeader(source: "t", detail: "the file ends inside the header, after 30 bytes")) {
            try NPY.decode(whole.prefix(30), source: "t")
        }
    }

    func testMalformedHeaders() {
        let cases: [(String, String)] = [
            ("{'descr': '<f4', 'shape': (2,), }", "no 'fortran_order' key; expected 'descr', 'fortran_order' and 'shape'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", "'shape' must be a tuple of integers ≥ 0"),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "'fortran_order' must be True or False"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", "expected ',' or '}' at character 118"),  // the padded end
            ("[1, 2]", "expected a dict with 'descr', 'fortran_order' and 'shape'"),
        ]
        for (header, detail) in cases {
            assertThrows(.malformedHeader(source: "t", detail: detail)) { try NPY.decode(npy(header, data: [0, 0, 0, 0, 0, 0, 0, 0]), source: "t") }
        }
        var data = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])
        data[6] = 4
        assertThrows(.malformedHeader(source: "t", detail: "format version 4.0 is not supported; expected 1.0, 2.0 or 3.0")) {
            try NPY.decode(data, source: "t")
        }
    }

    /// A header of 60,000 nested tuples: a bounded parser error, not a stack overflow.
    func testHeaderNested60000LevelsDeepIsAnError() {
        let deep = "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 60_000) + "}"
        assertThrows(.malformedHeader(source: "deep.npy", detail: "expected at most 64 levels of nested tuples, lists and dicts at character 113")) {
            try NPY.decode(npy(deep, version: 2), source: "deep.npy")
        }
        // 64 levels are still read (and then refused for what they hold, not for their depth).
        let nested = String(repeating: "[", count: 62) + String(repeating: "]", count: 62)
        assertThrows(.malformedHeader(source: "ok.npy", detail: "'shape' must be a tuple of integers ≥ 0")) {
            try NPY.decode(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (\(nested),), }"), source: "ok.npy")
        }
    }
}

@testable import Datasets
import Foundation
import Tensors
import TestSupport
import XCTest

final class NPZTests: XCTestCase {
    /// The fixtures' x, as make_fixtures.py writes it: x.flat[i] = float32(i / 1000 - 2).
    static let expectedX = (0..<(3 * 20 * 70)).map { Double(Float(Double($0) / 1000 - 2)) }
    /// The fixtures' w: w[t, p, j] = float32((t + 1)(j - 1)/4 + p/100), shaped (3, 1, 1, 1, 68, 3).
    static let expectedW: [Double] = {
        var w: [Double] = []
        for t in 0..<3 { for p in 0..<68 { for j in 0..<3 {
            let value: Double = Double((t + 1) * (j - 1)) / 4 + Double(p) / 100
            w.append(Double(Float(value)))
        } } }
        return w
    }()

    func testReadsArchivesWrittenByNumPySavezAndSavezCompressed() throws {
        for name in ["tasks_savez.npz", "tasks_savez_compressed.npz"] {
            let archive = try NPZArchive(contentsOf: Fixture.url(name))
            XCTAssertEqual(Set(archive.names), ["x", "y", "w", "labels", "mask", "counts", "pixels", "temperature"])
            let x = try archive.tensor("x"), w = try archive.tensor("w"), y = try archive.tensor("y")
            XCTAssertEqual(x.shape, [3, 20, 1, 70])
            XCTAssertEqual(x.dtype, .float32)
            XCTAssertEqual(x.scalars, Self.expectedX, name)
            XCTAssertEqual(w.shape, [3, 1, 1, 1, 68, 3])
            XCTAssertEqual(w.scalars, Self.expectedW, name)
            // y[t, n, 0, p] = Σ_j x[t, n, 0, p + j] · w[t, p, j]: the reference's locally connected layer.
            XCTAssertEqual(y.shape, [3, 20, 1, 68])
            var expectedY: [Double] = []
            for t in 0..<3 { for n in 0..<20 { for p in 0..<68 {
                var sum = 0.0
                for j in 0..<3 { sum += Self.expectedX[(t * 20 + n) * 70 + p + j] * Self.expectedW[(t * 68 + p) * 3 + j] }
                expectedY.append(sum)
            } } }
            assertClose(y, Tensor(shape: y.shape, values: expectedY, dtype: .float64), tolerance: 1e-6, name)

            // The arrays of other types are read too, when asked for.
            guard case .int64(let labels) = try archive.array("labels").elements else { return XCTFail("labels: expected int64") }
            XCTAssertEqual(labels, [7, -1, 3])
            XCTAssertEqual(try archive.array("mask").doubles, [1, 0, 1])
            XCTAssertEqual(try archive.array("counts").doubles, [1, 2, 3, -4])
            XCTAssertEqual(try archive.array("pixels").shape, [2, 2])
            XCTAssertEqual(try archive.array("pixels").doubles, [0, 255, 16, 1])
            XCTAssertEqual(try archive.tensor("temperature").shape, [])
            XCTAssertEqual(try archive.tensor("temperature").scalars, [0.25])
            assertThrows(.unsupportedDType(source: "\(name): labels.npy", descr: "<i8", supported: ["<f4", "<f8"])) {
                try archive.tensor("labels")
            }
        }
    }

    func testRoundTripStoredAndCompressed() throws {
        let directory = try temporaryDirectory(for: self)
        let arrays: [(name: String, tensor: Tensor)] = [
            ("x", randn([4, 20, 1, 70], seed: 1, dtype: .float32)),
            ("scalar", Tensor(2.5, dtype: .float64)),
            ("empty", Tensor.zeros([0, 3])),
            ("big", randn([300_000], seed: 2, dtype: .float32)),  // spans several 1 MB chunks
        ]
        for compressed in [false, true] {
            let url = directory.appendingPathComponent("round\(compressed).npz")
            try NPZArchive.write(arrays, to: url, compressed: compressed)
            let archive = try NPZArchive(contentsOf: url)
            XCTAssertEqual(archive.names, arrays.map(\.name))
            for (name, tensor) in arrays {
                let back = try archive.tensor(name)
                XCTAssertEqual(back.shape, tensor.shape, name)
                XCTAssertEqual(back.dtype, tensor.dtype, name)
                XCTAssertEqual(back.scalars, tensor.scalars, name)
            }
        }
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: directory.path)), ["roundfalse.npz", "roundtrue.npz"])
    }

    // MARK: - Errors

    func testMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/tasks.npz")
        assertThrows(.fileNotFound(path: url.path)) { try NPZArchive(contentsOf: url) }
    }

    func testNotAZipArchive() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("plain.npz")
        try Data(repeating: 7, count: 100).write(to: url)
        assertThrows(.notAZipArchive(path: url.path)) { try NPZArchive(contentsOf: url) }
        // An .npy file is not an .npz file.
        let npy = url.deletingLastPathComponent().appendingPathComponent("array.npz")
        try NPY.encoded(Tensor.ones([3])).write(to: npy)
        assertThrows(.notAZipArchive(path: npy.path)) { try NPZArchive(contentsOf: npy) }
    }

    func testMissingArrayListsThePresentOnes() throws {
        let archive = try NPZArchive(contentsOf: Fixture.url("tasks_savez.npz"))
        let error = thrownError { try archive.array("z") }
        guard case .missingArray(let name, _, let available)? = error else { return XCTFail("expected missingArray, got \(String(describing: error))") }
        XCTAssertEqual(name, "z")
        XCTAssertEqual(Set(available), Set(archive.names))
        XCTAssertTrue(error!.description.hasSuffix("no array 'z' (arrays present: counts, labels, mask, pixels, temperature, w, x, y)"),
                      error!.description)
    }

    func testTruncatedAndMalformedEntries() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("bad.npz")
        // An x.npy entry whose header announces (2, 20, 1, 70) but holds only one task's data.
        let header = NPY.header(shape: [2, 20, 1, 70], dtype: .float32)
        let body = Data(count: 20 * 70 * 4)
        let entries = [
            NPZArchive.RawEntry(name: "x.npy", size: header.count + body.count) { position, count in
                Data((Data(header) + body)[position..<(position + count)])
            },
            NPZArchive.RawEntry(name: "y.npy", size: 16) { _, count in Data(repeating: 1, count: count) },
        ]
        for compressed in [false, true] {
            try NPZArchive.write(entries: entries, to: url, compressed: compressed)
            let archive = try NPZArchive(contentsOf: url)
            assertThrows(.truncatedData(source: "bad.npz: x.npy", expectedBytes: 2 * 20 * 70 * 4, actualBytes: 20 * 70 * 4)) {
                try archive.array("x")
            }
            assertThrows(.badMagic(source: "bad.npz: y.npy")) { try archive.array("y") }
        }
    }

    // MARK: - Hostile files

    /// A member whose CRC-32 does not match its contents is damaged, stored or deflated (NumPy: BadZipFile).
    func testMemberWithABadCRCIsAnError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("bad.npz")
        for compressed in [false, true] {
            try NPZArchive.write([("x", Tensor.ones([4, 3]))], to: url, compressed: compressed)
            var data = try Data(contentsOf: url)
            let header = try XCTUnwrap(firstDirectoryHeader(in: data))
            data[header + 16] ^= 0xFF  // the directory's CRC-32 of x.npy
            try data.write(to: url)
            guard case .corruptArchive(let source, let detail)? = thrownError({ try NPZArchive(contentsOf: url).array("x") }) else {
                return XCTFail("a member with a bad CRC was read")
            }
            XCTAssertEqual(source, "bad.npz: x.npy")
            XCTAssertTrue(detail.hasPrefix("the CRC-32 of the contents is 0x"), detail)
        }
        // A flipped bit in the stored data itself.
        try NPZArchive.write([("x", Tensor.ones([4, 3]))], to: url)
        var data = try Data(contentsOf: url)
        let npy = try XCTUnwrap(offset(of: NPY.magic, in: data))
        data[npy + 128 + 5] ^= 0x01
        try data.write(to: url)
        XCTAssertTrue("\(thrownError { try NPZArchive(contentsOf: url).array("x") }!)".contains("CRC-32"))
    }

    /// The 1.3 KB file whose Zip64 entry declares 2.8 TB: refused before anything is allocated.
    func testZip64EntryLyingAboutItsSizeIsAnError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("lie.npz")
        let npy = [UInt8](NPY.encoded(Tensor.ones([250])))
        try zipArchive([HandMadeZipEntry(name: "x.npy", data: npy, compressedSize: 2_800_000_000_000,
                                         uncompressedSize: 2_800_000_000_000, zip64: true)]).write(to: url)
        assertThrows(.corruptArchive(source: "lie.npz", detail: "x.npy declares 2800000000000 bytes of data, but only \(npy.count + 101) follow its header (cut short?)")) {
            try NPZArchive(contentsOf: url)
        }
    }

    /// A deflated entry declaring 3.9 GB from a few bytes: more than deflate can make of them.
    func testDeflatedEntryDeclaringMoreThanDeflateCanMakeIsAnError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("bomb.npz")
        try NPZArchive.write([("x", Tensor.zeros([1000]))], to: url, compressed: true)
        var data = try Data(contentsOf: url)
        let header = try XCTUnwrap(firstDirectoryHeader(in: data)), compressed = uint32Field(data, at: header + 20)
        setUInt32Field(&data, at: header + 24, to: 0xE800_0000)  // 3.9 GB of contents
        try data.write(to: url)
        assertThrows(.corruptArchive(source: "bomb.npz", detail: "x.npy declares 3892314112 bytes inflated from \(compressed); deflate expands at most 1032:1")) {
            try NPZArchive(contentsOf: url)
        }
    }

    /// A deflate stream that is cut short, runs on or makes more than its header declares.
    func testDeflatedEntryWhoseStreamDisagreesWithItsSizeIsAnError() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("short.npz")
        try NPZArchive.write([("x", Tensor.ones([1000]))], to: url, compressed: true)
        let good = try Data(contentsOf: url)
        let header = try XCTUnwrap(firstDirectoryHeader(in: good))
        func withField(_ at: Int, _ value: Int) throws -> NPZArchive {
            var data = good
            setUInt32Field(&data, at: header + at, to: value)
            try data.write(to: url)
            return try NPZArchive(contentsOf: url)
        }
        let compressed = uint32Field(good, at: header + 20), uncompressed = uint32Field(good, at: header + 24)
        assertThrows(.corruptArchive(source: "short.npz: x.npy", detail: "the deflated data ends before its stream does (cut short?)")) {
            try withField(20, compressed / 2).array("x")
        }
        assertThrows(.corruptArchive(source: "short.npz: x.npy", detail: "the data inflates to more than the \(uncompressed - 1) bytes its header declares")) {
            try withField(24, uncompressed - 1).array("x")
        }
        assertThrows(.corruptArchive(source: "short.npz: x.npy", detail: "the data holds \(uncompressed) bytes, its header declares \(uncompressed + 1)")) {
            try withField(24, uncompressed + 1).array("x")
        }
    }
}

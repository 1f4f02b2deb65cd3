@testable import Datasets
import Foundation
import Tensors
import XCTest

final class SafeTensorsTests: XCTestCase {
    func testRoundTripWithMetadata() throws {
        let file = SafeTensors(
            tensors: ["layer.symmetryMatrix": Tensor(shape: [4, 2], scalars: (0..<8).map { Float($0) / 3 }),
                      "layer.bias": Tensor(shape: [2], scalars: [-1.0, 1e-300]),
                      "step": Tensor(7, dtype: .float64),
                      "empty": Tensor.zeros([0, 5])],
            metadata: ["method": "msr", "note": "quote \" backslash \\ newline \n tab \t é"])
        let url = try temporaryDirectory(for: self).appendingPathComponent("checkpoint.safetensors")
        try file.write(to: url)
        let back = try SafeTensors(contentsOf: url)
        XCTAssertEqual(back.metadata, file.metadata)
        XCTAssertEqual(Set(back.tensors.keys), Set(file.tensors.keys))
        for (name, tensor) in file.tensors {
            XCTAssertEqual(back.tensors[name]?.shape, tensor.shape, name)
            XCTAssertEqual(back.tensors[name]?.dtype, tensor.dtype, name)
            XCTAssertEqual(back.tensors[name]?.scalars, tensor.scalars, name)
        }
    }

    func testLayoutFollowsTheFormat() throws {
        let data = SafeTensors(tensors: ["b": Tensor(shape: [2], scalars: [Float(1), 2]), "a": Tensor(shape: [1], scalars: [3.0])],
                               metadata: ["k": "v"]).encoded()
        let n = Int(data.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        XCTAssertEqual(n % 8, 0)
        let header = String(decoding: data[8..<(8 + n)], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       #"{"__metadata__":{"k":"v"},"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#)
        XCTAssertEqual(data.count, 8 + n + 16)
        XCTAssertEqual(data[(8 + n)...].withUnsafeBytes { $0.loadUnaligned(as: Double.self) }, 3)
    }

    /// A file with `header` (a JSON text) and `data`.
    func file(_ header: String, data: [UInt8] = []) -> Data {
        let bytes = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Data($0) } + Data(bytes + data)
    }

    func testMalformedFiles() {
        func malformed(_ detail: String) -> DatasetError { .malformedSafeTensors(source: "t", detail: detail) }
        assertThrows(malformed("3 bytes is too short; expected an 8-byte header length first")) {
            try SafeTensors(decoding: Data([1, 2, 3]), source: "t")
        }
        var huge = file("{}")
        huge[0] = 0xFF
        assertThrows(malformed("header length 255 exceeds the 2 bytes after it")) { try SafeTensors(decoding: huge, source: "t") }
        assertThrows(malformed("expected the JSON header to start with '{'")) { try SafeTensors(decoding: file("[1]"), source: "t") }
        assertThrows(malformed("the header is not a JSON object")) { try SafeTensors(decoding: file("{\"a\": "), source: "t") }
        assertThrows(malformed("entry 'a' has no string 'dtype'")) {
            try SafeTensors(decoding: file(#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), source: "t")
        }
        assertThrows(.unsupportedDType(source: "t: a", descr: "BF16", supported: ["F32", "F64"])) {
            try SafeTensors(decoding: file(#"{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}"#, data: [0, 0]), source: "t")
        }
        assertThrows(malformed("entry 'a' needs 'shape', a list of integers ≥ 0")) {
            try SafeTensors(decoding: file(#"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), source: "t")
        }
        assertThrows(malformed("entry 'a' of shape [2] and dtype F32 needs 8 bytes, its data_offsets [0, 4] span 4")) {
            try SafeTensors(decoding: file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), source: "t")
        }
        assertThrows(.truncatedData(source: "t: a", expectedBytes: 8, actualBytes: 4)) {
            try SafeTensors(decoding: file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), source: "t")
        }
        assertThrows(malformed("entry 'a' starts at byte 4, expected 0 (entries must cover the data without gaps or overlaps)")) {
            try SafeTensors(decoding: file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)), source: "t")
        }
        assertThrows(malformed("the data holds 8 bytes but the entries cover 4")) {
            try SafeTensors(decoding: file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 8)), source: "t")
        }
        assertThrows(malformed("'__metadata__' must map strings to strings")) {
            try SafeTensors(decoding: file(#"{"__metadata__":{"a":1}}"#), source: "t")
        }
        let url = URL(fileURLWithPath: "/nonexistent/c.safetensors")
        assertThrows(.fileNotFound(path: url.path)) { try SafeTensors(contentsOf: url) }
    }

    /// A shape whose element count overflows Int: an error naming the entry, not a trap.
    func testShapeWhoseSizeOverflowsIsAnError() {
        let header = #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#
        assertThrows(.malformedSafeTensors(source: "t", detail: "entry 'a' has shape [4611686018427387904, 4], whose size overflows; expected one that fits the 16 bytes of data")) {
            try SafeTensors(decoding: file(header, data: [UInt8](repeating: 0, count: 16)), source: "t")
        }
        // A zero axis makes an empty tensor, however large the others.
        let empty = #"{"a":{"dtype":"F32","shape":[4611686018427387904,0],"data_offsets":[0,0]}}"#
        XCTAssertEqual(try SafeTensors(decoding: file(empty), source: "t").tensors["a"]?.shape, [4611686018427387904, 0])
    }
}

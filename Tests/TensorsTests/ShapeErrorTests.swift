import Tensors
import TestSupport
import XCTest

/// Bad shapes produce a `TensorError` whose message names both shapes (the operators trap with it).
final class ShapeErrorTests: XCTestCase {
    func assertThrows(_ expression: @autoclosure () throws -> Any, mentions parts: [String],
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            let message = "\(error)"
            for p in parts { XCTAssertTrue(message.contains(p), "‘\(message)’ does not mention \(p)", file: file, line: line) }
        }
    }

    func testMismatchedMatmul() {
        assertThrows(try Tensor.matmulShape([2, 3], [4, 5]), mentions: ["matmul", "[2, 3]", "[4, 5]", "3", "4"])
        assertThrows(try Tensor.matmulShape([2, 2, 3], [3, 3, 1]), mentions: ["[2, 2, 3]", "[3, 3, 1]", "batch"])
        assertThrows(try Tensor.matmulShape([3], [3, 1]), mentions: ["[3]", "[3, 1]"])
        XCTAssertNoThrow(try Tensor.matmulShape([2, 3], [4, 3], transposeB: true))
    }

    func testConvWithTooSmallInput() {
        assertThrows(try Tensor.windowGeometry(input: [1, 1, 2, 5], kernel: (3, 3), stride: (1, 1), padding: (0, 0), op: "conv2d"),
                     mentions: ["conv2d", "[1, 1, 2, 5]", "[3, 3]", "smaller than the kernel"])
        assertThrows(try Tensor.windowGeometry(input: [1, 2, 5], kernel: (3, 3), stride: (1, 1), padding: (0, 0), op: "conv2d"),
                     mentions: ["[1, 2, 5]", "(N, C, H, W)"])
    }

    func testImpossibleReshape() {
        assertThrows(try ShapeCheck.reshape([2, 3], to: [4, 2]), mentions: ["reshape", "[2, 3]", "[4, 2]"])
        assertThrows(try ShapeCheck.reshape([2, 3], to: [4, -1]), mentions: ["[2, 3]", "[4, -1]"])
        XCTAssertEqual(try ShapeCheck.reshape([2, 3], to: [-1, 2]), [3, 2])
    }

    func testBroadcastMismatch() {
        assertThrows(try ShapeCheck.broadcast([2, 3], [4, 3], op: "add"), mentions: ["add", "[2, 3]", "[4, 3]"])
        XCTAssertEqual(try ShapeCheck.broadcast([2, 1], [3], op: "add"), [2, 3])
    }
}

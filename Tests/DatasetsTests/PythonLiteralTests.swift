@testable import Datasets
import XCTest

final class PythonLiteralTests: XCTestCase {
    func testParsesNumPyHeaderDicts() throws {
        let literal = try PythonLiteral.parse("{'descr': '<f4', \"fortran_order\": False, 'shape': (3, 20L, 1, 70), }  \n")
        XCTAssertEqual(literal, .dictionary([
            (.string("descr"), .string("<f4")),
            (.string("fortran_order"), .boolean(false)),
            (.string("shape"), .sequence([.integer(3), .integer(20), .integer(1), .integer(70)])),
        ]))
        XCTAssertEqual(try PythonLiteral.parse("()"), .sequence([]))
        XCTAssertEqual(try PythonLiteral.parse("(5,)"), .sequence([.integer(5)]))
        XCTAssertEqual(try PythonLiteral.parse("[('a', '<f4'), None, True]"),
                       .sequence([.sequence([.string("a"), .string("<f4")]), .none, .boolean(true)]))
    }

    func testRejectsWhatIsNotALiteral() {
        for text in ["{'a': }", "(1, 2", "'open", "{'a' 1}", "maybe", "1 2"] {
            XCTAssertThrowsError(try PythonLiteral.parse(text), text)
        }
    }
}

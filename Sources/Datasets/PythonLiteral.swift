/// The small subset of Python literals an `.npy` header is written in: a dict of strings, booleans and tuples
/// of integers, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 20, 1, 70), }`.
///
/// The parser is recursive, so nesting is bounded (`maximumDepth`): a header of 60,000 `(` would otherwise
/// overflow the stack.
indirect enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    /// A tuple or a list.
    case sequence([PythonLiteral])
    /// A dict, in the order written.
    case dictionary([(key: PythonLiteral, value: PythonLiteral)])

    static func == (a: PythonLiteral, b: PythonLiteral) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.integer(x), .integer(y)): return x == y
        case let (.boolean(x), .boolean(y)): return x == y
        case (.none, .none): return true
        case let (.sequence(x), .sequence(y)): return x == y
        case let (.dictionary(x), .dictionary(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// Parses `text`; the thrown message says where and what was expected.
    static func parse(_ text: String) throws -> PythonLiteral {
        var parser = Parser(bytes: Array(text.utf8))
        let value = try parser.value()
        parser.skipSpace()
        guard parser.position == parser.bytes.count else { throw parser.failure("expected the end of the header") }
        return value
    }

    struct ParseFailure: Error { let message: String }

    /// Deepest nesting of tuples, lists and dicts accepted: a header needs 2 (a dict holding the shape tuple),
    /// a structured dtype a few more; Python's own parser stops at 200.
    static let maximumDepth = 64

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        /// Tuples, lists and dicts open at `position`.
        var depth = 0

        func failure(_ expected: String) -> ParseFailure {
            ParseFailure(message: "\(expected) at character \(position)")
        }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func value() throws -> PythonLiteral {
            skipSpace()
            guard let c = peek() else { throw failure("expected a value") }
            switch c {
            case UInt8(ascii: "{"): return try dictionary()
            case UInt8(ascii: "("): return try sequence(closing: UInt8(ascii: ")"))
            case UInt8(ascii: "["): return try sequence(closing: UInt8(ascii: "]"))
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
            default:
                var end = position
                while end < bytes.count, Character(UnicodeScalar(bytes[end])).isLetter { end += 1 }
                let word = String(decoding: bytes[position..<end], as: UTF8.self)
                let literal: PythonLiteral
                switch word {
                case "True": literal = .boolean(true)
                case "False": literal = .boolean(false)
                case "None": literal = .none
                default: throw failure("expected a string, number, True, False, None, tuple or dict")
                }
                position = end
                return literal
            }
        }

        mutating func string() throws -> String {
            let quote = bytes[position]
            position += 1
            var out: [UInt8] = []
            while let c = peek(), c != quote {
                if c == UInt8(ascii: "\\") { position += 1; guard peek() != nil else { break } }
                out.append(bytes[position])
                position += 1
            }
            guard peek() == quote else { throw failure("expected a closing quote") }
            position += 1
            return String(decoding: out, as: UTF8.self)
        }

        mutating func integer() throws -> Int {
            let start = position
            if peek() == UInt8(ascii: "-") { position += 1 }
            while let c = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { position += 1 }
            guard let n = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                position = start
                throw failure("expected an integer")
            }
            if peek() == UInt8(ascii: "L") { position += 1 }  // Python 2 long, in old files
            return n
        }

        /// Enters one more level of nesting, or fails past `maximumDepth`.
        mutating func enter() throws {
            guard depth < PythonLiteral.maximumDepth else {
                throw failure("expected at most \(PythonLiteral.maximumDepth) levels of nested tuples, lists and dicts")
            }
            depth += 1
        }

        mutating func sequence(closing: UInt8) throws -> PythonLiteral {
            try enter()
            defer { depth -= 1 }
            position += 1
            var items: [PythonLiteral] = []
            while true {
                skipSpace()
                if peek() == closing { position += 1; return .sequence(items) }
                items.append(try value())
                skipSpace()
                if peek() == UInt8(ascii: ",") { position += 1; continue }
                guard peek() == closing else { throw failure("expected ',' or '\(Character(UnicodeScalar(closing)))'") }
            }
        }

        mutating func dictionary() throws -> PythonLiteral {
            try enter()
            defer { depth -= 1 }
            position += 1
            var items: [(key: PythonLiteral, value: PythonLiteral)] = []
            while true {
                skipSpace()
                if peek() == UInt8(ascii: "}") { position += 1; return .dictionary(items) }
                let key = try value()
                skipSpace()
                guard peek() == UInt8(ascii: ":") else { throw failure("expected ':'") }
                position += 1
                items.append((key, try value()))
                skipSpace()
                if peek() == UInt8(ascii: ",") { position += 1; continue }
                guard peek() == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
            }
        }
    }
}

import Datasets
import Foundation
import XCTest

/// Shared helpers of the Datasets tests.
enum Fixture {
    /// A file of the test bundle's Resources folder.
    static func url(_ name: String) -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources") else {
            preconditionFailure("missing test resource \(name)")
        }
        return url
    }
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(for test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("DatasetsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<R>(_ expected: DatasetError, _ body: () throws -> R, file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
    } catch let error as DatasetError {
        XCTAssertEqual(error, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(type(of: error)): \(error)", file: file, line: line)
    }
}

/// The error `body` throws (failing when there is none or it is not a `DatasetError`).
func thrownError<R>(_ body: () throws -> R, file: StaticString = #filePath, line: UInt = #line) -> DatasetError? {
    do {
        _ = try body()
        XCTFail("expected an error, nothing was thrown", file: file, line: line)
    } catch let error as DatasetError {
        return error
    } catch {
        XCTFail("expected a DatasetError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// The numerical rank of `vectors` (each of the same length), by modified Gram–Schmidt in Double: a vector
/// counts when its residual after projecting out the earlier ones exceeds `tolerance` times the largest norm.
func numericalRank(_ vectors: [[Double]], tolerance: Double) -> Int {
    let scale = vectors.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max() ?? 0
    var basis: [[Double]] = []
    for v in vectors {
        var r = v
        for _ in 0..<2 {  // twice, for orthogonality in floating point
            for b in basis {
                let dot = zip(r, b).reduce(0) { $0 + $1.0 * $1.1 }
                for i in r.indices { r[i] -= dot * b[i] }
            }
        }
        let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > tolerance * scale { basis.append(r.map { $0 / norm }) }
    }
    return basis.count
}

/// Solves the 3×3 system a·x = b (a row-major) by Gaussian elimination with partial pivoting.
func solve3(_ a: [Double], _ b: [Double]) -> [Double] {
    var m = a, v = b
    for c in 0..<3 {
        let pivot = (c..<3).max { abs(m[$0 * 3 + c]) < abs(m[$1 * 3 + c]) }!
        if pivot != c {
            for j in 0..<3 { m.swapAt(c * 3 + j, pivot * 3 + j) }
            v.swapAt(c, pivot)
        }
        for r in (c + 1)..<3 {
            let f = m[r * 3 + c] / m[c * 3 + c]
            for j in c..<3 { m[r * 3 + j] -= f * m[c * 3 + j] }
            v[r] -= f * v[c]
        }
    }
    var x = [0.0, 0.0, 0.0]
    for r in stride(from: 2, through: 0, by: -1) {
        var s = v[r]
        for j in (r + 1)..<3 { s -= m[r * 3 + j] * x[j] }
        x[r] = s / m[r * 3 + r]
    }
    return x
}

import Datasets
import Foundation
import XCTest

/// Writes an Omniglot-layout folder at `top`: for each `Alphabet/characterNN` key, that many 105×105 grey
/// PNG drawings named `<index>_<drawer>.png`, each black (stroke) on white with a square whose place depends
/// on the character and drawing. Returns the drawings' pixels by `Alphabet/characterNN/<name>`.
@discardableResult
func writeOmniglotFolder(at top: URL, characters: [String: Int]) throws -> [String: [UInt8]] {
    var written: [String: [UInt8]] = [:]
    for (n, (key, count)) in characters.sorted(by: { $0.key < $1.key }).enumerated() {
        let folder = top.appendingPathComponent(key)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for d in 0..<count {
            var pixels = [UInt8](repeating: 255, count: 105 * 105)
            for y in (10 + 7 * n)..<(30 + 7 * n) { for x in (5 + 9 * d)..<(20 + 9 * d) { pixels[y * 105 + x] = 0 } }
            let name = String(format: "%04d_%02d", n + 1, d + 1)
            try PNGImage(width: 105, height: 105, channels: 1, pixels: pixels).write(to: folder.appendingPathComponent("\(name).png"))
            written["\(key)/\(name)"] = pixels
        }
    }
    return written
}

/// The `ImageDatasetError` `body` throws (failing when there is none or it is of another type).
func thrownImageError<R>(_ body: () throws -> R, file: StaticString = #filePath, line: UInt = #line) -> ImageDatasetError? {
    do {
        _ = try body()
        XCTFail("expected an error, nothing was thrown", file: file, line: line)
    } catch let error as ImageDatasetError {
        return error
    } catch {
        XCTFail("expected an ImageDatasetError, got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

import Datasets
import Tensors
import XCTest

final class ImageResizeTests: XCTestCase {
    /// The area average by its definition, in 2-D: cell (i, j) of an m×m output of an n×n image is the mean
    /// of the image over the square [j·s, (j+1)·s) × [i·s, (i+1)·s), s = n/m.
    func reference(_ image: [Float], n: Int, m: Int) -> [Double] {
        let s = Double(n) / Double(m)
        func overlap(_ cell: Int, _ pixel: Int) -> Double {
            max(0, min(Double(cell + 1) * s, Double(pixel + 1)) - max(Double(cell) * s, Double(pixel)))
        }
        var out = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m {
                var sum = 0.0
                for y in 0..<n where overlap(i, y) > 0 {
                    for x in 0..<n where overlap(j, x) > 0 {
                        sum += overlap(i, y) * overlap(j, x) * Double(image[y * n + x])
                    }
                }
                out[i * m + j] = sum / (s * s)
            }
        }
        return out
    }

    func testOmniglotSizeMatchesTheDefinition() {
        var generator = SplitMix64(seed: 1)
        let image = (0..<(105 * 105)).map { _ in Float(generator.nextUniform()) }
        let out = ImageResize.areaAverage(image, channels: 1, height: 105, width: 105, outputHeight: 28, outputWidth: 28)
        let expected = reference(image, n: 105, m: 28)
        XCTAssertEqual(out.count, 28 * 28)
        let worst = zip(out, expected).map { abs(Double($0) - $1) }.max()!
        XCTAssertLessThan(worst, 1e-6)
    }

    func testFractionalOverlapsAreWeighted() {
        // Pixel (3, 3) lies 3/4 in cell 0 and 1/4 in cell 1 along each axis (s = 3.75).
        var image = [Float](repeating: 0, count: 105 * 105)
        image[3 * 105 + 3] = 1
        let out = ImageResize.areaAverage(image, channels: 1, height: 105, width: 105, outputHeight: 28, outputWidth: 28)
        let s2 = 3.75 * 3.75
        XCTAssertEqual(Double(out[0]), 0.75 * 0.75 / s2, accuracy: 1e-7)
        XCTAssertEqual(Double(out[1]), 0.75 * 0.25 / s2, accuracy: 1e-7)
        XCTAssertEqual(Double(out[28]), 0.25 * 0.75 / s2, accuracy: 1e-7)
        XCTAssertEqual(Double(out[29]), 0.25 * 0.25 / s2, accuracy: 1e-7)
        XCTAssertEqual(out.enumerated().filter { ![0, 1, 28, 29].contains($0.offset) }.map(\.element).max(), 0)
        // Mass is kept up to (m/n)².
        XCTAssertEqual(Double(out.reduce(0, +)) * s2, 1, accuracy: 1e-6)
    }

    func testConstantImageStaysConstantAndIntegerFactorIsABlockMean() {
        let constant = [Float](repeating: 0.25, count: 2 * 105 * 105)
        let out = ImageResize.areaAverage(constant, channels: 2, height: 105, width: 105, outputHeight: 28, outputWidth: 28)
        XCTAssertEqual(out.count, 2 * 28 * 28)
        for v in out { XCTAssertEqual(v, 0.25, accuracy: 1e-7) }
        // 4×4 → 2×2: means of the 2×2 blocks.
        let image: [Float] = [1, 2, 3, 4,
                              5, 6, 7, 8,
                              9, 10, 11, 12,
                              13, 14, 15, 16]
        XCTAssertEqual(ImageResize.areaAverage(image, channels: 1, height: 4, width: 4, outputHeight: 2, outputWidth: 2),
                       [3.5, 5.5, 11.5, 13.5])
        // Non-square, channels independent: (2, 2, 4) → (2, 1, 2).
        XCTAssertEqual(ImageResize.areaAverage([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 2, 2, 2, 2], channels: 2, height: 2, width: 4,
                                               outputHeight: 1, outputWidth: 2),
                       [3.5, 5.5, 1, 1])
        // Same size: unchanged.
        XCTAssertEqual(ImageResize.areaAverage(image, channels: 1, height: 4, width: 4, outputHeight: 4, outputWidth: 4), image)
    }

    func testEnlargingRepeatsPixels() {
        XCTAssertEqual(ImageResize.areaAverage([1, 2], channels: 1, height: 1, width: 2, outputHeight: 1, outputWidth: 4),
                       [1, 1, 2, 2])
    }
}

import Datasets
import Tensors
import XCTest

final class AffineTransformTests: XCTestCase {
    /// A 5×4 (H×W) image with distinct values, two channels.
    let (height, width) = (5, 4)
    var image: [Float] { (0..<(2 * 5 * 4)).map { Float($0) + 1 } }

    func pixel(_ image: [Float], _ c: Int, _ y: Int, _ x: Int, width: Int = 4, height: Int = 5) -> Float {
        image[c * height * width + y * width + x]
    }

    func testIdentityReturnsTheImageExactly() {
        var generator = SplitMix64(seed: 3)
        let noisy = (0..<(3 * 28 * 28)).map { _ in Float(generator.nextNormal()) }
        XCTAssertEqual(AffineTransform.identity.warp(noisy, channels: 3, height: 28, width: 28), noisy)
        XCTAssertEqual(AffineTransform.rotation(degrees: 0, height: 28, width: 28).warp(noisy, channels: 3, height: 28, width: 28), noisy)
        // A full-image crop is the identity too.
        let crop = AffineTransform.resizedCrop(top: 0, left: 0, cropHeight: 28, cropWidth: 28, height: 28, width: 28)
        XCTAssertEqual(crop, .identity)
    }

    func testFlipsReverseColumnsAndRows() {
        let h = AffineTransform.horizontalFlip(width: width).warp(image, channels: 2, height: height, width: width)
        let v = AffineTransform.verticalFlip(height: height).warp(image, channels: 2, height: height, width: width)
        for c in 0..<2 {
            for y in 0..<height {
                for x in 0..<width {
                    XCTAssertEqual(pixel(h, c, y, x), pixel(image, c, y, width - 1 - x))
                    XCTAssertEqual(pixel(v, c, y, x), pixel(image, c, height - 1 - y, x))
                }
            }
        }
    }

    func testQuarterTurnIsAnExactTransposeAndFlip() {
        // np.rot90 (counterclockwise): out = flip_rows(transpose(in)), out[i][j] = in[j][S−1−i].
        let s = 6
        var generator = SplitMix64(seed: 5)
        let square = (0..<(s * s)).map { _ in Float(generator.nextUniform()) }
        let turned = AffineTransform.rotation(degrees: 90, height: s, width: s).warp(square, channels: 1, height: s, width: s)
        var transposed = square
        for i in 0..<s { for j in 0..<s { transposed[i * s + j] = square[j * s + i] } }
        var expected = transposed
        for i in 0..<s { for j in 0..<s { expected[i * s + j] = transposed[(s - 1 - i) * s + j] } }
        XCTAssertEqual(turned, expected)
        XCTAssertEqual(turned, OmniglotClasses.rotate(square, side: s, quarterTurns: 1))
        // 180° and 270° (= −90°) too, and a 180° turn is both flips.
        for k in 2...3 {
            XCTAssertEqual(AffineTransform.rotation(degrees: Double(90 * k), height: s, width: s).warp(square, channels: 1, height: s, width: s),
                           OmniglotClasses.rotate(square, side: s, quarterTurns: k))
        }
        XCTAssertEqual(AffineTransform.rotation(degrees: -90, height: s, width: s),
                       AffineTransform.rotation(degrees: 270, height: s, width: s))
        XCTAssertEqual(AffineTransform.horizontalFlip(width: s).then(.verticalFlip(height: s)),
                       AffineTransform.rotation(degrees: 180, height: s, width: s))
    }

    func testThenAppliesLeftFirst() {
        // A horizontal flip then a quarter turn, in one map, equals the two warps one after the other.
        let s = 5
        let square = (0..<(s * s)).map { Float($0) }
        let flip = AffineTransform.horizontalFlip(width: s), turn = AffineTransform.rotation(degrees: 90, height: s, width: s)
        let twoSteps = turn.warp(flip.warp(square, channels: 1, height: s, width: s), channels: 1, height: s, width: s)
        XCTAssertEqual(flip.then(turn).warp(square, channels: 1, height: s, width: s), twoSteps)
        XCTAssertNotEqual(turn.then(flip).warp(square, channels: 1, height: s, width: s), twoSteps)
    }

    func testBilinearSamplingAndZeroFill() {
        // Shift right by half a pixel: column x reads x − ½, the mean of columns x−1 and x (0 left of the image).
        let row: [Float] = [2, 4, 6, 8]
        let shift = AffineTransform(a: 1, b: 0, c: -0.5, d: 0, e: 1, f: 0)
        XCTAssertEqual(shift.warp(row, channels: 1, height: 1, width: 4), [1, 3, 5, 7])
        // Shift by a whole pixel: zero fill comes in.
        let whole = AffineTransform(a: 1, b: 0, c: -1, d: 0, e: 1, f: 0)
        XCTAssertEqual(whole.warp(row, channels: 1, height: 1, width: 4), [0, 2, 4, 6])
        // A 2× zoom on the centre of a 1×4 row (crop of width 2 starting at 1): half-pixel centres.
        let zoom = AffineTransform.resizedCrop(top: 0, left: 1, cropHeight: 1, cropWidth: 2, height: 1, width: 4)
        // x_in = 1 + (x + ½)/2 − ½ = 0.75, 1.25, 1.75, 2.25.
        XCTAssertEqual(zoom.warp(row, channels: 1, height: 1, width: 4), [3.5, 4.5, 5.5, 6.5])
    }

    func testSmallRotationKeepsTheCentre() {
        // A 45° turn of a 3×3 image with only the centre lit keeps the centre exactly.
        var square = [Float](repeating: 0, count: 9)
        square[4] = 1
        let out = AffineTransform.rotation(degrees: 45, height: 3, width: 3).warp(square, channels: 1, height: 3, width: 3)
        XCTAssertEqual(out[4], 1, accuracy: 1e-6)
    }
}

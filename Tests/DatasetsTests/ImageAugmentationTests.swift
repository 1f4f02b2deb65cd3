import Datasets
import Tensors
import XCTest

final class ImageAugmentationTests: XCTestCase {
    func randomImage(side: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        return (0..<(side * side)).map { _ in Float(generator.nextUniform()) }
    }

    func testNoneReturnsTheImageAndDrawsNothing() {
        let image = randomImage(side: 28, seed: 1)
        var generator = SplitMix64(seed: 9)
        XCTAssertTrue(ImageAugmentation.none.isNone)
        XCTAssertEqual(ImageAugmentation.none.apply(to: image, channels: 1, height: 28, width: 28, using: &generator), image)
        var fresh = SplitMix64(seed: 9)
        XCTAssertEqual(generator.next(), fresh.next())
        XCTAssertEqual(ImageAugmentation.none.randomTransform(height: 28, width: 28, using: &generator), .identity)
        // A rotation range of 0...0 is off too.
        XCTAssertTrue(ImageAugmentation(rotationDegrees: 0...0).isNone)
    }

    func testEachPartAlone() {
        let image = randomImage(side: 28, seed: 2)
        var generator = SplitMix64(seed: 4)
        // Flips with probability 1: reversed columns, reversed rows.
        let h = ImageAugmentation(horizontalFlipProbability: 1).apply(to: image, channels: 1, height: 28, width: 28, using: &generator)
        let v = ImageAugmentation(verticalFlipProbability: 1).apply(to: image, channels: 1, height: 28, width: 28, using: &generator)
        for y in 0..<28 {
            XCTAssertEqual(Array(h[(y * 28)..<(y * 28 + 28)]), Array(image[(y * 28)..<(y * 28 + 28)].reversed()))
            XCTAssertEqual(Array(v[(y * 28)..<(y * 28 + 28)]), Array(image[((27 - y) * 28)..<((27 - y) * 28 + 28)]))
        }
        // A rotation fixed at 90°: the exact quarter turn.
        let turned = ImageAugmentation(rotationDegrees: 90...90).apply(to: image, channels: 1, height: 28, width: 28, using: &generator)
        XCTAssertEqual(turned, OmniglotClasses.rotate(image, side: 28, quarterTurns: 1))
    }

    func testProtocolDefaultRanges() {
        let augmentation = ImageAugmentation.protocolDefault
        XCTAssertEqual(augmentation.resizedCrop?.areaFraction, 0.8...1)
        XCTAssertEqual(augmentation.resizedCrop!.aspectRatio.lowerBound, 0.75, accuracy: 1e-12)
        XCTAssertEqual(augmentation.resizedCrop!.aspectRatio.upperBound, 4.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(augmentation.horizontalFlipProbability, 0.5)
        XCTAssertEqual(augmentation.verticalFlipProbability, 0.5)
        XCTAssertEqual(augmentation.rotationDegrees, -30...30)
        // Over many draws: the linear part has |det| = crop area fraction in [0.8, 1] (flips and rotations keep
        // areas), each flip happens about half the time, and the rotation angle stays within ±30°.
        var generator = SplitMix64(seed: 11)
        var determinantSigns = 0
        for _ in 0..<2000 {
            let t = augmentation.randomTransform(height: 28, width: 28, using: &generator)
            let det = t.a * t.e - t.b * t.d
            XCTAssertGreaterThanOrEqual(abs(det), 0.8 - 1e-9)
            XCTAssertLessThanOrEqual(abs(det), 1 + 1e-9)
            if det < 0 { determinantSigns += 1 }
        }
        // One flip (not two) reverses orientation: probability 1/2.
        XCTAssertEqual(Double(determinantSigns) / 2000, 0.5, accuracy: 0.05)
    }

    func testCropOnlyScalesWithinTheRanges() {
        let crop = ImageAugmentation(resizedCrop: .init())
        var generator = SplitMix64(seed: 12)
        for _ in 0..<500 {
            let t = crop.randomTransform(height: 28, width: 28, using: &generator)
            XCTAssertEqual(t.b, 0)
            XCTAssertEqual(t.d, 0)
            let (sx, sy) = (t.a, t.e)  // crop width / W, crop height / H
            XCTAssertGreaterThanOrEqual(sx * sy, 0.8 - 1e-9)
            XCTAssertLessThanOrEqual(sx, 1 + 1e-12)
            XCTAssertLessThanOrEqual(sy, 1 + 1e-12)
            XCTAssertGreaterThanOrEqual(sx / sy, 0.75 - 1e-9)
            XCTAssertLessThanOrEqual(sx / sy, 4.0 / 3 + 1e-9)
            // The crop lies inside the image: left edge c + ½ − ½·sx ≥ 0 and right edge ≤ W.
            let left = t.c + 0.5 - 0.5 * sx
            XCTAssertGreaterThanOrEqual(left, -1e-9)
            XCTAssertLessThanOrEqual(left + sx * 28, 28 + 1e-9)
        }
    }

    func testSeededAndPerImage() {
        let images = Tensor(shape: [3, 1, 28, 28], scalars: (0..<3).flatMap { randomImage(side: 28, seed: UInt64(20 + $0)) })
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7)
        let first = ImageAugmentation.protocolDefault.apply(to: images, using: &a)
        let second = ImageAugmentation.protocolDefault.apply(to: images, using: &b)
        XCTAssertEqual(first.shape, [3, 1, 28, 28])
        XCTAssertEqual(first.floats, second.floats)
        XCTAssertNotEqual(first.floats, images.floats)
        // Each image gets its own transform: the same image twice comes out differently.
        let twice = Tensor(shape: [2, 1, 28, 28], scalars: randomImage(side: 28, seed: 30) + randomImage(side: 28, seed: 30))
        let out = ImageAugmentation.protocolDefault.apply(to: twice, using: &a).floats
        XCTAssertNotEqual(Array(out[..<784]), Array(out[784...]))
    }
}

import Foundation
import Tensors

/// Random affine augmentation of query images, the paper's Algorithm 2 as the few-shot protocol fixes it:
/// a random resized crop, a horizontal flip, a vertical flip and a rotation, drawn per image and composed
/// in that order into one `AffineTransform`, then applied with one bilinear resampling and zero fill.
///
/// Every part can be changed or switched off: `resizedCrop` nil, a flip probability 0, `rotationDegrees`
/// nil (or 0...0). `.none` switches all off and returns images unchanged; `.protocolDefault` is the
/// protocol's setting.
public struct ImageAugmentation: Sendable, Equatable, Codable {
    /// A random resized crop as torchvision's `RandomResizedCrop`, without rounding: the crop's area is a
    /// fraction s ~ U(`areaFraction`) of the image's, its aspect ratio r = width/height is log-uniform in
    /// `aspectRatio` (width √(s·H·W·r), height √(s·H·W/r)), and its position is uniform over the places where
    /// it fits. Up to 10 draws are made until the crop fits; if none does, the whole image is kept.
    public struct ResizedCrop: Sendable, Equatable, Codable {
        /// Range of the area fraction s, within (0, 1].
        public var areaFraction: ClosedRange<Double>
        /// Range of the aspect ratio r (width / height), positive.
        public var aspectRatio: ClosedRange<Double>

        public init(areaFraction: ClosedRange<Double> = 0.8...1, aspectRatio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
            precondition(areaFraction.lowerBound > 0 && areaFraction.upperBound <= 1,
                         "ResizedCrop: the area fraction must lie in (0, 1], got \(areaFraction)")
            precondition(aspectRatio.lowerBound > 0, "ResizedCrop: the aspect ratio must be positive, got \(aspectRatio)")
            self.areaFraction = areaFraction
            self.aspectRatio = aspectRatio
        }
    }

    /// The crop, or nil for none.
    public var resizedCrop: ResizedCrop?
    /// Probability of mirroring left and right, in [0, 1].
    public var horizontalFlipProbability: Double
    /// Probability of mirroring top and bottom, in [0, 1].
    public var verticalFlipProbability: Double
    /// Range of the counterclockwise rotation angle in degrees, drawn uniformly; nil for none.
    public var rotationDegrees: ClosedRange<Double>?

    public init(resizedCrop: ResizedCrop? = nil, horizontalFlipProbability: Double = 0, verticalFlipProbability: Double = 0,
                rotationDegrees: ClosedRange<Double>? = nil) {
        precondition((0...1).contains(horizontalFlipProbability) && (0...1).contains(verticalFlipProbability),
                     "ImageAugmentation: flip probabilities must lie in [0, 1]")
        self.resizedCrop = resizedCrop
        self.horizontalFlipProbability = horizontalFlipProbability
        self.verticalFlipProbability = verticalFlipProbability
        self.rotationDegrees = rotationDegrees
    }

    /// No augmentation: images are returned unchanged and no random numbers are drawn.
    public static let none = ImageAugmentation()

    /// The protocol's (and the paper's Algorithm 2) augmentation: resized crop with area U(0.8, 1) and aspect
    /// ratio log-uniform in [3/4, 4/3], flips with probability 1/2 each, rotation U(−30°, 30°).
    public static let protocolDefault = ImageAugmentation(
        resizedCrop: ResizedCrop(), horizontalFlipProbability: 0.5, verticalFlipProbability: 0.5, rotationDegrees: -30...30)

    /// True when every part is switched off.
    public var isNone: Bool {
        resizedCrop == nil && horizontalFlipProbability == 0 && verticalFlipProbability == 0
            && (rotationDegrees == nil || rotationDegrees == 0...0)
    }

    /// Draws one transform for an H×W image: crop, then horizontal flip, vertical flip, rotation. Random
    /// numbers are drawn only for the parts switched on, in that order.
    public func randomTransform(height: Int, width: Int, using generator: inout SplitMix64) -> AffineTransform {
        var transform = AffineTransform.identity
        if let crop = resizedCrop {
            transform = transform.then(ImageAugmentation.randomCrop(crop, height: height, width: width, using: &generator))
        }
        if horizontalFlipProbability > 0, generator.nextUniform() < horizontalFlipProbability {
            transform = transform.then(.horizontalFlip(width: width))
        }
        if verticalFlipProbability > 0, generator.nextUniform() < verticalFlipProbability {
            transform = transform.then(.verticalFlip(height: height))
        }
        if let range = rotationDegrees, range.lowerBound != range.upperBound || range.lowerBound != 0 {
            let degrees = range.lowerBound + (range.upperBound - range.lowerBound) * generator.nextUniform()
            transform = transform.then(.rotation(degrees: degrees, height: height, width: width))
        }
        return transform
    }

    static func randomCrop(_ crop: ResizedCrop, height: Int, width: Int, using generator: inout SplitMix64) -> AffineTransform {
        let area = Double(height * width)
        let logLow = log(crop.aspectRatio.lowerBound), logHigh = log(crop.aspectRatio.upperBound)
        for _ in 0..<10 {
            let s = crop.areaFraction.lowerBound + (crop.areaFraction.upperBound - crop.areaFraction.lowerBound) * generator.nextUniform()
            let r = exp(logLow + (logHigh - logLow) * generator.nextUniform())
            let w = (s * area * r).squareRoot(), h = (s * area / r).squareRoot()
            if w <= Double(width) && h <= Double(height) {
                let left = (Double(width) - w) * generator.nextUniform()
                let top = (Double(height) - h) * generator.nextUniform()
                return .resizedCrop(top: top, left: left, cropHeight: h, cropWidth: w, height: height, width: width)
            }
        }
        return .identity
    }

    /// `pixels`, planar (C, H, W), under a freshly drawn transform; unchanged (and nothing drawn) when `isNone`.
    public func apply(to pixels: [Float], channels: Int, height: Int, width: Int, using generator: inout SplitMix64) -> [Float] {
        if isNone { return pixels }
        return randomTransform(height: height, width: width, using: &generator)
            .warp(pixels, channels: channels, height: height, width: width)
    }

    /// Each image of `images` (B, C, H, W) under its own transform, drawn in batch order; Float32 result.
    public func apply(to images: Tensor, using generator: inout SplitMix64) -> Tensor {
        precondition(images.rank == 4, "ImageAugmentation.apply: expected images (B, C, H, W), got \(images.shape)")
        if isNone { return images }
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let values = images.floats
        let size = c * h * w
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for i in 0..<n {
            out += apply(to: Array(values[(i * size)..<((i + 1) * size)]), channels: c, height: h, width: w, using: &generator)
        }
        return Tensor(shape: images.shape, scalars: out)
    }
}

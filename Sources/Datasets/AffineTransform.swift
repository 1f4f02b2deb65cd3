import Foundation

/// A 2-D affine map of an image onto an image of the same size, given by its *sampling map*: the point of the
/// input image that each output pixel reads,
///
///     x_in = a·x + b·y + c
///     y_in = d·x + e·y + f
///
/// where (x, y) are the output pixel's column and row, and pixel (x, y) of an image is the point (x, y)
/// (pixel centres at integer coordinates). `warp` samples the input there bilinearly, reading 0 outside it.
///
/// The constructors describe what happens to the picture (turn it, mirror it, crop and resize it); `then`
/// composes two of them into one map, so that a chain of transforms costs one resampling.
public struct AffineTransform: Sendable, Equatable {
    public var a: Double, b: Double, c: Double
    public var d: Double, e: Double, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    /// Leaves the image as it is.
    public static let identity = AffineTransform(a: 1, b: 0, c: 0, d: 0, e: 1, f: 0)

    /// The transform that applies `self`, then `next` to the result. Its sampling map is self's after next's:
    /// an output point p reads next's input point S_next(p), which reads self's input point S_self(S_next(p)).
    public func then(_ next: AffineTransform) -> AffineTransform {
        AffineTransform(a: a * next.a + b * next.d, b: a * next.b + b * next.e, c: a * next.c + b * next.f + c,
                        d: d * next.a + e * next.d, e: d * next.b + e * next.e, f: d * next.c + e * next.f + f)
    }

    /// Mirrors left and right: column x reads column W−1−x.
    public static func horizontalFlip(width: Int) -> AffineTransform {
        AffineTransform(a: -1, b: 0, c: Double(width - 1), d: 0, e: 1, f: 0)
    }

    /// Mirrors top and bottom: row y reads row H−1−y.
    public static func verticalFlip(height: Int) -> AffineTransform {
        AffineTransform(a: 1, b: 0, c: 0, d: 0, e: -1, f: Double(height - 1))
    }

    /// Turns the picture counterclockwise (as seen, with rows going down) by `degrees` about its centre
    /// ((W−1)/2, (H−1)/2), as torchvision's `rotate` and, for 90°, NumPy's `rot90`. With (u, v) the offset
    /// of a pixel from the centre, the output at (u, v) reads the input at (cos θ·u − sin θ·v, sin θ·u + cos θ·v).
    /// Multiples of 90° use exact sines and cosines, so they move pixels onto pixels.
    public static func rotation(degrees: Double, height: Int, width: Int) -> AffineTransform {
        let (cosine, sine) = exactCosineSine(degrees: degrees)
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        return AffineTransform(a: cosine, b: -sine, c: cx - cosine * cx + sine * cy,
                               d: sine, e: cosine, f: cy - sine * cx - cosine * cy)
    }

    /// Crops the rectangle of `cropHeight`×`cropWidth` pixels whose top-left corner is at (`left`, `top`)
    /// (edges, in pixels; any real numbers) and resizes it to the whole H×W image, pixel edges to pixel
    /// edges, as torchvision's `resized_crop`: x_in = left + (x + ½)·cropWidth/W − ½.
    public static func resizedCrop(top: Double, left: Double, cropHeight: Double, cropWidth: Double,
                                   height: Int, width: Int) -> AffineTransform {
        let sx = cropWidth / Double(width), sy = cropHeight / Double(height)
        return AffineTransform(a: sx, b: 0, c: left + 0.5 * sx - 0.5, d: 0, e: sy, f: top + 0.5 * sy - 0.5)
    }

    /// cos θ and sin θ for θ = `degrees`, exact at multiples of 90°.
    static func exactCosineSine(degrees: Double) -> (Double, Double) {
        let turns = degrees / 90
        if turns == turns.rounded() {
            switch ((Int(turns) % 4) + 4) % 4 {
            case 0: return (1, 0)
            case 1: return (0, 1)
            case 2: return (-1, 0)
            default: return (0, -1)
            }
        }
        let theta = degrees * Double.pi / 180
        return (cos(theta), sin(theta))
    }

    /// The image `pixels`, planar (C, H, W), transformed: each output pixel samples the input at its point of
    /// the sampling map bilinearly, with 0 for the neighbours that fall outside the image. Where the map hits
    /// a pixel centre exactly (the identity, flips, quarter turns), the pixel is copied exactly.
    public func warp(_ pixels: [Float], channels: Int, height: Int, width: Int) -> [Float] {
        precondition(pixels.count == channels * height * width,
                     "AffineTransform.warp: (\(channels), \(height), \(width)) needs \(channels * height * width) values, got \(pixels.count)")
        var out = [Float](repeating: 0, count: pixels.count)
        let plane = height * width
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for y in 0..<height {
                    for x in 0..<width {
                        let xs = a * Double(x) + b * Double(y) + c
                        let ys = d * Double(x) + e * Double(y) + f
                        let x0 = xs.rounded(.down), y0 = ys.rounded(.down)
                        // Far outside: nothing to read.
                        guard x0 >= -1, y0 >= -1, x0 < Double(width), y0 < Double(height) else { continue }
                        let i0 = Int(x0), j0 = Int(y0)
                        let fx = Float(xs - x0), fy = Float(ys - y0)
                        // The four neighbours and their weights; a weight of 0 or a neighbour outside adds nothing.
                        let left = i0 >= 0, right = i0 + 1 < width && fx != 0
                        let top = j0 >= 0, bottom = j0 + 1 < height && fy != 0
                        for ch in 0..<channels {
                            let base = ch * plane + j0 * width + i0
                            var sum: Float = 0
                            if top && left { sum += (1 - fx) * (1 - fy) * input[base] }
                            if top && right { sum += fx * (1 - fy) * input[base + 1] }
                            if bottom && left { sum += (1 - fx) * fy * input[base + width] }
                            if bottom && right { sum += fx * fy * input[base + width + 1] }
                            output[ch * plane + y * width + x] = sum
                        }
                    }
                }
            }
        }
        return out
    }
}

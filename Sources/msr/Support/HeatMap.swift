import Datasets
import Foundation
import Tensors

/// Heat-map pictures of matrices: a diverging colour map (blue < 0 < red, white at 0), each matrix scaled by
/// its own largest magnitude, entries drawn as `scale`×`scale` squares, matrices side by side.
enum HeatMap {
    static func colour(_ x: Double) -> (UInt8, UInt8, UInt8) {
        let t = max(-1, min(1, x))
        let fade = UInt8((1 - abs(t)) * 255)
        return t >= 0 ? (255, fade, fade) : (fade, fade, 255)
    }

    /// One picture of several matrices (each a 2-D tensor), left to right with `gap` pixels between.
    static func picture(_ matrices: [Tensor], scale: Int = 4, gap: Int = 8, sharedPeak: Double? = nil) -> PNGImage {
        let heights = matrices.map { $0.shape[0] * scale }, widths = matrices.map { $0.shape[1] * scale }
        let height = heights.max() ?? 1
        let width = widths.reduce(0, +) + gap * max(matrices.count - 1, 0)
        var pixels = [UInt8](repeating: 255, count: max(width, 1) * height * 3)
        var left = 0
        for (m, w) in zip(matrices, widths) {
            let (rows, cols) = (m.shape[0], m.shape[1])
            let values = m.scalars
            let peak = sharedPeak ?? max(values.map(abs).max() ?? 1, 1e-30)
            for r in 0..<rows {
                for c in 0..<cols {
                    let (red, green, blue) = colour(values[r * cols + c] / peak)
                    for dy in 0..<scale {
                        for dx in 0..<scale {
                            let p = ((r * scale + dy) * width + left + c * scale + dx) * 3
                            pixels[p] = red; pixels[p + 1] = green; pixels[p + 2] = blue
                        }
                    }
                }
            }
            left += w + gap
        }
        return PNGImage(width: max(width, 1), height: height, channels: 3, pixels: pixels)
    }

    /// A row of small 3×3 (or k×k) filters (n, k, k), one shared colour scale, 12 pixels per tap.
    static func filterRow(_ filters: Tensor) -> PNGImage {
        let n = filters.shape[0]
        let peak = max(filters.scalars.map(abs).max() ?? 1, 1e-30)
        let scaled = filters / peak
        return picture((0..<n).map { scaled.sliced(axis: 0, $0..<($0 + 1)).reshaped([filters.shape[1], filters.shape[2]]) * peak },
                       scale: 12, gap: 4, sharedPeak: peak)
    }

    /// Pictures stacked vertically, left-aligned, 8 pixels apart.
    static func stacked(_ images: [PNGImage]) -> PNGImage {
        let width = images.map(\.width).max() ?? 1, gap = 8
        let height = images.map(\.height).reduce(0, +) + gap * max(images.count - 1, 0)
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        var top = 0
        for im in images {
            for y in 0..<im.height { for x in 0..<im.width { for ch in 0..<3 {
                pixels[((top + y) * width + x) * 3 + ch] = im.pixels[(y * im.width + x) * im.channels + min(ch, im.channels - 1)]
            } } }
            top += im.height + gap
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }
}

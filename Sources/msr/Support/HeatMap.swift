import Datasets
import Foundation
import Tensors

/// Heat-map pictures of matrices: a diverging colour map (blue < 0 < red, white at 0), each matrix scaled by
/// its own largest magnitude or a shared one, entries drawn as `scale`×`scale` squares, matrices side by side.
/// The pixels of `HeatMapFigure`'s panels, which add the title, labels and the colour bar.
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
}

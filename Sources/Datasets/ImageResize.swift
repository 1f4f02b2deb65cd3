/// Resizing an image by exact area averaging, as OpenCV's `INTER_AREA` does when shrinking (they agree to
/// 2.4e-7 on Omniglot's drawings).
///
/// Along an axis of `n` input pixels resized to `m`, output cell `i` covers the input interval
/// `[i·s, (i+1)·s)` with `s = n / m`, and its value is the mean of the input over that interval:
///
///     out[i] = Σ_j  |[j, j+1) ∩ [i·s, (i+1)·s)| / s · in[j]
///
/// so input pixels cut by a cell's edge count with the fraction of them that lies inside it. Omniglot's
/// 105 → 28 has s = 3.75: cell 0 covers [0, 3.75), pixels 0–2 whole and three quarters of pixel 3; cell 1
/// covers [3.75, 7.5), a quarter of pixel 3, pixels 4–6 whole and half of pixel 7. The weights of a cell
/// sum to 1, so a constant image stays constant and the image's total mass is kept up to the factor (m/n)².
/// Rows and columns are resized one after the other (the 2-D area average is separable). Weights and sums
/// are computed in `Double`.
///
/// PIL's `Image.BOX` is not the same when s is not an integer: it gives each input pixel weight 1 or 0 by
/// where its centre falls (cell 0 above would average pixels 0–3 equally); on Omniglot the two differ by up
/// to 0.15 per output pixel.
public enum ImageResize {
    /// The weights of one axis, flattened: cell `i` reads input pixels `first[i] ..< first[i] + count[i]`
    /// with weights `weights[offset[i] ..< offset[i] + count[i]]`.
    struct AxisWeights {
        var first: [Int] = []
        var count: [Int] = []
        var offset: [Int] = []
        var weights: [Double] = []

        init(from n: Int, to m: Int) {
            precondition(n > 0 && m > 0, "ImageResize: sizes must be positive, got \(n) → \(m)")
            let s = Double(n) / Double(m)
            for i in 0..<m {
                let lo = Double(i) * s, hi = Double(i + 1) * s
                let j0 = Int(lo.rounded(.down))
                let j1 = Swift.min(n, Int(hi.rounded(.up)))
                first.append(j0)
                count.append(j1 - j0)
                offset.append(weights.count)
                for j in j0..<j1 {
                    weights.append((Swift.min(hi, Double(j + 1)) - Swift.max(lo, Double(j))) / s)
                }
            }
        }
    }

    /// `pixels`, planar (C, H, W) with C = `channels`, H = `height`, W = `width`, resized to
    /// (C, `outputHeight`, `outputWidth`) by area averaging.
    public static func areaAverage(_ pixels: [Float], channels: Int, height: Int, width: Int,
                                   outputHeight: Int, outputWidth: Int) -> [Float] {
        precondition(pixels.count == channels * height * width,
                     "ImageResize.areaAverage: (\(channels), \(height), \(width)) needs \(channels * height * width) values, got \(pixels.count)")
        if height == outputHeight && width == outputWidth { return pixels }
        let rows = AxisWeights(from: height, to: outputHeight)
        let columns = AxisWeights(from: width, to: outputWidth)
        var output = [Float](repeating: 0, count: channels * outputHeight * outputWidth)
        // Columns first: (H, W) → (H, W'), then rows: (H, W') → (H', W').
        var across = [Double](repeating: 0, count: height * outputWidth)
        pixels.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output in
        across.withUnsafeMutableBufferPointer { across in
        columns.weights.withUnsafeBufferPointer { columnWeights in
        rows.weights.withUnsafeBufferPointer { rowWeights in
            for c in 0..<channels {
                let plane = c * height * width
                for x in 0..<outputWidth {
                    let j0 = columns.first[x], n = columns.count[x], w = columnWeights.baseAddress! + columns.offset[x]
                    for y in 0..<height {
                        let row = input.baseAddress! + plane + y * width + j0
                        var sum = 0.0
                        var k = 0
                        while k < n { sum += w[k] * Double(row[k]); k += 1 }
                        across[y * outputWidth + x] = sum
                    }
                }
                let outputPlane = c * outputHeight * outputWidth
                for y in 0..<outputHeight {
                    let j0 = rows.first[y], n = rows.count[y], w = rowWeights.baseAddress! + rows.offset[y]
                    for x in 0..<outputWidth {
                        var sum = 0.0
                        var k = 0
                        while k < n { sum += w[k] * across[(j0 + k) * outputWidth + x]; k += 1 }
                        output[outputPlane + y * outputWidth + x] = Float(sum)
                    }
                }
            }
        }
        }
        }
        }
        }
        return output
    }
}

// Convolutions that unfold one image at a time and use its columns while they are in cache.

/// The three products of a convolution, each computed image by image: image i's columns cols_i = im2col(x_i)
/// (K × L, K = C·kh·kw, L = oh·ow; 451 KB for Conv4's 64-channel 14×14 layer) are made, used at once by one product,
/// and never stored for the whole batch (36 MB for an 80-image episode, which im2col · W writes, packs and reads
/// back from memory, and keeps for the backward pass):
///
///     forward:        y_i  = W · cols_i                         W (D, K), y_i (D, L)
///     weightGradient: ∂W   = Σ_i ∂y_i · cols_iᵀ                 (images in order)
///     inputGradient:  ∂x_i = col2im(Wᵀ · ∂y_i)
///
/// Threads split images (forward, input gradient) or rows of ∂W (weight gradient, where each thread unfolds
/// every image again rather than adding partial sums), and every element is accumulated in the same order
/// whatever the split, so results do not depend on the thread count.
enum ImageByImageConvolution<T: GemmScalar> {
    /// Runs `body(i, cols)` for every image i, images split over the intra-op threads, each thread with its own
    /// K × L columns buffer; `work` is the multiply-adds of the whole call.
    static func forEachImage(_ n: Int, columns: Int, work: Int, _ body: (Int, UnsafeMutablePointer<T>) -> Void) {
        IntraOp.forEachRange(items: n, parts: IntraOp.parts(items: n, work: work)) { images in
            let cols = UnsafeMutablePointer<T>.allocate(capacity: columns)
            defer { cols.deallocate() }
            for i in images { body(i, cols) }
        }
    }

    /// y (N, D, oh, ow) from x (N, C, H, W), w (D, C, kh, kw) and, if given, a bias b (D) added to each output after
    /// the product, while the image's outputs are in cache (as `Tensor.addingChannelBias` would, in a pass of its own).
    static func forward(x: UnsafePointer<T>, weight w: UnsafePointer<T>, bias: UnsafePointer<T>? = nil, into y: UnsafeMutablePointer<T>,
                        images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        let k = c * g.kernelHeight * g.kernelWidth, l = g.outHeight * g.outWidth, image = c * g.height * g.width
        forEachImage(n, columns: k * l, work: n * d * k * l) { i, cols in
            im2col(x + i * image, channels: c, g, into: cols)
            T.gemm(false, false, d, l, k, w, k, cols, l, y + i * d * l, l, false)
            guard let bias else { return }
            for o in 0..<d {
                let (row, b) = (y + (i * d + o) * l, bias[o])
                for j in 0..<l { row[j] += b }
            }
        }
    }

    /// ∂w (D, C, kh, kw) from x (N, C, H, W) and the output's gradient ∂y (N, D, oh, ow).
    static func weightGradient(x: UnsafePointer<T>, outputGradient gy: UnsafePointer<T>, into gw: UnsafeMutablePointer<T>,
                               images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        let k = c * g.kernelHeight * g.kernelWidth, l = g.outHeight * g.outWidth, image = c * g.height * g.width
        // Rows of ∂W in blocks of 6 (a micro-kernel sliver); split only where the product runs on a kernel that
        // gives every row the same result however the rows are split.
        let blocks = (d + 5) / 6
        var parts = IntraOp.parts(items: blocks, work: n * d * k * l)
        if parts > 1 && MatrixMultiply.exactlySplitKernel(transposeA: false, transposeB: true, m: 6 * (blocks / parts), n: k, k: l) == nil {
            parts = 1
        }
        IntraOp.forEachRange(items: blocks, parts: parts, chunksPerPart: 1) { range in
            let first = range.lowerBound * 6, rows = Swift.min(range.upperBound * 6, d) - first
            let cols = UnsafeMutablePointer<T>.allocate(capacity: k * l)
            defer { cols.deallocate() }
            for i in 0..<n {
                im2col(x + i * image, channels: c, g, into: cols)
                T.gemm(false, true, rows, k, l, gy + (i * d + first) * l, l, cols, l, gw + first * k, k, i > 0)
            }
        }
    }

    /// ∂x (N, C, H, W) from the output's gradient ∂y (N, D, oh, ow) and w (D, C, kh, kw); ∂x need not be zeroed.
    static func inputGradient(outputGradient gy: UnsafePointer<T>, weight w: UnsafePointer<T>, into gx: UnsafeMutablePointer<T>,
                              images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) {
        let k = c * g.kernelHeight * g.kernelWidth, l = g.outHeight * g.outWidth, image = c * g.height * g.width
        forEachImage(n, columns: k * l, work: n * d * k * l) { i, cols in
            T.gemm(true, false, k, l, d, w, k, gy + i * d * l, l, cols, l, false)
            (gx + i * image).update(repeating: 0, count: image)
            col2im(cols, channels: c, g, into: gx + i * image)
        }
    }
}

/// How `Tensor.conv2d` computes a convolution's products: the whole batch unfolded, then one batched product
/// (`im2col`), image by image (`ImageByImageConvolution`), for 3×3 kernels at stride 1 by Winograd's F(2×2, 3×3)
/// (`WinogradConvolution`: all three products, the input gradient where it is itself such a convolution), or, for
/// windows of few taps at stride 1, directly from the padded image (`DirectConvolution`: the forward and the weight
/// gradient; the input gradient image by image). Chosen by shape; `MSR_CONV=im2col|image-by-image|winograd|direct` or
/// `ConvolutionAlgorithm.withForced` (tests, benchmarks) override the choice (forced Winograd or direct falls back to
/// image by image where it does not apply), and
/// `MSR_CONV=no-winograd` keeps the choice by shape but never picks Winograd (for A/B measurements).
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    case im2col
    case imageByImage = "image-by-image"
    case winograd
    case direct

    /// Batches whose columns (N·K·L elements) are below this stay on im2col · W: they fit in cache anyway, and one
    /// batched product over them makes fewer calls.
    static let imageByImageMinimumColumns = 1 << 18
    /// Images with fewer window positions than this stay on im2col · W: their products are too small to run well one
    /// image at a time (measured, `msr bench engine --sections convolution`: Conv4's 7×7 and 3×3 layers' backward
    /// 10–17% slower image by image, its 28×28 and 14×14 layers' forward 1.3–2.3× faster).
    static let imageByImageMinimumPositions = 128

    nonisolated(unsafe) static var forced: ConvolutionAlgorithm? = {
        getenv("MSR_CONV").flatMap { ConvolutionAlgorithm(rawValue: String(cString: $0).lowercased()) }
    }()

    /// Runs `body` with every convolution computed by `algorithm` (nil: the choice by shape). Process-wide, for tests
    /// and benchmarks: not to be changed while other threads run convolutions.
    public static func withForced<R>(_ algorithm: ConvolutionAlgorithm?, _ body: () throws -> R) rethrows -> R {
        let saved = forced
        forced = algorithm
        defer { forced = saved }
        return try body()
    }

    /// im2col or image by image, chosen by shape alone for N images whose windows have K = C·kh·kw taps at L positions
    /// (where Winograd is not chosen: `choice(images:channels:outputs:_:)`).
    public static func choice(images n: Int, taps k: Int, positions l: Int) -> ConvolutionAlgorithm {
        n > 1 && l >= imageByImageMinimumPositions && n * k * l >= imageByImageMinimumColumns ? .imageByImage : .im2col
    }

    /// Input and output channels below which Winograd is not chosen: its transforms cost O(C + D) per tile against
    /// the products' O(C·D), so they only pay off with many channels.
    public static let winogradMinimumChannels = 16
    /// Output positions per image below which Winograd is not chosen: tiles at odd edges compute outputs that are
    /// cropped (a 1×1 output is one tile of 4), which leaves no saving on the smallest images. Conv4's last layer
    /// (3×3 outputs, 4 tiles keeping 9 of 16) is still faster by Winograd (measured, `msr bench engine --sections
    /// convolution`: forward 2.7 → 1.8 ms, backward 5.5 → 3.6 ms on an 80-image episode).
    static let winogradMinimumPositions = 9

    /// False under `MSR_CONV=no-winograd`: the choice by shape as it was before Winograd.
    nonisolated(unsafe) static var winogradAllowed: Bool = {
        getenv("MSR_CONV").map { String(cString: $0).lowercased() != "no-winograd" } ?? true
    }()

    /// Most taps C·kh·kw of a window for which the direct kernel is chosen: its loads of P per multiply-add grow with
    /// the taps no faster than im2col's, but im2col · W's product only runs well once its inner dimension K = C·kh·kw
    /// is long (measured, `msr bench engine --sections convolution`).
    public static let directMaximumTaps = 27

    /// The algorithm chosen by shape alone for N images of C channels convolved into D channels over `g`: direct for
    /// stride-1 windows of few taps, Winograd for 3×3 stride-1 convolutions with many channels and positions, else
    /// `choice(images:taps:positions:)`.
    public static func choice(images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) -> ConvolutionAlgorithm {
        if DirectConvolution<Float>.applies(g) && c * g.kernelHeight * g.kernelWidth <= directMaximumTaps {
            return .direct
        }
        if winogradAllowed && WinogradConvolution<Float>.applies(g) && c >= winogradMinimumChannels && d >= winogradMinimumChannels
            && g.outHeight * g.outWidth >= winogradMinimumPositions {
            return .winograd
        }
        return choice(images: n, taps: c * g.kernelHeight * g.kernelWidth, positions: g.outHeight * g.outWidth)
    }

    /// The override if one is set, else the choice by shape; Winograd and direct only where they apply (else image by
    /// image).
    static func choose(images n: Int, channels c: Int, outputs d: Int, _ g: WindowGeometry) -> ConvolutionAlgorithm {
        let algorithm = forced ?? choice(images: n, channels: c, outputs: d, g)
        switch algorithm {
        case .winograd where !WinogradConvolution<Float>.applies(g), .direct where !DirectConvolution<Float>.applies(g):
            return .imageByImage
        default:
            return algorithm
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The largest images the PNG and JPEG readers decode, checked on the header before any pixel memory is
/// allocated: a small file declaring a huge picture (a 74-byte PNG of 10⁶ × 10⁶ pixels, a 5.8 KB JPEG of
/// 10,000²) is `ImageDatasetError.imageTooLarge`, not an allocation of gigabytes.
///
/// An image may have at most `maximumSide` pixels per side, `maximumPixels` pixels in all, and
/// `maximumPixelsPerByte` pixels per byte of its file. The last bound is one no real file exceeds: a PNG pixel
/// takes at least one bit of the filtered data, which deflate shrinks at most 1032:1 (8 · 1032 = 8,256
/// pixels per byte); a Huffman-coded JPEG spends at least one bit on each 8×8 block of a component it codes,
/// and a component is subsampled at most 4× per axis, so a bit covers at most 32² pixels (8,192 per byte).
/// Decoding an image thus allocates at most `channels` bytes per allowed pixel, i.e. at most 8,256 ·
/// `channels` times the file's size and never more than `maximumPixels` · `channels` bytes (100 MB as RGB).
public enum ImageLimits {
    /// Widest and highest image decoded: 16,384 pixels.
    public static let maximumSide = 16_384
    /// Most pixels in an image: 2²⁵ = 33,554,432 (e.g. 8,192 × 4,096).
    public static let maximumPixels = 1 << 25
    /// Most pixels per byte of the image's file: 8,256.
    public static let maximumPixelsPerByte = 8 * 1032

    /// The pixel count allowed for a file of `fileBytes` bytes: the smaller of the two pixel bounds.
    static func pixelLimit(fileBytes: Int) -> Int {
        let (bound, overflow) = fileBytes.multipliedReportingOverflow(by: maximumPixelsPerByte)
        return overflow ? maximumPixels : min(maximumPixels, bound)
    }

    /// Throws `ImageDatasetError.imageTooLarge` when a `width` × `height` image of a `fileBytes`-byte file
    /// breaks a bound; `file` names it.
    static func check(width: Int, height: Int, fileBytes: Int, file: String) throws {
        func tooLarge(_ limit: String) -> ImageDatasetError {
            .imageTooLarge(file: file, width: width, height: height, limit: limit)
        }
        guard width <= maximumSide, height <= maximumSide else {
            throw tooLarge("at most \(maximumSide) pixels per side")
        }
        let pixels = width * height  // both ≤ 2^14
        guard pixels <= maximumPixels else { throw tooLarge("at most \(maximumPixels) pixels") }
        guard pixels <= pixelLimit(fileBytes: fileBytes) else {
            throw tooLarge("at most \(maximumPixelsPerByte) pixels per byte of a file of \(fileBytes) bytes, i.e. \(pixelLimit(fileBytes: fileBytes)) pixels")
        }
    }
}

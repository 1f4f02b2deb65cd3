import CLibPNG
import Foundation

/// An 8-bit image for reading and writing PNG files through libpng's simplified API.
///
/// `pixels` is row-major, `channels` bytes per pixel: 1 (grey) or 3 (RGB).
public struct PNGImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "PNGImage: channels must be 1 (grey) or 3 (RGB), got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "PNGImage: \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    var format: UInt32 { channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY) }

    /// Writes the image as a PNG file, atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        let data: Data
        do { data = try encoded() } catch let DatasetError.unwritableFile(_, detail) {
            throw DatasetError.unwritableFile(path: url.path, detail: detail)
        }
        try AtomicFile.write(data, to: url)
    }

    /// The image as the bytes of a PNG file (for a file, or a picture embedded in an SVG figure).
    public func encoded() throws -> Data {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        func failed() -> DatasetError {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            return DatasetError.unwritableFile(path: "PNG", detail: "libpng: \(message)")
        }
        return try pixels.withUnsafeBytes { bytes in
            // The first call, without a buffer, measures; the second writes.
            var size = 0
            guard png_image_write_to_memory(&image, nil, &size, 0, bytes.baseAddress, Int32(width * channels), nil) != 0 else { throw failed() }
            var data = Data(count: size)
            let ok = data.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&image, out.baseAddress, &size, 0, bytes.baseAddress, Int32(width * channels), nil)
            }
            guard ok != 0 else { throw failed() }
            return data.prefix(size)
        }
    }

    /// Decodes PNG bytes (any PNG colour type) into grey (`channels` 1) or RGB (3). An image larger than
    /// `ImageLimits` allows is `ImageDatasetError.imageTooLarge`, found on the header before decoding.
    public init(decoding data: Data, channels: Int = 1, source: String = "PNG") throws {
        precondition(channels == 1 || channels == 3)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, data.count) }
        func failure() -> DatasetError {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            png_image_free(&image)
            return DatasetError.malformedHeader(source: source, detail: "not a readable PNG image (libpng: \(message))")
        }
        guard begun != 0 else { throw failure() }
        image.format = channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        let (w, h) = (Int(image.width), Int(image.height))
        do { try ImageLimits.check(width: w, height: h, fileBytes: data.count, file: source) } catch {
            png_image_free(&image)
            throw error
        }
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * channels), nil) }
        guard finished != 0 else { throw failure() }
        self.init(width: w, height: h, channels: channels, pixels: pixels)
    }

    public init(contentsOf url: URL, channels: Int = 1) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DatasetError.fileNotFound(path: url.path) }
        try self.init(decoding: data, channels: channels, source: url.path)
    }
}

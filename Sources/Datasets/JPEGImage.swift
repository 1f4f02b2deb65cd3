import CLibJPEG
import Foundation

/// An 8-bit image read from or written to a JPEG file with libjpeg-turbo's classic API.
///
/// `pixels` is row-major, `channels` bytes per pixel: 1 (grey) or 3 (RGB).
///
/// Errors are safe: libjpeg's fatal errors are caught with setjmp/longjmp entirely inside the C helpers of
/// the `CLibJPEG` module (`msr_jpeg_decode`, `msr_jpeg_encode` in its `shim.h`), so no jump crosses a Swift
/// frame. Decoding is strict: data that libjpeg can only read by guessing (a file cut short, corrupt
/// entropy-coded data, for which it would warn and fill in grey) is an error too.
public struct JPEGImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "JPEGImage: channels must be 1 (grey) or 3 (RGB), got \(channels)")
        precondition(width > 0 && height > 0 && pixels.count == width * height * channels,
                     "JPEGImage: \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Decodes the JPEG file `data` to grey (`channels` 1) or RGB (3); libjpeg converts between the two.
    /// `source` names the file in errors (`ImageDatasetError.badImage`; `imageTooLarge` for an image larger
    /// than `ImageLimits` allows, found on the header before anything is decoded).
    public init(decoding data: Data, channels: Int = 3, source: String = "JPEG") throws {
        precondition(channels == 1 || channels == 3)
        // A JPEG file starts with the SOI marker FF D8 followed by another marker.
        guard data.count >= 4, data[data.startIndex] == 0xFF, data[data.startIndex + 1] == 0xD8,
              data[data.startIndex + 2] == 0xFF else {
            throw ImageDatasetError.badImage(file: source, detail: "not a JPEG file: it does not start with the SOI marker FF D8 FF (\(data.count) bytes)")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(MSR_JPEG_MESSAGE_LENGTH))
        let status = data.withUnsafeBytes { bytes in
            msr_jpeg_decode(bytes.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count), Int32(channels), 1,
                            UInt(ImageLimits.maximumSide), UInt(ImageLimits.pixelLimit(fileBytes: data.count)),
                            &output, &width, &height, &message)
        }
        defer { free(output) }
        if status == 3 {
            try ImageLimits.check(width: Int(width), height: Int(height), fileBytes: data.count, file: source)
        }
        guard status == 0, let output else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageDatasetError.badImage(file: source, detail: status == 2 ? "corrupt or truncated JPEG data (libjpeg: \(reason))"
                                                                                : "libjpeg: \(reason)")
        }
        let count = Int(width) * Int(height) * channels
        self.init(width: Int(width), height: Int(height), channels: channels,
                  pixels: Array(UnsafeBufferPointer(start: output, count: count)))
    }

    public init(contentsOf url: URL, channels: Int = 3) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ImageDatasetError.sourceNotFound(path: url.path, expected: "a JPEG file")
        }
        try self.init(decoding: data, channels: channels, source: url.path)
    }

    /// The image as a baseline JPEG file of `quality` 1...100.
    public func encoded(quality: Int = 95) throws -> Data {
        precondition((1...100).contains(quality), "JPEGImage.encoded: quality must lie in 1...100, got \(quality)")
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: Int(MSR_JPEG_MESSAGE_LENGTH))
        let status = pixels.withUnsafeBufferPointer { bytes in
            msr_jpeg_encode(bytes.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(quality),
                            &output, &size, &message)
        }
        defer { free(output) }
        guard status == 0, let output else {
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ImageDatasetError.badImage(file: "JPEG being written", detail: "libjpeg: \(reason)")
        }
        return Data(bytes: output, count: Int(size))
    }

    /// Writes the image as a JPEG file of `quality`, atomically.
    public func write(to url: URL, quality: Int = 95) throws {
        try AtomicFile.write(try encoded(quality: quality), to: url)
    }
}

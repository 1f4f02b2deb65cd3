import Foundation

/// An 8-bit image decoded from a PNG or JPEG file, whichever the file's first bytes say it is, as `channels`
/// bytes per pixel: 1 (grey) or 3 (RGB); libpng and libjpeg convert grey ↔ colour as asked. The first stage
/// of every image data set's preprocessing (class folders, mini-ImageNet, Omniglot): decode, then
/// `planar(size:inverted:)`.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// Row-major, `channels` bytes per pixel.
    public var pixels: [UInt8]

    /// The file kinds recognised, by signature: PNG (`89 50 4E 47`) and JPEG (`FF D8 FF`).
    public enum Format: String, Sendable {
        case png = "PNG", jpeg = "JPEG"

        /// The format `data` starts with, or nil.
        public init?(signatureOf data: Data) {
            let head = Array(data.prefix(4))
            if head == [0x89, 0x50, 0x4E, 0x47] { self = .png }
            else if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { self = .jpeg }
            else { return nil }
        }
    }

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "DecodedImage: channels must be 1 (grey) or 3 (RGB), got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "DecodedImage: \(width)×\(height)×\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }

    /// Decodes `data` (a PNG or JPEG file) to `channels` 1 or 3; `source` names the file in errors. Throws
    /// `ImageDatasetError.badImage` naming `source` when the data is neither format or does not decode.
    public init(decoding data: Data, channels: Int, source: String) throws {
        precondition(channels == 1 || channels == 3, "DecodedImage: channels must be 1 (grey) or 3 (RGB), got \(channels)")
        switch Format(signatureOf: data) {
        case .png:
            let image: PNGImage
            do {
                image = try PNGImage(decoding: data, channels: channels, source: source)
            } catch let DatasetError.malformedHeader(_, detail) {
                throw ImageDatasetError.badImage(file: source, detail: detail.replacingOccurrences(of: "not a readable PNG image", with: "PNG decoding failed"))
            }
            (width, height, pixels) = (image.width, image.height, image.pixels)
        case .jpeg:
            let image = try JPEGImage(decoding: data, channels: channels, source: source)
            (width, height, pixels) = (image.width, image.height, image.pixels)
        case nil:
            throw ImageDatasetError.badImage(file: source, detail: "expected a PNG or JPEG file, but it starts with neither signature (\(data.count) bytes)")
        }
        self.channels = channels
    }

    /// Reads and decodes the file at `url`; throws `sourceNotFound` when there is none.
    public init(contentsOf url: URL, channels: Int) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ImageDatasetError.sourceNotFound(path: url.path, expected: "a PNG or JPEG image")
        }
        try self.init(decoding: data, channels: channels, source: url.path)
    }

    /// The image as planar (C, S, S) Float32 values, C = `channels`, S = `size`: p/255 in [0, 1], or 1 − p/255
    /// when `inverted` (Omniglot's stroke = 1, paper = 0), area-resized to S×S (`ImageResize`) when it is not.
    public func planar(size: Int, inverted: Bool = false) -> [Float] {
        let plane = width * height
        var values = [Float](repeating: 0, count: channels * plane)
        for i in 0..<plane {
            for ch in 0..<channels {
                let p = Float(pixels[channels * i + ch])
                values[ch * plane + i] = inverted ? 1 - p / 255 : p / 255
            }
        }
        return ImageResize.areaAverage(values, channels: channels, height: height, width: width,
                                       outputHeight: size, outputWidth: size)
    }

    /// Whether every pixel has equal red, green and blue (always true of a grey image): how a class folder
    /// tells grey images from colour ones.
    public var isGrey: Bool {
        guard channels == 3 else { return true }
        var i = 0
        while i < pixels.count {
            if pixels[i] != pixels[i + 1] || pixels[i] != pixels[i + 2] { return false }
            i += 3
        }
        return true
    }
}

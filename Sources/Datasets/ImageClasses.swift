import Foundation

/// Few-shot classes whose examples are image files: the one loader behind a folder of image classes
/// (`ImageFolder`) and mini-ImageNet (`MiniImageNet`), which differ only in how they list the files.
///
/// Each image is a PNG or JPEG file of any size, grey or colour (`DecodedImage`), decoded when first asked
/// for to C = `channels` channels (libpng / libjpeg convert grey ↔ colour), scaled to [0, 1] (p/255), planar
/// (C, S, S) Float32 with S = `imageSize`, area-resized (`ImageResize`) when it is not S×S. No
/// normalisation. With `cacheDecodedImages`, each file is decoded once and kept as bytes (H·W·C bytes an
/// image).
public struct ImageClasses: FewShotClassSource {
    /// One class: its name (for reports), where its images are (for messages) and its image files.
    public struct Class: Sendable, Equatable {
        public var name: String
        /// The class's folder, or the listing that names its files.
        public var location: String
        public var files: [URL]

        public init(name: String, location: String, files: [URL]) {
            self.name = name
            self.location = location
            self.files = files
        }
    }

    public let classes: [Class]
    /// C: 1 (grey) or 3 (RGB).
    public let channels: Int
    /// The side S of the images returned.
    public let imageSize: Int
    private let cache: DecodedImageCache?

    public init(classes: [Class], channels: Int, imageSize: Int, cacheDecodedImages: Bool = true) {
        precondition(channels == 1 || channels == 3, "ImageClasses: channels must be 1 (grey) or 3 (RGB), got \(channels)")
        precondition(imageSize > 0, "ImageClasses: imageSize must be positive, got \(imageSize)")
        self.classes = classes
        self.channels = channels
        self.imageSize = imageSize
        cache = cacheDecodedImages ? DecodedImageCache() : nil
    }

    /// (C, S, S).
    public var imageShape: [Int] { [channels, imageSize, imageSize] }
    public var classCount: Int { classes.count }
    public func exampleCount(ofClass c: Int) -> Int { classes[c].files.count }
    public func className(_ c: Int) -> String { classes[c].name }

    /// The file of image `example` of class `c`.
    public func url(ofClass c: Int, example: Int) -> URL { classes[c].files[example] }

    /// Image `example` of class `c`: (C, S, S) planar, in [0, 1]. Throws `badImage` naming the file when it
    /// cannot be decoded, `sourceNotFound` when it is gone.
    public func image(ofClass c: Int, example: Int) throws -> [Float] {
        let url = self.url(ofClass: c, example: example)
        let decoded: DecodedImage
        if let cached = cache?.image(for: url.path) {
            decoded = cached
        } else {
            decoded = try DecodedImage(contentsOf: url, channels: channels)
            cache?.store(decoded, for: url.path)
        }
        return decoded.planar(size: imageSize)
    }

    /// Checks that `ways`-way episodes of `imagesPerClass` images per class (K support + Q query) can be
    /// drawn, naming what falls short: `tooFewClasses` naming `source` (e.g. `/data/birds (meta-test
    /// classes)`), or `tooFewImages` naming the first class folder with too few images.
    public func requireEpisodes(ways: Int, imagesPerClass: Int, source: String) throws {
        guard classCount >= ways else {
            throw ImageDatasetError.tooFewClasses(source: source, found: classCount,
                                                  expected: "at least \(ways) for \(ways)-way episodes")
        }
        if let short = classes.first(where: { $0.files.count < imagesPerClass }) {
            throw ImageDatasetError.tooFewImages(folder: short.location, found: short.files.count,
                                                 expected: "at least \(imagesPerClass) (the support and query images of one class in an episode)")
        }
    }
}

import Foundation

/// Decoded images by path, shared by the copies of an `ImageClasses` value (and so of a `MiniImageNet`):
/// each file is decoded once, then its bytes are kept (H·W·C bytes an image).
final class DecodedImageCache: @unchecked Sendable {
    private let lock = NSLock()
    private var images: [String: DecodedImage] = [:]

    func image(for path: String) -> DecodedImage? {
        lock.lock()
        defer { lock.unlock() }
        return images[path]
    }

    func store(_ image: DecodedImage, for path: String) {
        lock.lock()
        defer { lock.unlock() }
        images[path] = image
    }
}

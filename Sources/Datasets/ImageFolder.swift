import Foundation

/// A folder of image classes, one sub-folder per class (the layout of torchvision's `ImageFolder`):
///
///     <root>/<class>/<image>.png | .jpg | .jpeg      any size, grey or colour, any mix
///
/// Classes are the sub-folders, sorted by name; a class's images are its PNG and JPEG files (recognised by
/// extension, in any case; other files are ignored), sorted by name. Hidden files and folders are left out,
/// and so are files directly in `root` and folders inside a class folder. Listing decodes nothing;
/// `classes(named:channels:imageSize:)` gives the classes to draw episodes from (`ImageClasses`), and
/// `ImageClassSplit` says which classes meta-train, meta-validate and meta-test.
public struct ImageFolder: Sendable {
    /// The file extensions read as images.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    /// What the folder must look like, for error messages.
    static let expectedLayout = "a folder of image classes (<root>/<class>/<image>.png or .jpg, one sub-folder per class)"

    public let root: URL
    /// The class folders' names, sorted.
    public let classNames: [String]
    /// The image files of each class, sorted by name: `files[c]` for `classNames[c]`.
    public let files: [[URL]]

    /// Lists the classes of `root`. Throws `ImageDatasetError`: `sourceNotFound` when there is no such folder,
    /// `unexpectedLayout` when it is a file or has no class folders, `tooFewImages` naming a class folder that
    /// holds no image.
    public init(root: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw ImageDatasetError.sourceNotFound(path: root.path, expected: ImageFolder.expectedLayout)
        }
        guard isDirectory.boolValue else {
            throw ImageDatasetError.unexpectedLayout(path: root.path, expected: ImageFolder.expectedLayout, detail: "it is a file")
        }
        let folders = try ImageFolder.visibleEntries(of: root).filter { ImageFolder.isFolder($0) }
        guard !folders.isEmpty else {
            throw ImageDatasetError.unexpectedLayout(path: root.path, expected: ImageFolder.expectedLayout, detail: "it has no class folders")
        }
        var files: [[URL]] = []
        for folder in folders {
            let images = try ImageFolder.visibleEntries(of: folder).filter {
                ImageFolder.imageExtensions.contains($0.pathExtension.lowercased()) && !ImageFolder.isFolder($0)
            }
            guard !images.isEmpty else {
                throw ImageDatasetError.tooFewImages(folder: folder.path, found: 0,
                                                     expected: "at least one PNG or JPEG image (.png, .jpg, .jpeg) in each class folder")
            }
            files.append(images)
        }
        self.root = root
        classNames = folders.map(\.lastPathComponent)
        self.files = files
    }

    /// The classes `names` (each a class folder's name), in that order, read as `channels` channels and
    /// resized to `imageSize`. Throws `sourceNotFound` for a name that is not a class folder of `root`.
    public func classes(named names: [String], channels: Int, imageSize: Int, cacheDecodedImages: Bool = true) throws -> ImageClasses {
        let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
        let chosen = try names.map { name -> ImageClasses.Class in
            guard let c = index[name] else {
                throw ImageDatasetError.sourceNotFound(path: root.appendingPathComponent(name).path,
                                                       expected: "a class folder of \(root.path) (one of \(classNames.count) holding images)")
            }
            return ImageClasses.Class(name: name, location: root.appendingPathComponent(name).path, files: files[c])
        }
        return ImageClasses(classes: chosen, channels: channels, imageSize: imageSize, cacheDecodedImages: cacheDecodedImages)
    }

    /// The channels the images have, judged from the first image of the first class: 1 when it is grey (every
    /// pixel's red, green and blue equal), 3 when it is colour. Throws `badImage` when it cannot be decoded.
    public func inferredChannels() throws -> Int {
        try DecodedImage(contentsOf: files[0][0], channels: 3).isGrey ? 1 : 3
    }

    /// The entries of `folder` that are not hidden, sorted by name.
    private static func visibleEntries(of folder: URL) throws -> [URL] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw ImageDatasetError.unexpectedLayout(path: folder.path, expected: expectedLayout, detail: "the folder cannot be listed")
        }
        return names.filter { !$0.hasPrefix(".") }.sorted().map { folder.appendingPathComponent($0) }
    }

    private static func isFolder(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

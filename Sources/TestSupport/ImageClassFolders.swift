import Datasets
import Foundation

/// Writes a small folder of image classes at `root` for tests, in `ImageFolder`'s layout: `classes`
/// sub-folders `class00`, `class01`, … each holding `imagesPerClass` `side`×`side` images `image00.png`, … (with
/// `jpegEvery` = k, every k-th image, counting from the first, is a JPEG file `imageNN.jpg` instead).
///
/// The pictures say their class, so that a few steps of meta-training can tell them apart: on a dark
/// background (20), class c has a bright (230) horizontal bar of 2 rows at row 1 + (c mod (side − 2)) and,
/// for colour, a red : green : blue mix that depends on c; image i moves the bar's columns by i so that no
/// two images of a class are equal. Returns the class names, sorted.
@discardableResult
public func writeImageClassFolders(at root: URL, classes: Int, imagesPerClass: Int, side: Int = 12, colour: Bool = false,
                                   jpegEvery: Int? = nil) throws -> [String] {
    let names = (0..<classes).map { String(format: "class%02d", $0) }
    let channels = colour ? 3 : 1
    for (c, name) in names.enumerated() {
        let folder = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for i in 0..<imagesPerClass {
            var pixels = [UInt8](repeating: 20, count: side * side * channels)
            let row = 1 + c % (side - 2)
            for y in row..<(row + 2) {
                for x in (i % side)..<side {
                    for ch in 0..<channels {
                        pixels[(y * side + x) * channels + ch] = colour ? UInt8(60 + (70 * (c + ch)) % 170) : 230
                    }
                }
            }
            if let k = jpegEvery, i % k == 0 {
                try JPEGImage(width: side, height: side, channels: channels, pixels: pixels)
                    .write(to: folder.appendingPathComponent(String(format: "image%02d.jpg", i)))
            } else {
                try PNGImage(width: side, height: side, channels: channels, pixels: pixels)
                    .write(to: folder.appendingPathComponent(String(format: "image%02d.png", i)))
            }
        }
    }
    return names
}

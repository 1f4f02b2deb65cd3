import Datasets
import Foundation
import FuzzSupport

/// mini-ImageNet's layout: the input is `train.csv`, beside an `images/` folder holding two valid JPEG
/// files (`a.jpg`, `b.jpg`, 84×84 and 40×30) and one that is not (`c.jpg`); every image the CSV lists is read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    try! FuzzInput.data(bytes, count).write(to: Layout.root.appendingPathComponent("train.csv"))
    guard let split = try? MiniImageNet(root: Layout.root, split: .train, cacheDecodedImages: false) else { return 0 }
    for c in 0..<split.classCount {
        for example in 0..<min(split.exampleCount(ofClass: c), 4) { _ = try? split.image(ofClass: c, example: example) }
    }
    return 0
}

enum Layout {
    /// The layout's folder, made on the first input.
    static let root: URL = {
        let root = FuzzInput.scratchURL("miniimagenet")
        let images = root.appendingPathComponent("images")
        try! FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for (name, width, height) in [("a.jpg", 84, 84), ("b.jpg", 40, 30)] {
            let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try! JPEGImage(width: width, height: height, channels: 3, pixels: pixels).write(to: images.appendingPathComponent(name))
        }
        try! Data("not a JPEG file".utf8).write(to: images.appendingPathComponent("c.jpg"))
        return root
    }()
}

FuzzInput.runLibFuzzer(fuzzOneInput)

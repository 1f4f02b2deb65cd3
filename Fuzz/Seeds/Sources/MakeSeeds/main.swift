import Datasets
import Foundation
import Tensors

// Writes the seed corpus of the fuzz targets: a few small, valid files of each kind, made with the package's
// own writers (so they are what the readers meet in use). Usage: MakeSeeds CORPUS_FOLDER; the Omniglot
// drawings are written as a folder (`omniglot-folder/`), which ../make-seeds.sh zips.
let corpus = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Corpus")
let manager = FileManager.default

func folder(_ target: String) -> URL {
    let url = corpus.appendingPathComponent(target)
    try! manager.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Values 0, 0.25, 0.5, … in a tensor of `shape`.
func ramp(_ shape: [Int], dtype: DType = .float32) -> Tensor {
    Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { Double($0) / 4 }, dtype: dtype)
}

/// Grey or RGB pixels with a pattern (not constant, so that the compressed forms are not trivial).
func pattern(width: Int, height: Int, channels: Int) -> [UInt8] {
    (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: ($0 % width) * 9 + ($0 / width) * 5) }
}

// .npy: Float32 and Float64, ranks 0 to 3.
let npy = folder("FuzzNPY")
for (name, tensor) in [("f4-3x4", ramp([3, 4])), ("f8-2x2x2", ramp([2, 2, 2], dtype: .float64)), ("f4-scalar", ramp([])),
                       ("f4-empty", ramp([0, 5]))] {
    try! NPY.encoded(tensor).write(to: npy.appendingPathComponent(name))
}

// .npz: a task family (x, y) stored and deflated, with an extra array; the files have no .npz suffix, which
// the repository's .gitignore excludes.
let npz = folder("FuzzNPZ")
for compressed in [false, true] {
    let url = npz.appendingPathComponent(compressed ? "family-deflated" : "family-stored")
    try! NPZArchive.write([("x", ramp([2, 3, 4])), ("y", ramp([2, 3], dtype: .float64)), ("w", ramp([5]))], to: url,
                          compressed: compressed)
}
try! SyntheticTranslationTasks(problem: .rank1, count: 1, seed: 3).writeNPZ(to: npz.appendingPathComponent("translation-1-task"))

// safetensors: two tensors and metadata, as a checkpoint.
let safetensors = folder("FuzzSafeTensors")
try! SafeTensors(tensors: ["layer.weight": ramp([3, 4]), "layer.bias": ramp([4], dtype: .float64)],
                 metadata: ["step": "3", "kind": "regression"]).write(to: safetensors.appendingPathComponent("checkpoint"))

// PNG: grey and RGB.
let png = folder("FuzzPNG")
for (name, side, channels) in [("grey-28", 28, 1), ("rgb-16", 16, 3)] {
    try! PNGImage(width: side, height: side, channels: channels, pixels: pattern(width: side, height: side, channels: channels))
        .write(to: png.appendingPathComponent(name))
}

// JPEG: RGB and grey.
let jpeg = folder("FuzzJPEG")
for (name, side, channels) in [("rgb-32", 32, 3), ("grey-16", 16, 1)] {
    try! JPEGImage(width: side, height: side, channels: channels, pixels: pattern(width: side, height: side, channels: channels))
        .write(to: jpeg.appendingPathComponent(name), quality: 75)
}

// Omniglot: two alphabets' drawings, 105×105 1-bit-looking grey PNG files, as a folder for make-seeds.sh.
let omniglot = corpus.appendingPathComponent("omniglot-folder/images_background")
for (alphabet, character) in [("Alpha", "character01"), ("Alpha", "character02"), ("Beta", "character01")] {
    let place = omniglot.appendingPathComponent("\(alphabet)/\(character)")
    try! manager.createDirectory(at: place, withIntermediateDirectories: true)
    for drawing in 1...2 {
        var pixels = [UInt8](repeating: 255, count: 105 * 105)
        for y in (20 + 10 * drawing)..<(50 + 10 * drawing) { for x in 30..<60 { pixels[y * 105 + x] = 0 } }
        try! PNGImage(width: 105, height: 105, channels: 1, pixels: pixels)
            .write(to: place.appendingPathComponent("0\(drawing)0\(drawing)_0\(drawing).png"))
    }
}

// mini-ImageNet: train.csv files naming the fuzz target's images (a.jpg, b.jpg valid, c.jpg not).
let mini = folder("FuzzMiniImageNet")
try! Data("filename,label\na.jpg,n01532829\nb.jpg,n01532829\nb.jpg,n02074367\n".utf8).write(to: mini.appendingPathComponent("two-classes"))
try! Data("filename,label\r\na.jpg,n01\r\nc.jpg,n02\r\n".utf8).write(to: mini.appendingPathComponent("crlf-bad-image"))

import Foundation
import Tensors

/// A task family read in place from an uncompressed `.npz` file (as `np.savez` and `writeNPZ` write it): the
/// file is memory-mapped and `task(at:)` copies one task's slices of `x` (tasks, examples, …inputShape) and
/// `y` (tasks, examples, …targetShape) out of it. For files too large to hold: the reference's `2d_rot8`
/// file is 17 GB (10,000 × 20 × 24 × 30 × 30 Float32 targets), `2d_rot8_flip` 7 GB. Compressed files
/// (`np.savez_compressed`) cannot be read in place; read those with `ArrayTaskFamily(contentsOf:)`.
///
/// `<f4` and `<f8` arrays are read; tasks come out as `dtype` (Float32 by default, as the reference).
///
/// Opening the file reads `x` and `y` through once, to check their CRC-32 and (unless allowed) that they
/// hold only finite numbers: a damaged or NaN-holding file is an error here, not a training run gone wrong.
/// That pass touches every page of the two arrays (for the 17 GB file, as long as reading it from disk).
public struct MappedTaskFamily: TaskFamily {
    /// One array of the file: its shape, element type and where its elements start.
    private struct StoredArray: Sendable {
        var shape: [Int]
        var dtype: NumPyDType
        var dataOffset: Int
        /// Bytes of one task (the elements after the first axis).
        var taskBytes: Int { shape.dropFirst().reduce(1, *) * dtype.byteCount }
    }

    public let url: URL
    public let dtype: DType
    private let file: MappedFile
    private let x: StoredArray, y: StoredArray

    public var count: Int { x.shape[0] }
    public var examplesPerTask: Int { x.shape[1] }
    public var inputShape: [Int] { Array(x.shape.dropFirst(2)) }
    public var targetShape: [Int] { Array(y.shape.dropFirst(2)) }

    /// Maps the `.npz` file at `url` and checks its arrays `x` and `y` as `ArrayTaskFamily(contentsOf:)`
    /// does: when given, `x` must be (tasks, examplesPerTask, …inputShape) and `y` (tasks, examplesPerTask,
    /// …targetShape); their first two axes must agree. `allowNonFinite` accepts NaN and ±∞ in them (and `<f8`
    /// values beyond Float32's range when `dtype` is Float32), which are otherwise
    /// `DatasetError.nonFiniteValue`.
    public init(contentsOf url: URL, examplesPerTask: Int? = nil, inputShape: [Int]? = nil, targetShape: [Int]? = nil,
                dtype: DType = .float32, allowNonFinite: Bool = false) throws {
        let file = try MappedFile(url)
        let directory = try ZipDirectory(file)
        func locate(_ name: String) throws -> (ZipDirectory.Entry, StoredArray) {
            guard let entry = directory.entries.first(where: { $0.isFile && $0.name == "\(name).npy" }) else {
                let names = directory.entries.filter { $0.isFile && $0.name.hasSuffix(".npy") }.map { String($0.name.dropLast(4)) }
                throw DatasetError.missingArray(name: name, path: url.path, available: names)
            }
            let source = "\(url.lastPathComponent): \(name).npy"
            guard entry.compressionMethod == 0 else {
                throw DatasetError.compressedEntry(path: url.path, name: name)
            }
            return (entry, try Self.parseHeader(file, entry: entry, source: source))
        }
        let (xEntry, x) = try locate("x"), (yEntry, y) = try locate("y")
        try ArrayTaskFamily.checkShapes(x: x.shape, y: y.shape, source: url.lastPathComponent, examplesPerTask: examplesPerTask,
                             inputShape: inputShape, targetShape: targetShape)
        for (array, name) in [(x, "x"), (y, "y")] where array.dtype.tensorDType == nil {
            throw DatasetError.unsupportedDType(source: "\(url.lastPathComponent): \(name).npy", descr: array.dtype.descr,
                                                supported: NumPyDType.tensorDescrs)
        }
        for (entry, array, name) in [(xEntry, x, "x"), (yEntry, y, "y")] {
            try directory.verify(entry, of: file)
            if allowNonFinite { continue }
            let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[array.dataOffset..<(array.dataOffset + array.shape[0] * array.taskBytes)])
            try NonFiniteValues.check(bytes, stored: array.dtype, as: dtype, elementsPerTask: array.taskBytes / array.dtype.byteCount,
                                      source: url.lastPathComponent, name: name)
        }
        self.url = url
        self.dtype = dtype
        self.file = file
        self.x = x
        self.y = y
    }

    /// Reads a 2-D synthetic family (see `ArrayTaskFamily.syntheticRotation(contentsOf:problem:)`): `x`
    /// (tasks, 20, 1, 32, 32) and `y` (tasks, 20, C_out, 30, 30), C_out = 24 (`2d_rot8`) or 48
    /// (`2d_rot8_flip`); without `problem`, either.
    public static func syntheticRotation(contentsOf url: URL, problem: SyntheticRotationProblem? = nil,
                                         allowNonFinite: Bool = false) throws -> MappedTaskFamily {
        typealias S = SyntheticRotationTasks
        let (size, out) = (S.imageSize, S.outputSize)
        let family = try MappedTaskFamily(contentsOf: url, examplesPerTask: S.examplesPerTask, inputShape: [1, size, size],
                                          targetShape: problem.map { [$0.outputChannels, out, out] }, allowNonFinite: allowNonFinite)
        try SyntheticRotationTasks.checkTargetShape(family.y.shape, source: url.lastPathComponent)
        return family
    }

    public func task(at index: Int) -> TaskExamples {
        precondition(0 <= index && index < count, "task(at:): index \(index) is outside 0..<\(count)")
        let all = Array(0..<examplesPerTask)
        return TaskExamples(inputs: rows(x, index, all), targets: rows(y, index, all))
    }

    /// The episode `TaskFamily`'s default draws, copying only its examples out of the file (not the whole task
    /// first, then the drawn examples again).
    public func episode(at index: Int, supportCount: Int, queryCount: Int, using generator: inout SplitMix64) -> Episode {
        precondition(0 <= index && index < count, "episode(at:): index \(index) is outside 0..<\(count)")
        let (support, query) = Episode.drawExamples(from: examplesPerTask, supportCount: supportCount, queryCount: queryCount,
                                                    using: &generator)
        return Episode(support: TaskExamples(inputs: rows(x, index, support), targets: rows(y, index, support)),
                       query: TaskExamples(inputs: rows(x, index, query), targets: rows(y, index, query)))
    }

    /// Examples `examples` (in that order) of task `index` of `array` as a (examples.count, …) tensor of `dtype`.
    private func rows(_ array: StoredArray, _ index: Int, _ examples: [Int]) -> Tensor {
        let shape = [examples.count] + Array(array.shape.dropFirst(2))
        let exampleBytes = array.taskBytes / array.shape[1], count = shape.reduce(1, *)
        let task = array.dataOffset + index * array.taskBytes
        // The data need not be aligned in the file: copy bytes, then read them as elements.
        func copy<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, n in
                let out = UnsafeMutableRawBufferPointer(buffer)
                for (row, example) in examples.enumerated() {
                    let start = task + example * exampleBytes
                    UnsafeMutableRawBufferPointer(rebasing: out[(row * exampleBytes)..<((row + 1) * exampleBytes)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: file.bytes[start..<(start + exampleBytes)]))
                }
                n = count
            }
        }
        switch array.dtype {
        case .float32: return Tensor(shape: shape, scalars: copy(Float.self)).to(dtype)
        default: return Tensor(shape: shape, scalars: copy(Double.self)).to(dtype)
        }
    }

    // MARK: - Checks

    /// The `.npy` header of a stored entry: shape, type and where the elements start.
    private static func parseHeader(_ file: MappedFile, entry: ZipDirectory.Entry, source: String) throws -> StoredArray {
        let start = entry.dataOffset, size = entry.uncompressedSize
        guard size >= 10, file.bytes[start..<(start + NPY.magic.count)].elementsEqual(NPY.magic) else {
            throw DatasetError.badMagic(source: source)
        }
        let version = file.bytes[start + 6]
        guard [1, 2, 3].contains(version), file.bytes[start + 7] == 0 else {
            throw DatasetError.malformedHeader(source: source,
                detail: "format version \(version).\(file.bytes[start + 7]) is not supported; expected 1.0, 2.0 or 3.0")
        }
        let lengthBytes = version == 1 ? 2 : 4
        guard size >= 8 + lengthBytes, let headerLength = file.integer(at: start + 8, width: lengthBytes),
              size >= 8 + lengthBytes + headerLength else {
            throw DatasetError.malformedHeader(source: source, detail: "the entry ends inside the header")
        }
        let headerStart = start + 8 + lengthBytes
        let fields = try NPYDecoder.headerFields(Array(file.bytes[headerStart..<(headerStart + headerLength)]),
                                                 version: version, source: source)
        let dataSize = size - 8 - lengthBytes - headerLength
        guard dataSize >= fields.bytes else {
            throw DatasetError.truncatedData(source: source, expectedBytes: fields.bytes, actualBytes: dataSize)
        }
        return StoredArray(shape: fields.shape, dtype: fields.dtype, dataOffset: headerStart + headerLength)
    }
}

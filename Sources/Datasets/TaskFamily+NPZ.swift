import Foundation
import Tensors

extension TaskFamily {
    /// Writes the family to `url` as an `.npz` file in the reference's layout, task by task, without holding
    /// more than one task in memory: arrays `x` (count, examples, …inputShape) and `y` (count, examples,
    /// …targetShape), then `extraArrays`, atomically. `numpy.load` reads it, and so do
    /// `ArrayTaskFamily(contentsOf:)` and (uncompressed, in place) `MappedTaskFamily(contentsOf:)`. Files over
    /// 4 GB are Zip64 archives: the 10,000 default `2d_rot8` tasks make 18 GB, written in about 100 s.
    ///
    /// Each task is made twice (once for `x`, once for `y`), as the entries of a zip archive are written one
    /// after the other. Every task must have the same number of examples and element type as task 0 (an
    /// empty family is written with 0 examples per task, Float32).
    ///
    /// - Parameters:
    ///   - compressed: deflate the entries, as `np.savez_compressed` (much slower; random data hardly shrinks).
    ///   - progress: called after each task of `y` with the number of tasks written so far.
    public func writeNPZ(to url: URL, extraArrays: [(name: String, tensor: Tensor)] = [], compressed: Bool = false,
                         progress: ((Int) -> Void)? = nil) throws {
        let first = count > 0 ? task(at: 0) : nil
        let examples = first?.exampleCount ?? 0
        let dtype = first?.inputs.dtype ?? .float32
        func streamed(_ name: String, shape: [Int], part: @escaping (TaskExamples) -> Tensor,
                      progress: ((Int) -> Void)?) -> NPZArchive.RawEntry {
            let header = NPY.header(shape: [count, examples] + shape, dtype: dtype)
            let taskBytes = examples * shape.reduce(1, *) * dtype.byteCount
            let cache = TaskCache()
            return NPZArchive.RawEntry(name: "\(name).npy", size: header.count + count * taskBytes) { position, length in
                // Bytes position..<position+length of header + tasks.
                var chunk = Data(capacity: length)
                if position < header.count {
                    chunk.append(contentsOf: header[position..<min(header.count, position + length)])
                }
                var start = max(position - header.count, 0)
                let end = position + length - header.count
                while start < end {
                    let index = start / taskBytes, offset = start - index * taskBytes
                    if cache.index != index {
                        let tensor = part(self.task(at: index))
                        precondition(tensor.shape == [examples] + shape && tensor.dtype == dtype,
                                     "writeNPZ: task \(index) has \(name) \(tensor.shape) \(tensor.dtype), expected \([examples] + shape) \(dtype) as task 0")
                        cache.index = index
                        cache.tensor = tensor
                        progress?(index + 1)
                    }
                    let take = min(taskBytes - offset, end - start)
                    withRawBytes(of: cache.tensor!) { chunk.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + take)])) }
                    start += take
                }
                return chunk
            }
        }
        var entries = [streamed("x", shape: inputShape, part: \.inputs, progress: nil),
                       streamed("y", shape: targetShape, part: \.targets, progress: progress)]
        entries += extraArrays.map { NPZArchive.RawEntry(name: $0.name, tensor: $0.tensor) }
        try NPZArchive.write(entries: entries, to: url, compressed: compressed)
    }
}

/// The last task made while streaming one array.
private final class TaskCache {
    var index = -1
    var tensor: Tensor?
}

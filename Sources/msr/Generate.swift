import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import Tensors

/// `msr generate`: makes a synthetic task family and writes it as an `.npz` file, as the reference's
/// `generate_synthetic_data.py`: `x` (tasks, 20, 1, 70) inputs, `y` (tasks, 20, 1, 68) targets and `w`
/// (tasks, 1, 1, 1, 68, 3) each task's filter bank, all Float32; for the 2-D families x (tasks, 20, 1, 32,
/// 32), y (tasks, 20, D, H′, W′) and w (tasks, D, 1, k, k).
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic task family (1-D translation of rank 1, 2 or 5; 2-D rotation, rotation + flip or scale) as an .npz file.")

    @Option(help: "The problem: rank1 (convolutions), rank2 or rank5 (locally connected, filters of that rank), 2d_rot8 or 2d_rot8_flip (rotation / rotation + flip equivariant 2-D convolutions), 2d_scale (3 fields of one filter at scales 1, √2, 2; 9×9 kernels).")
    var problem: SyntheticProblem = .rank1

    @Option(parsing: .unconditional, help: "Number of tasks (the first 80% are for meta-training; default 10000, 2000 for 2d_rot8_flip).")
    var tasks: Int?

    @Option(parsing: .unconditional, help: "Seed of the random numbers; the same seed gives the same file.")
    var seed: UInt64 = 0

    @Option(help: "The .npz file to write (replaced atomically if it exists).")
    var out: String

    private func shape(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + ")" }

    func validate() throws {
        if let tasks, tasks <= 0 { throw ValidationError("--tasks must be a positive number of tasks, got \(tasks).") }
        if problem == .data { throw ValidationError("--problem data names a family read from a file; generate rank1, rank2, rank5, 2d_rot8, 2d_rot8_flip or 2d_scale.") }
        guard out.hasSuffix(".npz") else { throw ValidationError("--out must name an .npz file, got '\(out)'.") }
    }

    func run() throws {
        let start = Date()
        let url = URL(fileURLWithPath: out)
        let tasks = self.tasks ?? problem.defaultTaskCount
        let filterShape: [Int]
        // 2-D families are streamed task by task: 10,000 tasks of 2d_rot8 outputs are 17 GB.
        func stream(_ family: some TaskFamily, filters: Tensor) throws {
            let progress = ProgressDisplay(total: tasks, label: "\(problem) ")
            try family.writeNPZ(to: url, extraArrays: [("w", filters)], progress: { progress.step($0, loss: .nan) })
            progress.clear()
        }
        if let rotation = problem.rotation {
            let family = SyntheticRotationTasks(problem: rotation, count: tasks, seed: seed), filters = family.filterBanks()
            filterShape = filters.shape
            try stream(family, filters: filters)
        } else if problem == .scale {
            let family = SyntheticScaleTasks(count: tasks, seed: seed), filters = family.filterBanks()
            filterShape = filters.shape
            try stream(family, filters: filters)
        } else {
            let family = SyntheticTranslationTasks(problem: problem.translation!, count: tasks, seed: seed)
            let stored = family.materialized()
            let filters = family.filterBanks().reshaped([tasks, 1, 1, 1, SyntheticTranslationTasks.outputLength,
                                                         SyntheticTranslationTasks.kernelSize])
            filterShape = filters.shape
            try stored.write(to: url, extraArrays: [("w", filters)])
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let megabytes = String(format: "%.1f", Double(bytes) / 1e6)
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        print("\(problem): \(tasks) tasks (seed \(seed)), arrays x, y and w \(shape(filterShape)), float32 → \(out) (\(megabytes) MB) in \(seconds) s")
    }
}

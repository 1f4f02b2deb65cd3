import ArgumentParser
import Datasets
import Foundation

extension SyntheticTranslationProblem: ExpressibleByArgument {}

/// `msr generate`: makes a 1-D synthetic task family and writes it as an `.npz` file, as the reference's
/// `generate_synthetic_data.py`: `x` (tasks, 20, 1, 70) inputs, `y` (tasks, 20, 1, 68) targets and `w`
/// (tasks, 1, 1, 1, 68, 3) each task's filter bank, all Float32.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic 1-D task family (translation symmetry of rank 1, 2 or 5) as an .npz file.")

    @Option(help: "The problem: rank1 (convolutions), rank2 or rank5 (locally connected, filters of that rank).")
    var problem: SyntheticTranslationProblem = .rank1

    @Option(help: "Number of tasks (the first 80% are for meta-training).")
    var tasks: Int = SyntheticTranslationTasks.defaultTaskCount

    @Option(help: "Seed of the random numbers; the same seed gives the same file.")
    var seed: UInt64 = 0

    @Option(help: "The .npz file to write (replaced atomically if it exists).")
    var out: String

    private func shape(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + ")" }

    func validate() throws {
        guard tasks > 0 else { throw ValidationError("--tasks must be a positive number of tasks, got \(tasks).") }
        guard out.hasSuffix(".npz") else { throw ValidationError("--out must name an .npz file, got '\(out)'.") }
    }

    func run() throws {
        let start = Date()
        let url = URL(fileURLWithPath: out)
        let family = SyntheticTranslationTasks(problem: problem, count: tasks, seed: seed)
        let stored = family.materialized()
        let filters = family.filterBanks().reshaped([tasks, 1, 1, 1, SyntheticTranslationTasks.outputLength,
                                                     SyntheticTranslationTasks.kernelSize])
        try stored.write(to: url, extraArrays: [("w", filters)])
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let megabytes = String(format: "%.1f", Double(bytes) / 1e6)
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        print("\(problem): \(tasks) tasks (seed \(seed)): x \(shape(stored.inputs.shape)), y \(shape(stored.targets.shape)), "
              + "w \(shape(filters.shape)) float32 → \(out) (\(megabytes) MB) in \(seconds) s")
    }
}

import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors

extension MSR {
    /// `msr inspect`: which symmetry did a trained model learn?
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Equivariance defects of a trained model against candidate groups, and pictures of its weights.",
            discussion: """
            A defect is ‖W − W̄‖/‖W‖ with W̄ the projection of W onto the maps that commute with the group
            (for translation: the nearest Toeplitz matrix): 0 means the weights respect the symmetry exactly.
            For MSR the headline figure is over W = reshape(U·v) with random v (what the learned U can express);
            for MAML baselines, over the weights adapted to held-out tasks.
            """)

        @Option(help: "A directory written by `msr train --checkpoint`.")
        var checkpoint: String

        @Option(help: "A MAML baseline's checkpoint to compare with.")
        var baseline: String?

        @Option(help: "Where to write the PNG pictures (default: <checkpoint>/pictures).")
        var pictures: String?

        @Flag(help: "Print the figures as JSON.")
        var json = false

        @Option(help: "Random v samples and held-out tasks per figure.")
        var samples = 50

        func run() throws {
            let main = try inspect(checkpoint)
            let base = try baseline.map(inspect)
            if json {
                struct Output: Encodable { var model: String; var problem: String; var defects: [String: Double]
                    var measures: [String: SymmetryInspection.Measure]; var baseline: Baseline? }
                struct Baseline: Encodable { var model: String; var defects: [String: Double] }
                let output = Output(model: main.0.model, problem: main.0.problem, defects: main.0.defects, measures: main.0.measures,
                                    baseline: base.map { Baseline(model: $0.0.model, defects: $0.0.defects) })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                var header = ["candidate group", "\(main.0.model): random v", "initial", "adapted"]
                if let base { header += ["\(base.0.model): initial", "adapted"] }
                var table = TextTable(header: header)
                for name in main.0.measures.keys.sorted() {
                    let m = main.0.measures[name]!
                    var row = [name, m.randomV.map { format($0, 3) } ?? "—", format(m.initial, 3), format(m.adapted, 3)]
                    if let b = base?.0.measures[name] { row += [format(b.initial, 3), format(b.adapted, 3)] }
                    table.add(row)
                }
                print("equivariance defect ‖W − W̄‖/‖W‖ (0 = exactly symmetric), \(main.0.problem)\n")
                print(table.rendered)
            }
            let directory = URL(fileURLWithPath: pictures ?? (checkpoint as NSString).appendingPathComponent("pictures"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let all = main.1 + (base?.1.map { ("baseline-" + $0.0, $0.1) } ?? [])
            for (name, picture) in all { try picture.write(to: directory.appendingPathComponent(name + ".png")) }
            if !json { print("\npictures: \(directory.path)/ (\(all.map { $0.0 + ".png" }.joined(separator: ", ")))") }
        }

        /// The inspection of one checkpoint and its pictures.
        func inspect(_ path: String) throws -> (SymmetryInspection, [(String, PNGImage)]) {
            let saved = try Checkpoint<RegressionExperiment>(contentsOf: URL(fileURLWithPath: path))
            let e = saved.experiment
            var reduced = e
            reduced.training.testTasks = samples
            let trainer = try reduced.trainer(threads: availableProcessorCount)
            guard let result = SymmetryInspection.inspect(trainer, saved.state.metaParameters, model: e.model.rawValue,
                                                         problem: e.problem.rawValue, samples: samples, tasks: samples) else {
                throw ValidationError("inspect supports the fully connected 1-D models (fc, msr-fc) so far; \(path) holds \(e.model.rawValue) on \(e.problem)")
            }
            var pictures: [(String, PNGImage)] = []
            let p = saved.state.metaParameters.detached()
            if let layer = trainer.model as? SymmetricLinear {
                var g = SplitMix64(seed: 5)
                let ws = (0..<4).map { _ -> Tensor in
                    var q = p
                    q["filterParameters"] = Tensor.randomNormal([layer.latentSize], dtype: q["filterParameters"].dtype, using: &g)
                    return layer.weight(q)
                }
                pictures.append(("W-random-v", HeatMap.picture(ws, scale: 3)))
            } else if trainer.model is Linear {
                pictures.append(("W-initial", HeatMap.picture([p["weight"]], scale: 3)))
            }
            return (result, pictures)
        }
    }
}



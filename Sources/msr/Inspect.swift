import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Symmetry
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

        @Option(help: "Where to write the pictures, SVG figures (default: <checkpoint>/pictures).")
        var pictures: String?

        @Flag(help: "Print the figures as JSON.")
        var json = false

        @Option(help: "Random v samples and held-out tasks per figure.")
        var samples = 50

        func validate() throws {
            // No samples would be a mean over nothing, printed as defect 0 ("exactly symmetric").
            if samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples).") }
        }

        func run() throws {
            let loaded = try load(checkpoint)
            let loadedBase = try baseline.map(load)
            // Networks the whole-model inspection does not know (described networks, few-shot Conv4) are
            // inspected layer by layer through the reparameterised-layer protocol.
            guard let main = loaded.whole else {
                let layers = loaded.layers(samples: samples), base = loadedBase?.layers(samples: samples)
                if json {
                    struct Output: Encodable { var layers: [LayerInspection]; var baseline: [LayerInspection]? }
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                    print(String(decoding: try encoder.encode(Output(layers: layers, baseline: base)), as: UTF8.self))
                } else {
                    print(describeLayers(layers, title: checkpoint))
                    if let base { print("\n" + describeLayers(base, title: baseline!)) }
                }
                return
            }
            let base = try loadedBase.map { b -> (SymmetryInspection, [(String, HeatMapFigure)]) in
                guard let whole = b.whole else { throw b.unsupported }
                return whole
            }
            if json {
                struct Output: Encodable { var model: String; var problem: String; var defects: [String: Double]
                    var measures: [String: SymmetryInspection.Measure]; var rotatedCopiesError: Double?
                    var factors: FactorStructure?; var symmetryMatrix: SymmetryMatrixStructure?; var innerStep: InnerStepStructure?
                    var baseline: Baseline? }
                struct Baseline: Encodable { var model: String; var defects: [String: Double] }
                let output = Output(model: main.0.model, problem: main.0.problem, defects: main.0.defects, measures: main.0.measures,
                                    rotatedCopiesError: main.0.rotatedCopiesError, factors: main.0.factors,
                                    symmetryMatrix: main.0.symmetryMatrix, innerStep: main.0.innerStep, baseline: base.map { Baseline(model: $0.0.model, defects: $0.0.defects) })
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(output), as: UTF8.self))
            } else {
                func columns(_ r: SymmetryInspection, _ m: SymmetryInspection.Measure?) -> [String] {
                    let hasV = r.measures.values.contains { $0.randomV != nil }, hasU = r.measures.values.contains { $0.update != nil }
                    var c: [String] = []
                    if hasV { c.append(m?.randomV.map { format($0, 3) } ?? "—") }
                    c += [m.map { format($0.initial, 3) } ?? "—", m.map { format($0.adapted, 3) } ?? "—"]
                    if hasU {
                        c.append(m?.update.map { format($0, 3) } ?? "—")
                        c.append(m?.randomGradientUpdate.map { format($0, 3) } ?? "—")
                    }
                    return c
                }
                func titles(_ r: SymmetryInspection) -> [String] {
                    var t: [String] = []
                    if r.measures.values.contains(where: { $0.randomV != nil }) { t.append("\(r.model): random v") }
                    t += [t.isEmpty ? "\(r.model): initial" : "initial", "adapted"]
                    if r.measures.values.contains(where: { $0.update != nil }) { t += ["update", "update of random gradient"] }
                    return t
                }
                var table = TextTable(header: ["candidate group"] + titles(main.0) + (base.map { titles($0.0) } ?? []))
                for name in main.0.measures.keys.sorted() {
                    var row = [name] + columns(main.0, main.0.measures[name])
                    if let b = base?.0 { row += columns(b, b.measures[name]) }
                    table.add(row)
                }
                print("equivariance defect ‖W − W̄‖/‖W‖ (0 = exactly symmetric), \(main.0.problem)\n")
                print(table.rendered)
                for r in [main.0] + (base.map { [$0.0] } ?? []) {
                    if let e = r.rotatedCopiesError {
                        print("\(r.model): adapted filters vs the best exact rotation/mirror of each field's reference channel: "
                              + "relative error \(format(e, 3))")
                    }
                    if let f = r.factors {
                        print("\(r.model) factors: A·Aᵀ eigenvalues \(f.outputChannelSpectrum.prefix(6).map { format($0, 2) }.joined(separator: " ")) …; "
                              + "C·Cᵀ eigenvalues \(f.kernelTapSpectrum.map { format($0, 2) }.joined(separator: " ")); "
                              + "coupling within fields \(format(f.withinFieldCoupling, 2))"
                              + (f.circulantDefect.map { ", circulant defect of the field blocks \(format($0, 2))" } ?? ""))
                        if let modes = f.channelModeGains {
                            print("\(r.model) A·Aᵀ gain by channel Fourier mode m = 0…4 of a field: "
                                  + modes.map { format($0, 2) }.joined(separator: " "))
                        }
                        let harmonics = MatrixStructure.tapHarmonics.compactMap { h in f.tapHarmonicGains[h.name].map { "\(h.name) \(format($0, 2))" } }
                        if !harmonics.isEmpty { print("\(r.model) C·Cᵀ gain by tap harmonic: " + harmonics.joined(separator: ", ")) }
                    }
                    if let u = r.symmetryMatrix {
                        print("\(r.model) U: singular values \(u.singularValues.prefix(24).map { format($0, 2) }.joined(separator: " "))"
                              + (u.singularValues.count > 24 ? " …" : "") + "; share of ‖U‖² in the tasks' 18-dim filter space "
                              + "\(format(u.taskSpaceFraction, 3)) (18/(D·9) for random U); "
                              + "equivariant share " + u.equivariantFraction.keys.sorted().map { "\($0) \(format(u.equivariantFraction[$0]!, 3))" }.joined(separator: ", "))
                    }
                    if let i = r.innerStep {
                        print("\(r.model) inner step ΔW = −α·P·∇W: α \(format(i.learningRate, 3)); α·qᵀPq on the task space \(format(i.taskSpaceRate, 3)), "
                              + "α·tr(P)/n \(format(i.meanRate, 3)); share of P·g in the task space for random g \(format(i.randomGradientTaskShare, 3))")
                    }
                }
            }
            let directory = URL(fileURLWithPath: pictures ?? (checkpoint as NSString).appendingPathComponent("pictures"))
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let all = main.1 + (base?.1.map { ("baseline-" + $0.0, $0.1) } ?? [])
            for (name, picture) in all { try picture.write(to: directory.appendingPathComponent(name + ".svg")) }
            if !json { print("\npictures: \(directory.path)/ (\(all.map { $0.0 + ".svg" }.joined(separator: ", ")))") }
        }

        /// A checkpoint read once for inspection: its model and meta-parameters (for per-layer figures), and the
        /// whole-model figures with their pictures where `SymmetryInspection` knows the model (the paper's
        /// regression models); few-shot runs and described networks have only the per-layer figures.
        struct Loaded {
            var model: any Layer
            var metaParameters: Parameters
            var whole: (SymmetryInspection, [(String, HeatMapFigure)])?
            /// Why `whole` is nil, for a baseline that must be compared whole.
            var unsupported: ValidationError

            func layers(samples: Int) -> [LayerInspection] { LayerInspection.inspect(model, metaParameters, samples: samples) }
        }

        func load(_ path: String) throws -> Loaded {
            let directory = URL(fileURLWithPath: path)
            switch try checkpointKind(in: directory) {
            case .fewShot:
                let saved = try Checkpoint<FewShotExperiment>(contentsOf: directory)
                return Loaded(model: saved.experiment.training.network, metaParameters: saved.state.metaParameters, whole: nil,
                              unsupported: ValidationError("\(path) holds a few-shot run; compare it with another few-shot run"))
            case .regression:
                return try inspect(path)
            }
        }

        /// A table: one row per (layer, candidate), the defect of the initial W and of W = reshape(U·v) for random v.
        func describeLayers(_ layers: [LayerInspection], title: String) -> String {
            var table = TextTable(header: ["layer", "type", "W shape", "candidate group", "random v", "initial"])
            for l in layers {
                if l.measures.isEmpty { table.add([l.prefix.isEmpty ? "(model)" : l.prefix, l.layer, "\(l.weightShape)", "—", "—", "—"]) }
                for name in l.measures.keys.sorted() {
                    let m = l.measures[name]!
                    table.add([l.prefix.isEmpty ? "(model)" : l.prefix, l.layer, "\(l.weightShape)", name,
                               m.randomV.map { format($0, 3) } ?? "—", format(m.initial, 3)])
                }
            }
            return "equivariance defect ‖W − W̄‖/‖W‖ of each weight layer (0 = exactly symmetric), \(title)\n\n" + table.rendered
        }

        /// The inspection of one checkpoint and its pictures.
        func inspect(_ path: String) throws -> Loaded {
            let saved = try Checkpoint<RegressionExperiment>(contentsOf: URL(fileURLWithPath: path))
            let e = saved.experiment
            var reduced = e
            reduced.training.testTasks = samples
            let trainer = try reduced.trainer(threads: availableProcessorCount)
            let unsupported = ValidationError("inspect compares fc and msr-fc (1-D) and conv, msr-conv and msr-conv-full (2-D) whole; \(path) holds \(e.model.rawValue) on \(e.problem)")
            guard let result = SymmetryInspection.inspect(trainer, saved.state.metaParameters, model: e.model.rawValue,
                                                         problem: e.problem.rawValue, samples: samples, tasks: samples) else {
                return Loaded(model: trainer.model, metaParameters: saved.state.metaParameters, whole: nil, unsupported: unsupported)
            }
            let pictures = InspectionPictures.figures(trainer, saved.state.metaParameters, title: e.title)
            return Loaded(model: trainer.model, metaParameters: saved.state.metaParameters, whole: (result, pictures), unsupported: unsupported)
        }
    }
}



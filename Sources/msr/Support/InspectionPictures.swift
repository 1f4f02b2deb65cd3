import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors

/// The figures `msr inspect` writes for the paper's regression models, by file name (`<name>.svg`):
///
/// - `W-random-v` (MSR-FC): W = reshape(U·v) for four random v, what the learned U can express;
/// - `U-columns` (MSR-FC, msr-conv-full): U itself, each column reshaped as a weight (a filter bank);
/// - `U-factors` (MSR-Conv): the Kronecker factors A, B, C of U = A ⊗ B ⊗ C;
/// - `W-adapted` (MSR-FC, MAML-FC): the meta-learned initial W beside W adapted to three held-out tasks;
/// - `W-initial` (MAML-FC): the meta-learned W;
/// - `filters-random-v` (msr-conv-full) and `filters-adapted` (2-D models): 3×3 filter banks, a row per field.
///
/// Each is a titled `HeatMapFigure` with one colour scale; filters are drawn at 24 pixels per tap.
enum InspectionPictures {
    /// The figures of `trainer`'s model under `parameters` (detached meta-parameters); `title` names the run.
    static func figures(_ trainer: MetaTrainer, _ parameters: Parameters, title: String) -> [(String, HeatMapFigure)] {
        let p = parameters.detached()
        var figures: [(String, HeatMapFigure)] = []
        let weightAxes = HeatMapFigure.Axes(rows: "output o", columns: "input i")
        func randomV(_ count: Int, _ latentSize: Int, dtype: DType) -> [Tensor] {
            var g = SplitMix64(seed: 5)
            return (0..<count).map { _ in Tensor.randomNormal([latentSize], dtype: dtype, using: &g) }
        }
        /// The model's parameters adapted to held-out task `index` by the inner loop.
        func adapted(toTask index: Int) -> Parameters {
            let c = trainer.configuration
            var g = SplitMix64(seed: 1)
            let episode = trainer.testTasks.episode(at: index, supportCount: c.supportCount, queryCount: 0, using: &g)
            return trainer.innerLoop.adapt(trainer.model, p.requiringGradient(), on: episode.support, createGraph: false).detached()
        }
        /// A bank (D, C, kh, kw) as rows of filters, one per field of D/3 output channels (input channel 0).
        func fieldRows(_ w: Tensor, prefix: String = "") -> [(label: String, filters: Tensor)] {
            let (d, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
            let fields = d % 3 == 0 ? 3 : 1, perField = d / fields
            let first = w.sliced(axis: 1, 0..<1).reshaped([d, kh, kw])
            return (0..<fields).map { f in
                ("\(prefix)field \(f + 1)", first.sliced(axis: 0, (f * perField)..<((f + 1) * perField)))
            }
        }
        func firstChannels(_ w: Tensor, repeats: Int = 1) -> [Int] {
            let d = w.shape[0], fields = d % 3 == 0 ? 3 : 1
            return Array((0..<repeats).map { _ in (0..<fields).map { $0 * d / fields } }.joined())
        }
        let fieldNote = "a row per field of output channels, each filter labelled with its output channel; a tap is \(HeatMapFigure.filterTapPixels) px"

        if let layer = trainer.model as? SymmetricLinear {
            let (o, i, k) = (layer.outputFeatures, layer.inputFeatures, layer.latentSize)
            let ws = randomV(4, k, dtype: p[SymmetricLinear.filterParametersKey].dtype).enumerated().map { n, v -> HeatMapFigure.Panel in
                var q = p
                q[SymmetricLinear.filterParametersKey] = v
                return .init(label: "v\(subscripted(n + 1))", matrix: layer.weight(q), axes: weightAxes)
            }
            figures.append(("W-random-v", HeatMapFigure(
                title: "\(title): W = reshape(U·v) for four random v ~ N(0, I)",
                notes: ["What the learned symmetry matrix U (\(o * i) × \(k)) can express; a band of shifted copies of one filter is a convolution."],
                rows: HeatMapFigure.grid(ws, columns: 4), pixelsPerEntry: 4, valueLabel: "entry W[o, i]")))
            let u = p[SymmetricLinear.symmetryMatrixKey]
            let columns = (0..<k).map { j in
                HeatMapFigure.Panel(label: "column \(j + 1)", matrix: u.sliced(axis: 1, j..<(j + 1)).reshaped([o, i]), axes: weightAxes)
            }
            figures.append(("U-columns", HeatMapFigure(
                title: "\(title): the symmetry matrix U, each of its \(k) columns reshaped as a \(o) × \(i) weight",
                notes: ["W = reshape(U·v) = Σⱼ vⱼ · (column j): the weights U lets the inner loop reach."],
                rows: HeatMapFigure.grid(columns, columns: 4), pixelsPerEntry: 4, valueLabel: "entry of U")))
        }
        if let layer = trainer.model as? SymmetricLinear, trainer.testTasks.count > 0 {
            let initial = layer.weight(p)
            let tasks = (0..<min(3, trainer.testTasks.count)).map { layer.weight(adapted(toTask: $0)) }
            figures.append(("W-adapted", adaptedFigure(title: title, initial: initial, adapted: tasks, axes: weightAxes,
                                                       what: "W = reshape(U·v₀), v₀ the meta-learned initial v")))
        } else if trainer.model is Linear {
            let w = p["weight"]
            figures.append(("W-initial", HeatMapFigure(
                title: "\(title): the meta-learned initial weight W", notes: ["MAML's initial W, from which the inner loop adapts to each task."],
                rows: [.init(label: nil, panels: [.init(label: nil, matrix: w, axes: weightAxes)])], pixelsPerEntry: 4, valueLabel: "entry W[o, i]")))
            if trainer.testTasks.count > 0 {
                let tasks = (0..<min(3, trainer.testTasks.count)).map { adapted(toTask: $0)["weight"] }
                figures.append(("W-adapted", adaptedFigure(title: title, initial: w, adapted: tasks, axes: weightAxes, what: "the meta-learned initial W")))
            }
        }

        if let layer = trainer.model as? DenseSymmetricConv2d {
            let key = DenseSymmetricConv2d.filterParametersKey
            var rows: [(label: String, filters: Tensor)] = []
            for (n, v) in randomV(4, layer.latentSize, dtype: p[key].dtype).enumerated() {
                var q = p
                q[key] = v
                rows += fieldRows(layer.effectiveWeight(q), prefix: "v\(subscripted(n + 1)) ")
            }
            let bank = layer.effectiveWeight(p)
            figures.append(("filters-random-v", .filterBank(
                title: "\(title): filter banks W = reshape(U·v) for four random v ~ N(0, I)",
                notes: ["What the learned U (\(layer.bankSize) × \(layer.latentSize)) can express; " + fieldNote + "."],
                rows: rows, firstChannels: firstChannels(bank, repeats: 4), valueLabel: "filter tap")))
            let u = p[DenseSymmetricConv2d.symmetryMatrixKey]
            let columnRows = (0..<layer.latentSize).map { j -> (label: String, filters: Tensor) in
                ("column \(j + 1)", u.sliced(axis: 1, j..<(j + 1)).reshaped(layer.bankShape).sliced(axis: 1, 0..<1)
                    .reshaped([layer.outputChannels, layer.kernelSize.0, layer.kernelSize.1]))
            }
            figures.append(("U-columns", .filterBank(
                title: "\(title): the symmetry matrix U, each of its \(layer.latentSize) columns reshaped as a bank of \(layer.outputChannels) filters",
                notes: ["W = reshape(U·v) = Σⱼ vⱼ · (column j); a row per column, filters labelled with their output channel; a tap is \(HeatMapFigure.filterTapPixels) px."],
                rows: columnRows, valueLabel: "entry of U")))
        }
        if let layer = trainer.model as? SymmetricConv2d {
            let factors: [(String, String, HeatMapFigure.Axes)] = [
                (SymmetricConv2d.outputChannelsKey, "A (output channels)", .init(rows: "output channel", columns: "output channel")),
                (SymmetricConv2d.inputChannelsKey, "B (input channels)", .init(rows: "input channel", columns: "input channel")),
                (SymmetricConv2d.kernelTapsKey, "C (taps, row-major 3×3)", .init(rows: "tap", columns: "tap")),
            ]
            let sum = layer.terms > 1
            figures.append(("U-factors", HeatMapFigure(
                title: "\(title): the factors of the symmetry matrix U = " + (sum ? "Σₜ Aₜ ⊗ Bₜ ⊗ Cₜ (\(layer.terms) terms)" : "A ⊗ B ⊗ C"),
                notes: [sum ? "The filter bank is w̃ = Σₜ (Aₜ ⊗ Bₜ ⊗ Cₜ)·w, a row per term; the sum starts at the identity (Aₜ = r^(−1/3)·(I + noise centred over the terms), Bₜ = Cₜ = r^(−1/3)·I)."
                        : "The filter bank is w̃ = (A ⊗ B ⊗ C)·w; all three start at the identity (\(layer.outputChannels) × \(layer.outputChannels), \(layer.inputChannels) × \(layer.inputChannels), \(layer.taps) × \(layer.taps))."],
                rows: (0..<layer.terms).map { t in
                    .init(label: sum ? "term \(t + 1)" : nil,
                          panels: factors.map { .init(label: $0.1, matrix: p[SymmetricConv2d.factorKey($0.0, term: t)], axes: $0.2) })
                },
                pixelsPerEntry: 16, valueLabel: "entry")))
        }
        if trainer.model is Conv2d || trainer.model is SymmetricConv2d || trainer.model is DenseSymmetricConv2d, trainer.testTasks.count > 0 {
            let fast = adapted(toTask: 0)
            let w = (trainer.model as? SymmetricConv2d)?.effectiveWeight(fast)
                ?? (trainer.model as? DenseSymmetricConv2d)?.effectiveWeight(fast) ?? fast["weight"]
            figures.append(("filters-adapted", .filterBank(
                title: "\(title): the filter bank adapted to held-out task 1",
                notes: ["After the inner loop on the task's support set; " + fieldNote + "."],
                rows: fieldRows(w), firstChannels: firstChannels(w), valueLabel: "filter tap")))
        }
        return figures
    }

    /// The initial weight beside the weights adapted to held-out tasks, on one scale.
    static func adaptedFigure(title: String, initial: Tensor, adapted: [Tensor], axes: HeatMapFigure.Axes, what: String) -> HeatMapFigure {
        let panels = [HeatMapFigure.Panel(label: "initial", matrix: initial, axes: axes)]
            + adapted.enumerated().map { .init(label: "adapted to held-out task \($0 + 1)", matrix: $1, axes: axes) }
        return HeatMapFigure(title: "\(title): the initial weight and the weights adapted to \(adapted.count) held-out tasks",
                             notes: ["Initial: \(what); adapted: after the inner loop on each task's support set."],
                             rows: HeatMapFigure.grid(panels, columns: 4), pixelsPerEntry: 4, valueLabel: "entry W[o, i]")
    }

    /// `n` in subscript digits (v₁, v₂, …).
    static func subscripted(_ n: Int) -> String {
        String(String(n).unicodeScalars.map { Character(Unicode.Scalar(0x2080 + $0.value - 0x30)!) })
    }
}

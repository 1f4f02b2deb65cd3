import NeuralNets
import Symmetry
import Tensors

/// Equivariance defects of every weight layer of any network, found through the `WeightLayer` /
/// `ReparameterisedLayer` protocols instead of type tests: a described `Sequential`, few-shot Conv4 and
/// MSR-Conv4, or a single layer. For each layer, the defect of its effective weight W (the meta-learned
/// initial one, and for MSR layers W = reshape(U·v) over random v) against the candidates its shape admits:
///
/// - W (O, I), a map between 1-D index sets: `translation` (distance from the nearest Toeplitz matrix) and
///   `reversal` (i ↦ I − 1 − i with o ↦ O − 1 − o);
/// - W (O, I, 3, 3), a bank of 3×3 filters: `rotation (taps)` and `mirror (taps)`, the 90° rotations and the
///   left–right mirror of each filter's taps with the channels left alone (a filter that is its own turned or
///   mirrored copy has defect 0).
///
/// Other shapes are listed with no candidates. Beside these fixed figures, `group` names the largest group the
/// layer respects (`GroupSearch`: over shifts, reversal, tap rotations and mirrors with channel permutations
/// in fields of every size), measured on the inner step's directions P·g of an MSR layer or on a plain
/// layer's weight.
public struct LayerInspection: Codable, Sendable, Equatable {
    public struct Measure: Codable, Sendable, Equatable {
        /// Mean defect over W = reshape(U·v) with random v (MSR layers whose filter parameters are v).
        public var randomV: Double?
        /// Defect of the meta-learned initial W.
        public var initial: Double
    }

    /// The layer's key prefix ("" for a network of one layer) and its type.
    public var prefix: String
    public var layer: String
    /// Shape of the effective weight W.
    public var weightShape: [Int]
    public var reparameterised: Bool
    public var measures: [String: Measure]
    /// What the group search measured (`GroupSearch.measure(of:)`) and what it found.
    public var groupMeasure: String
    public var group: GroupIdentification
    /// For MSR-Conv with one Kronecker product (U = A ⊗ B ⊗ C): the group its factors commute with
    /// (`KroneckerFactorSymmetry`). A sum of r > 1 products is measured by `group` alone.
    public var factors: KroneckerFactorSymmetry? = nil

    /// Every weight layer of `model` under `metaParameters`, in the network's order; `threshold` is the group
    /// search's acceptance bound on the defect.
    public static func inspect(_ model: any Layer, _ metaParameters: Parameters, samples: Int = 20,
                               threshold: Double = GroupSearch.defaultThreshold) throws -> [LayerInspection] {
        let frozen = metaParameters.detached()
        return try model.weightLayers().map { entry in
            let p = frozen.scoped(entry.prefix)
            let w = withoutGradients { entry.layer.effectiveWeight(p).detached() }
            var random: [Tensor]? = nil
            if let msr = entry.layer as? any ReparameterisedLayer, msr.filterParameterKeys.allSatisfy({ $0 == "filterParameters" }) {
                var g = SplitMix64(seed: 99)
                random = withoutGradients { msr.effectiveWeights(randomFilterParameters: samples, p, using: &g).map { $0.detached() } }
            }
            var measures: [String: Measure] = [:]
            for (name, defect) in candidates(for: w.shape) {
                let v = random.map { ws in ws.map(defect).reduce(0, +) / Double(max(ws.count, 1)) }
                measures[name] = Measure(randomV: v, initial: defect(w))
            }
            let search = try GroupSearch(layer: entry.layer, p, samples: samples, threshold: threshold)
            var factors: KroneckerFactorSymmetry?
            if let conv = entry.layer as? SymmetricConv2d, conv.terms == 1 {
                factors = try KroneckerFactorSymmetry(outputChannels: p[SymmetricConv2d.outputChannelsKey].scalars, channels: conv.outputChannels,
                                                  kernelTaps: p[SymmetricConv2d.kernelTapsKey].scalars,
                                                  taps: [conv.kernelSize.0, conv.kernelSize.1], threshold: threshold)
            }
            return LayerInspection(prefix: entry.prefix, layer: String(describing: type(of: entry.layer)), weightShape: w.shape,
                                   reparameterised: entry.layer is any ReparameterisedLayer, measures: measures,
                                   groupMeasure: GroupSearch.measure(of: entry.layer), group: search.identification, factors: factors)
        }
    }

    /// The candidate groups a weight of `shape` admits, each as its defect function.
    static func candidates(for shape: [Int]) -> [(String, (Tensor) -> Double)] {
        if shape.count == 2 { return SymmetryInspection.oneDimensionalCandidates(outputs: shape[0], inputs: shape[1]) }
        guard shape.count == 4, shape[2] == 3, shape[3] == 3 else { return [] }
        // Tap permutations of a 3×3 grid (index y·3 + x): a quarter turn (y, x) → (x, 2 − y) and the mirror x → 2 − x.
        let turn = (0..<9).map { t in (t % 3) * 3 + (2 - t / 3) }, mirror = (0..<9).map { t in (t / 3) * 3 + (2 - t % 3) }
        func power(_ p: [Int], _ k: Int) -> [Int] { (0..<k).reduce(Array(0..<9)) { q, _ in q.map { p[$0] } } }
        return [("rotation (taps)", { tapDefect($0, (0..<4).map { power(turn, $0) }) }),
                ("mirror (taps)", { tapDefect($0, [Array(0..<9), mirror]) })]
    }

    /// ‖W − W̄‖/‖W‖ for a bank W (…, 9) under a group of tap permutations (W̄: the average of W over the group);
    /// non-finite weights give a non-finite defect.
    static func tapDefect(_ w: Tensor, _ group: [[Int]]) -> Double {
        let x = w.scalars
        var residual = 0.0, norm = 0.0
        for f in stride(from: 0, to: x.count, by: 9) {
            for t in 0..<9 {
                let mean = group.reduce(0.0) { $0 + x[f + $1[t]] } / Double(group.count)
                residual += (x[f + t] - mean) * (x[f + t] - mean)
                norm += x[f + t] * x[f + t]
            }
        }
        return norm > 0 ? (residual / norm).squareRoot() : (norm.isFinite ? 0 : .nan)
    }
}

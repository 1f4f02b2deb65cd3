import NeuralNets
import Tensors

/// Snapping a learned symmetry matrix onto a group: U' = P_G·U, each column of U (read as a weight) replaced by
/// its group average (`OrbitPartition.projectColumns`), so that W = reshape(U'·v) is exactly G-equivariant for
/// every v and the inner step P'·g = U'·U'ᵀ·g stays in the equivariant weights. The filter parameters v are
/// kept, so the meta-learned initial weight becomes its own group average, W₀' = P_G·W₀.
///
/// With `orthonormalise`, U' is replaced by Q from U' = Q·R (Gram–Schmidt; columns that depend on earlier
/// ones become 0) and v by R·v, which keeps W₀' = Q·R·v and makes the inner step's preconditioner Q·Qᵀ the
/// projector onto U's equivariant span.
///
/// A dense U whose layer computes W = reshape(U·v) is snapped this way (`SymmetricLinear`, `DenseSymmetricConv2d`);
/// the Kronecker factors of `SymmetricConv2d` (U = A ⊗ B ⊗ C) are snapped factor by factor (`KroneckerFactorSymmetry`:
/// A and C averaged over the group's channel and tap permutations, so that U commutes with it); a plain layer has
/// nothing to snap and is refused with a `SymmetryError.cannotSnap`.
extension SymmetryMatrix {
    /// What one layer's snap did.
    public struct SnapReport: Codable, Sendable, Equatable {
        public var prefix: String
        public var layer: String
        /// The group's short name and its name with generators.
        public var group: String
        public var description: String
        /// The group's defect on the inner step's directions P·g for random g, before and after.
        public var defectBefore: Double
        public var defectAfter: Double
        /// ‖U' − U‖ / ‖U‖.
        public var change: Double
    }

    /// The snapped meta-parameters of `network`: every MSR layer (or those whose prefix is in `layers`) snapped
    /// onto the group `group` names for it (a short name as `GroupSearch` prints it, e.g. `translation`, `c4`,
    /// `d4`, or `named` for the group the search names), found by a search with `samples` and `threshold`.
    /// Other parameters are returned unchanged.
    public static func snap(network: any Layer, _ metaParameters: Parameters, group: String, layers: [String]? = nil,
                            orthonormalise: Bool = false, samples: Int = 50, threshold: Double = GroupSearch.defaultThreshold)
        throws -> (parameters: Parameters, reports: [SnapReport]) {
        let all = network.weightLayers()
        let chosen: [(prefix: String, layer: any WeightLayer)]
        if let layers {
            for prefix in layers where !all.contains(where: { $0.prefix == prefix }) {
                throw SymmetryError.cannotSnap(layer: prefix, why: "the network has no weight layer ‘\(prefix)’; its weight layers are \(all.map { $0.prefix.isEmpty ? "(model)" : $0.prefix }.joined(separator: ", "))")
            }
            chosen = all.filter { layers.contains($0.prefix) }
        } else {
            chosen = all.filter { $0.layer is any ReparameterisedLayer }
            if chosen.isEmpty { throw SymmetryError.cannotSnap(layer: "(model)", why: "the network has no MSR layer (a plain network has no symmetry matrix)") }
        }
        var p = metaParameters.detached()
        var reports: [SnapReport] = []
        for (prefix, layer) in chosen {
            let scoped = p.scoped(prefix)
            if let conv = layer as? SymmetricConv2d {
                let (changed, report) = try snapFactors(conv, scoped, group: group, threshold: threshold, prefix: prefix)
                for (key, value) in changed { p[Parameters.key(key, under: prefix)] = value }
                reports.append(report)
                continue
            }
            let search = try GroupSearch(layer: layer, scoped, samples: samples, threshold: threshold)
            let g = try search.group(named: group)
            let (changed, change) = try snap(layer, scoped, onto: g.partition, orthonormalise: orthonormalise, name: prefix)
            for (key, value) in changed { p[Parameters.key(key, under: prefix)] = value }
            let after = try GroupSearch.samples(layer, p.scoped(prefix), count: samples, seed: 0x6A).values
            reports.append(SnapReport(prefix: prefix, layer: String(describing: type(of: layer)), group: g.shortName, description: search.description(g),
                                      defectBefore: g.defect, defectAfter: after.map(g.partition.defect).reduce(0, +) / Double(after.count),
                                      change: change))
        }
        return (p, reports)
    }

    /// MSR-Conv's factors snapped onto `group` (`KroneckerFactorSymmetry`): A·Aᵀ and C·Cᵀ averaged over the group
    /// (each factor keeping its rotation), so that the inner step's preconditioner commutes with it exactly, and the
    /// filter bank w re-expressed so that the meta-learned initial bank (A ⊗ B ⊗ C)·w is unchanged; the defects are
    /// the Gram matrices' (the larger of A·Aᵀ's and C·Cᵀ's).
    static func snapFactors(_ layer: SymmetricConv2d, _ p: Parameters, group: String, threshold: Double, prefix: String)
        throws -> (parameters: [String: Tensor], report: SnapReport) {
        guard layer.terms == 1 else {
            throw SymmetryError.cannotSnap(layer: prefix.isEmpty ? "(model)" : prefix,
                                           why: "its U is a sum of \(layer.terms) Kronecker products; snap averages the factors of one (msr-conv with --kronecker-terms 1) or a dense U")
        }
        let (aKey, cKey) = (SymmetricConv2d.outputChannelsKey, SymmetricConv2d.kernelTapsKey)
        let a = p[aKey].detached(), c = p[cKey].detached()
        let (d, t) = (layer.outputChannels, layer.taps)
        let taps = [layer.kernelSize.0, layer.kernelSize.1]
        let found = try KroneckerFactorSymmetry(outputChannels: a.scalars, channels: d, kernelTaps: c.scalars, taps: taps, threshold: threshold)
        let generators: [KroneckerFactorSymmetry.Candidate]
        do { generators = try found.generators(of: group) } catch SymmetryError.cannotSnap(_, let why) {
            throw SymmetryError.cannotSnap(layer: prefix.isEmpty ? "(model)" : prefix, why: why)
        }
        let snapped = try KroneckerFactorSymmetry.snapped(outputChannels: a.scalars, channels: d, kernelTaps: c.scalars, taps: t,
                                                          generators: generators)
        let (a2, c2) = (snapped.a, snapped.c)
        // The filter bank w is re-expressed so that the initial effective bank (A ⊗ B ⊗ C)·w stays as meta-learned.
        let (ma, mc) = (snapped.bankA, snapped.bankC)
        let w = p["weight"].detached()
        let inputs = layer.inputChannels
        let ws = w.scalars
        var w2 = [Double](repeating: 0, count: ws.count)
        for i in 0..<d { for k in 0..<inputs { for l in 0..<t {
            var sum = 0.0
            for j in 0..<d where ma[i * d + j] != 0 { for n in 0..<t { sum += ma[i * d + j] * mc[l * t + n] * ws[(j * inputs + k) * t + n] } }
            w2[(i * inputs + k) * t + l] = sum
        } } }
        let after = try generators.map { g in
            max(try KroneckerFactorSymmetry.commutationDefect(KroneckerFactorSymmetry.gram(a2, size: d), size: d, permutation: g.channelPermutation),
                try KroneckerFactorSymmetry.commutationDefect(KroneckerFactorSymmetry.gram(c2, size: t), size: t, permutation: g.tapPermutation))
        }.max() ?? 0
        let change = relativeDistance(a2 + c2, a.scalars + c.scalars)
        let name = group == "named" ? (found.named ?? group) : group
        let report = SnapReport(prefix: prefix, layer: "SymmetricConv2d", group: name,
                                description: name + " on the factors: " + generators.map(\.name).joined(separator: ", "),
                                defectBefore: generators.map(\.defect).max() ?? 0, defectAfter: after, change: change)
        return ([aKey: Tensor(shape: a.shape, values: a2, dtype: a.dtype), cKey: Tensor(shape: c.shape, values: c2, dtype: c.dtype),
                 "weight": Tensor(shape: w.shape, values: w2, dtype: w.dtype)], report)
    }

    /// The snapped U (and v, when orthonormalised) of one layer, under the layer's own keys, and ‖U' − U‖/‖U‖.
    public static func snap(_ layer: any WeightLayer, _ p: Parameters, onto partition: OrbitPartition, orthonormalise: Bool,
                            name: String = "") throws -> (parameters: [String: Tensor], change: Double) {
        let label = name.isEmpty ? "(model)" : name
        guard let msr = layer as? any ReparameterisedLayer else {
            throw SymmetryError.cannotSnap(layer: label, why: "\(type(of: layer)) is a plain layer with no symmetry matrix to snap")
        }
        let w = withoutGradients { layer.effectiveWeight(p).detached() }
        guard msr.symmetryMatrixKeys.count == 1, msr.filterParameterKeys.count == 1 else {
            throw SymmetryError.cannotSnap(layer: label, why: "\(type(of: layer)) has factors \(msr.symmetryMatrixKeys.joined(separator: ", ")), not one dense U with W = reshape(U·v); snap needs msr-fc / msr-linear or msr-conv-full / msr-conv2d-full")
        }
        let (uKey, vKey) = (msr.symmetryMatrixKeys[0], msr.filterParameterKeys[0])
        let u = p[uKey].detached(), v = p[vKey].detached()
        // W = reshape(U·v) must hold for this layer, or projecting U's columns would not project W.
        let uv = withoutGradients { Tensor.matmul(u, v.reshaped([v.count, 1])) }
        guard u.rank == 2, u.shape == [w.count, v.count], partition.labels.count == w.count,
              relativeDistance(uv.scalars, w.scalars) < 1e-4 else {
            throw SymmetryError.cannotSnap(layer: label, why: "its weight \(w.shape) is not reshape(U·v) with U \(u.shape) and v \(v.shape)")
        }
        var snapped = partition.projectColumns(u)
        var result: [String: Tensor] = [:]
        if orthonormalise {
            let (q, r) = gramSchmidt(snapped)
            let rv = Tensor(shape: [v.count], values: (0..<v.count).map { i in (0..<v.count).reduce(0.0) { $0 + r[i * v.count + $1] * v.scalars[$1] } },
                            dtype: v.dtype)
            snapped = q
            result[vKey] = rv.reshaped(v.shape)
        }
        result[uKey] = snapped
        return (result, relativeDistance(snapped.scalars, u.scalars))
    }

    /// ‖a − b‖ / ‖b‖ (0 when both are 0).
    static func relativeDistance(_ a: [Double], _ b: [Double]) -> Double {
        var e = 0.0, n = 0.0
        for (x, y) in zip(a, b) { e += (x - y) * (x - y); n += y * y }
        return n > 0 ? (e / n).squareRoot() : (e > 0 ? .infinity : 0)
    }

    /// Modified Gram–Schmidt on the columns of A (R, K): Q (R, K) with orthonormal (or zero) columns and R (K, K)
    /// upper triangular, row-major, with A = Q·R. A column within 1e-10 of the span of the earlier ones (relative to
    /// the largest column) becomes 0, with its row of R 0 from the diagonal on.
    static func gramSchmidt(_ a: Tensor) -> (Tensor, [Double]) {
        let (rows, k) = (a.shape[0], a.shape[1])
        let x = a.scalars
        var columns = (0..<k).map { c in (0..<rows).map { x[$0 * k + c] } }
        let largest = columns.map { $0.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max() ?? 0
        var r = [Double](repeating: 0, count: k * k)
        var done: [[Double]?] = []
        for j in 0..<k {
            var col = columns[j]
            for (i, q) in done.enumerated() {
                guard let q else { continue }
                let d = zip(q, col).reduce(0) { $0 + $1.0 * $1.1 }
                r[i * k + j] = d
                for t in 0..<rows { col[t] -= d * q[t] }
            }
            let norm = col.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-10 * max(largest, 1e-300) {
                r[j * k + j] = norm
                col = col.map { $0 / norm }
                done.append(col)
            } else {
                col = [Double](repeating: 0, count: rows)
                done.append(nil)
            }
            columns[j] = col
        }
        var q = [Double](repeating: 0, count: rows * k)
        for c in 0..<k { for t in 0..<rows { q[t * k + c] = columns[c][t] } }
        return (Tensor(shape: [rows, k], values: q, dtype: a.dtype), r)
    }
}

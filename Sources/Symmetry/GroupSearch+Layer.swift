import NeuralNets
import Tensors

extension GroupSearch {
    /// The search for one weight layer of any network, measured on what the layer lets a task change:
    ///
    /// - an MSR layer (`ReparameterisedLayer`): the inner step's directions P·g for `samples` random g ~ N(0, I)
    ///   shaped as W (P = U·Uᵀ for W = reshape(U·v), A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ for the Kronecker factors). Every
    ///   adapted weight is W₀ + Σ P·gₜ, so these are the weights the learned symmetry matrix lets the inner
    ///   loop reach; they weight U's directions by their squared singular values, which a random v (each
    ///   direction alike) does not;
    /// - a plain layer (a MAML baseline, the control): its meta-learned weight W itself.
    ///
    /// Layers of more than 400,000 / `samples` entries use fewer samples (at least 4) to bound the time.
    public init(layer: any WeightLayer, _ parameters: Parameters, samples: Int = 50, threshold: Double = defaultThreshold,
                seed: UInt64 = 0x6A) throws {
        let measured = try Self.samples(layer, parameters, count: samples, seed: seed)
        try self.init(weightShape: measured.shape, layout: Self.layout(of: layer, rank: measured.shape.count), samples: measured.values,
                      threshold: threshold)
    }

    /// What `init(layer:)` measures, as words for a report.
    public static func measure(of layer: any WeightLayer) -> String {
        layer is any ReparameterisedLayer ? "inner-step directions P·g, random g" : "meta-learned weight W"
    }

    static func layout(of layer: any WeightLayer, rank: Int) -> WeightLayout {
        if layer is LocallyConnected1d { return .other }
        switch rank {
        case 2: return .matrix
        case 3, 4: return .filterBank
        default: return .other
        }
    }

    static func samples(_ layer: any WeightLayer, _ p: Parameters, count: Int, seed: UInt64) throws -> (shape: [Int], values: [[Double]]) {
        guard count >= 1 else { throw SymmetryError.invalidArgument("a group search needs at least 1 sample, got \(count)") }
        let frozen = p.detached()
        let w = withoutGradients { layer.effectiveWeight(frozen).detached() }
        guard layer is any ReparameterisedLayer else { return (w.shape, [w.scalars]) }
        var g = SplitMix64(seed: seed)
        let used = min(count, max(4, 400_000 / max(w.count, 1)))
        let values = (0..<used).map { _ in
            withoutGradients { layer.preconditioned(Tensor.randomNormal(w.shape, dtype: w.dtype, using: &g), frozen).scalars }
        }
        return (w.shape, values)
    }

    /// The figures for a report (`GroupIdentification`).
    public var identification: GroupIdentification {
        func entry(_ g: Group) -> GroupIdentification.Group {
            GroupIdentification.Group(name: g.shortName, description: description(g), generators: g.generators.map { candidates[$0].action.name },
                                      dimension: g.partition.count, order: g.order, fieldSize: fieldSize(g), defect: g.defect,
                                      accepted: g.defect <= threshold)
        }
        return GroupIdentification(threshold: threshold,
                                   candidates: candidates.map { .init(name: $0.action.name, defect: $0.defect, accepted: $0.defect <= threshold,
                                                                      alternatives: $0.alternatives) },
                                   groups: groups.map(entry), named: named.map { entry(groups[$0]) }, rejected: rejected.map { entry(groups[$0]) },
                                   summary: summary)
    }
}

/// What `GroupSearch` found, as a report holds it.
public struct GroupIdentification: Codable, Sendable, Equatable {
    public struct Candidate: Codable, Sendable, Equatable {
        public var name: String
        public var defect: Double
        public var accepted: Bool
        /// How many channel permutations were tried with its transform (1 for a 1-D map's moves).
        public var alternatives: Int
    }

    public struct Group: Codable, Sendable, Equatable {
        /// Short name (`translation`, `c4`, `d4`, …) and the name with its generators.
        public var name: String
        public var description: String
        public var generators: [String]
        /// The number of orbits: the dimension of the invariant weights.
        public var dimension: Int
        public var order: Int?
        public var fieldSize: Int?
        public var defect: Double
        public var accepted: Bool
    }

    public var threshold: Double
    public var candidates: [Candidate]
    public var groups: [Group]
    /// The largest accepted group, nil when none is.
    public var named: Group?
    /// The rejected group just above `named` (or, with nothing accepted, the closest group).
    public var rejected: Group?
    public var summary: String
}

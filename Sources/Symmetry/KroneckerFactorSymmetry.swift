import Foundation
import Tensors

/// Which symmetry the Kronecker factors of an MSR-Conv layer (`SymmetricConv2d`, U = A ⊗ B ⊗ C) respect, and
/// the factors made exact.
///
/// A symmetry g of a filter bank moves its taps (τ_g: a 90° rotation, a mirror, …) and permutes its output
/// channels (π_g, in fields). The inner step moves the bank by the preconditioner U·Uᵀ = A·Aᵀ ⊗ B·Bᵀ ⊗ C·Cᵀ
/// applied to the gradient, so it treats a task and its rotated copy alike when A·Aᵀ commutes with π_g and C·Cᵀ
/// with τ_g — what is measured here, factor by factor: the distance of each Gram matrix from the matrices
/// commuting with the generated group, ‖M − M̄‖/‖M‖ with M̄ = mean_k P^k·M·P^−k. (The factors themselves need
/// not commute: A = S·Q with any rotation Q gives the same step; measured on a reference-budget 2d_rot8 run,
/// A 0.47 but A·Aᵀ 0.07, C 0.21 but C·Cᵀ 0.01.)
/// For each tap transform the channel permutation of the same order that A commutes with best is found (the
/// field size is found, not guessed; the identity, which every A commutes with, is not a candidate), and the
/// group the accepted transforms generate is named: c4 (90° rotation), c2 (180°), flip (a mirror), d4 (both).
/// `snapped` replaces each factor's Gram matrix by its group average and keeps its rotation (polar
/// decomposition M = S·Q, S = (M·Mᵀ)^½, becomes S̄·Q with S̄ = (mean P·M·Mᵀ·Pᵀ)^½), so that the preconditioner
/// commutes with the group exactly while the factors move as little as their Gram matrices do.
public struct KroneckerFactorSymmetry: Codable, Sendable, Equatable {
    public struct Candidate: Codable, Sendable, Equatable {
        /// `90° rotation × channel shift 2 in fields of 8`.
        public var name: String
        public var transform: EntryAction.Transform
        public var fieldSize: Int
        /// The commutation defects of A·Aᵀ with the channel permutation and of C·Cᵀ with the tap transform.
        public var channelDefect: Double
        public var tapDefect: Double
        public var accepted: Bool
        /// Permutations of the output channels and of the taps (image of each index).
        public var channelPermutation: [Int]
        public var tapPermutation: [Int]

        public var defect: Double { max(channelDefect, tapDefect) }
    }

    public var threshold: Double
    /// The best channel permutation for each tap transform.
    public var candidates: [Candidate]
    /// `c4`, `c2`, `flip`, `d4`, or nil when no transform is accepted.
    public var named: String?
    public var summary: String

    /// Measures factors A (D × D, row-major) and C (T × T) of a layer whose taps form the grid `taps`.
    public init(outputChannels a: [Double], channels d: Int, kernelTaps c: [Double], taps: [Int], threshold: Double = 0.2) throws {
        self.threshold = threshold
        let t = taps.reduce(1, *)
        let (a, c) = (Self.gram(a, size: d), Self.gram(c, size: t))
        var found: [Candidate] = []
        for (transform, tapPerm) in EntryAction.tapTransforms(taps) where transform != .transpose {
            let tapDefect = try Self.commutationDefect(c, size: t, permutation: tapPerm)
            var best: Candidate?
            for move in EntryAction.channelPermutations(d) where move.order == transform.order {
                guard let perm = move.permutation(d) else { continue }
                let defect = try Self.commutationDefect(a, size: d, permutation: perm)
                if best == nil || defect < best!.channelDefect {
                    best = Candidate(name: transform.rawValue + " × " + move.name, transform: transform, fieldSize: move.fieldSize,
                                     channelDefect: defect, tapDefect: tapDefect, accepted: false,
                                     channelPermutation: perm, tapPermutation: tapPerm)
                }
            }
            if var best {
                best.accepted = best.defect <= threshold
                found.append(best)
            }
        }
        candidates = found
        let accepted = Set(found.filter(\.accepted).map(\.transform))
        let rotation = accepted.contains(.rotation90), mirror = accepted.contains(.mirror) || accepted.contains(.mirrorUpDown)
        named = rotation && mirror ? "d4" : rotation ? "c4" : mirror ? "flip" : accepted.contains(.rotation180) ? "c2" : nil
        summary = found.map { "\($0.name): A·Aᵀ \(Self.format($0.channelDefect)), C·Cᵀ \(Self.format($0.tapDefect)) \($0.accepted ? "✓" : "✗")" }
            .joined(separator: ", ") + " → " + (named ?? "no group")
    }

    /// The generators of `group` (`c4`, `c2`, `flip`, `d4`, or `named`) among the candidates.
    public func generators(of group: String) throws -> [Candidate] {
        let name = group == "named" ? (named ?? "") : group
        func pick(_ transforms: [EntryAction.Transform]) -> Candidate? {
            candidates.filter { transforms.contains($0.transform) }.min { $0.defect < $1.defect }
        }
        let chosen: [Candidate?]
        switch name {
        case "c4": chosen = [pick([.rotation90])]
        case "c2": chosen = [pick([.rotation180])]
        case "flip": chosen = [pick([.mirror, .mirrorUpDown])]
        case "d4": chosen = [pick([.rotation90]), pick([.mirror, .mirrorUpDown])]
        default:
            throw SymmetryError.cannotSnap(layer: "", why: group == "named" ? "the factors respect no group (\(summary))"
                                           : "MSR-Conv's factors can be snapped onto c4, c2, flip, d4 or named, not ‘\(group)’")
        }
        guard chosen.allSatisfy({ $0 != nil }) else {
            throw SymmetryError.cannotSnap(layer: "", why: "this layer's taps have no \(name) transform")
        }
        return chosen.map { $0! }
    }

    /// A snapped pair of factors and the corrections that keep the layer's initial bank.
    public struct Snapped: Sendable {
        /// A' and C': Gram matrices averaged over the group, each factor keeping its rotation (M' = S̄·Q for M = S·Q).
        public var a: [Double], c: [Double]
        /// M_A and M_C with A'·M_A = A and C'·M_C = C on the factors' ranges (M = Qᵀ·S̄⁻¹·S·Q): the filter bank
        /// w' = (M_A ⊗ I ⊗ M_C)·w keeps the meta-learned initial effective bank, (A' ⊗ B ⊗ C')·w' = (A ⊗ B ⊗ C)·w,
        /// so a snap changes the inner step's preconditioner only.
        public var bankA: [Double], bankC: [Double]
    }

    /// A and C snapped onto the group `generators` generate, with the bank corrections; each factor's Gram matrix
    /// and its group average are decomposed once.
    public static func snapped(outputChannels a: [Double], channels d: Int, kernelTaps c: [Double], taps t: Int,
                               generators: [Candidate]) throws -> Snapped {
        func snap(_ m: [Double], _ n: Int, _ permutations: [[Int]]) throws -> (factor: [Double], correction: [Double]) {
            let group = try PermutationGroup(name: "snap", degree: n, generators: permutations)
            let g = gram(m, size: n)
            let own = SymmetricEigen(g, size: n)
            let averaged = SymmetricEigen(EquivarianceDefect.groupAverage(g, input: group, output: group), size: n)
            let q = product(own.power(-0.5), m, n)   // Q = S⁻¹·M
            var qt = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { qt[i * n + j] = q[j * n + i] } }
            return (product(averaged.power(0.5), q, n), product(product(product(qt, averaged.power(-0.5), n), own.power(0.5), n), q, n))
        }
        let (a2, ma) = try snap(a, d, generators.map(\.channelPermutation))
        let (c2, mc) = try snap(c, t, generators.map(\.tapPermutation))
        return Snapped(a: a2, c: c2, bankA: ma, bankC: mc)
    }

    /// M·Mᵀ of an n × n matrix (`MatrixStructure.gram`).
    public static func gram(_ m: [Double], size n: Int) -> [Double] { MatrixStructure.gram(m, n: n) }

    static func product(_ x: [Double], _ y: [Double], _ n: Int) -> [Double] {
        var z = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { let a = x[i * n + k]; if a != 0 { for j in 0..<n { z[i * n + j] += a * y[k * n + j] } } } }
        return z
    }

    /// ‖M − M̄‖/‖M‖, M̄ the average of P^k·M·P^−k over the cyclic group of `permutation` (0 for M = 0): the
    /// equivariance defect of M as a map from the indices to themselves (`EquivarianceDefect`).
    public static func commutationDefect(_ m: [Double], size n: Int, permutation: [Int]) throws -> Double {
        let group = try PermutationGroup(name: "commutation", degree: n, generators: [permutation])
        return try EquivarianceDefect.defect(Tensor(shape: [n, n], values: m, dtype: .float64), input: group, output: group)
    }

    static func format(_ x: Double) -> String { String(format: "%.3g", x) }
}

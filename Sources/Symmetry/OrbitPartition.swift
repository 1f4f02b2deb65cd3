import Tensors

/// The orbits of a group acting on a weight's entries, and the projection onto the weights it leaves
/// invariant.
///
/// A group G acting on W's output indices by π₂ and input indices by π₁ moves entry (o, i) to
/// (π₂(g)(o), π₁(g)(i)). A weight is G-equivariant, π₂(g)·W = W·π₁(g), exactly when it is constant on the
/// orbits of that action, and the group average W̄ = (1/|G|) Σ_g π₂(g)⁻¹·W·π₁(g) replaces every entry by the
/// mean of its orbit (each orbit point is hit |G|/|orbit| times). So a partition of W's entries into orbits is
/// all the defect ‖W − W̄‖/‖W‖ and the snap U' = P_G·U need.
///
/// The orbits of the group *generated* by some moves are the connected components of the graph those moves
/// draw on the entries, found here by union–find without listing the group's elements. A move may be partial
/// (`EntryAction.image[e] < 0`: it carries entry e off the index set, as a shift of a finite line does); its
/// components are then those of the translation groupoid (for a shift by 1 of an O × I matrix, its diagonals:
/// the nearest Toeplitz matrix is the orbit average).
public struct OrbitPartition: Sendable, Equatable {
    /// The orbit of each entry (W's row-major index), numbered in order of first appearance.
    public let labels: [Int]
    /// The number of orbits: the dimension of the space of invariant weights.
    public let count: Int
    /// The size of each orbit.
    let sizes: [Int]

    /// The partition `labels` describes (any integers; renumbered in order of first appearance).
    public init(labels raw: [Int]) {
        var renumber: [Int: Int] = [:]
        var labels = [Int](repeating: 0, count: raw.count), sizes: [Int] = []
        for (e, l) in raw.enumerated() {
            if let k = renumber[l] { labels[e] = k; sizes[k] += 1 } else {
                renumber[l] = sizes.count
                labels[e] = sizes.count
                sizes.append(1)
            }
        }
        self.labels = labels
        self.sizes = sizes
        count = sizes.count
    }

    /// The orbits of the group (or groupoid, for partial moves) that `generators` generate on `entries`
    /// entries. Each generator's `image` has one target per entry, negative where the move is undefined.
    public init(entries: Int, generators: [EntryAction]) {
        var parent = Array(0..<entries)
        func root(_ x: Int) -> Int {
            var r = x
            while parent[r] != r { r = parent[r] }
            var y = x
            while parent[y] != r { (parent[y], y) = (r, parent[y]) }
            return r
        }
        for g in generators {
            precondition(g.image.count == entries, "OrbitPartition: \(g.name) moves \(g.image.count) entries, expected \(entries)")
            for (e, t) in g.image.enumerated() where t >= 0 {
                let (a, b) = (root(e), root(t))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        self.init(labels: (0..<entries).map(root))
    }

    /// The orbits of a permutation group's action on (output, input) pairs (`SymmetryMatrix.orbitLabels`).
    public init(input: PermutationGroup, output: PermutationGroup) throws {
        self.init(labels: try SymmetryMatrix.orbitLabels(input: input, output: output))
    }

    /// W̄: each entry replaced by the mean of its orbit, the orthogonal projection of x (one value per entry)
    /// onto the invariant weights.
    public func average(_ x: [Double]) -> [Double] {
        precondition(x.count == labels.count, "OrbitPartition.average: \(x.count) values for \(labels.count) entries")
        var sums = [Double](repeating: 0, count: count)
        for (e, l) in labels.enumerated() { sums[l] += x[e] }
        for k in 0..<count { sums[k] /= Double(sizes[k]) }
        return labels.map { sums[$0] }
    }

    /// ‖x − x̄‖ / ‖x‖ (0 for an invariant weight, 0 for x = 0, NaN for non-finite x).
    public func defect(_ x: [Double]) -> Double {
        let avg = average(x)
        var r = 0.0, n = 0.0
        for (a, b) in zip(x, avg) { r += (a - b) * (a - b); n += a * a }
        return n > 0 ? (r / n).squareRoot() : (n.isFinite ? 0 : .nan)
    }

    /// Whether every orbit of `self` lies inside one orbit of `other` (`other` is the partition of a group
    /// containing this one, or coarser).
    public func refines(_ other: OrbitPartition) -> Bool {
        guard labels.count == other.labels.count else { return false }
        var image = [Int](repeating: -1, count: count)
        for (l, m) in zip(labels, other.labels) {
            if image[l] < 0 { image[l] = m } else if image[l] != m { return false }
        }
        return true
    }

    /// P_G·U: every column of U (R, K), read as a weight with R = entries, replaced by its orbit average.
    /// W = reshape(U'·v) is then invariant for every v, and U' = U when U's columns already are.
    ///
    /// Shapes: U (R, K) → U' (R, K), same dtype.
    public func projectColumns(_ u: Tensor) -> Tensor {
        precondition(u.rank == 2 && u.shape[0] == labels.count, "projectColumns: U must be (\(labels.count), K), got \(u.shape)")
        let (rows, k) = (u.shape[0], u.shape[1])
        let x = u.scalars
        var sums = [Double](repeating: 0, count: count * k)
        for r in 0..<rows { for c in 0..<k { sums[labels[r] * k + c] += x[r * k + c] } }
        for o in 0..<count { for c in 0..<k { sums[o * k + c] /= Double(sizes[o]) } }
        var y = [Double](repeating: 0, count: rows * k)
        for r in 0..<rows { for c in 0..<k { y[r * k + c] = sums[labels[r] * k + c] } }
        return Tensor(shape: u.shape, values: y, dtype: u.dtype)
    }
}

/// The groups used in the paper's experiments, as permutation representations.
extension PermutationGroup {
    /// Cyclic shifts of 0..<n: i ↦ i + 1 mod n (the translations of a periodic 1-D signal).
    public static func cyclicShifts(_ n: Int) -> PermutationGroup {
        try! PermutationGroup(name: "translations(\(n))", degree: n, generators: n > 1 ? [(0..<n).map { ($0 + 1) % n }] : [])
    }

    /// The regular representation of the cyclic group C_n acting on n channel indices (a cyclic shift).
    public static func cyclicRegular(_ n: Int) -> PermutationGroup {
        PermutationGroup(name: "C\(n) regular", degree: n, elements: cyclicShifts(n).elements)
    }

    /// The regular representation of the dihedral group D_n (order 2n) on 2n channel indices: channel
    /// f·n + r is the element (flip f, rotation r); rotation by one step maps (0, r) ↦ (0, r + 1) and
    /// (1, r) ↦ (1, r − 1); the flip swaps (0, r) ↔ (1, r).
    public static func dihedralRegular(_ n: Int) -> PermutationGroup {
        let rotation = (0..<(2 * n)).map { i in i < n ? (i + 1) % n : n + (i - n + n - 1) % n }
        let flip = (0..<(2 * n)).map { i in i < n ? i + n : i - n }
        return try! PermutationGroup(name: "D\(n) regular", degree: 2 * n, generators: [rotation, flip])
    }

    /// Pixel index of (row y, column x) on an n×n grid: y·n + x.
    static func rotateGrid90(_ n: Int) -> [Int] {
        // Rotation by 90° counter-clockwise about the centre: (y, x) ↦ (n − 1 − x, y).
        var p = [Int](repeating: 0, count: n * n)
        for y in 0..<n { for x in 0..<n { p[y * n + x] = (n - 1 - x) * n + y } }
        return p
    }

    static func flipGrid(_ n: Int) -> [Int] {
        // Mirror left–right: (y, x) ↦ (y, n − 1 − x).
        var p = [Int](repeating: 0, count: n * n)
        for y in 0..<n { for x in 0..<n { p[y * n + x] = y * n + (n - 1 - x) } }
        return p
    }

    /// C4: the four rotations by multiples of 90° acting on the pixels of an n×n grid (exact on the grid).
    public static func rotations90(grid n: Int) -> PermutationGroup {
        try! PermutationGroup(name: "c4", degree: n * n, generators: [rotateGrid90(n)])
    }

    /// D4: rotations by 90° and mirror images, acting on the pixels of an n×n grid (order 8).
    public static func dihedral4(grid n: Int) -> PermutationGroup {
        try! PermutationGroup(name: "d4", degree: n * n, generators: [rotateGrid90(n), flipGrid(n)])
    }

    /// The left–right mirror of an n×n grid (order 2).
    public static func flip(grid n: Int) -> PermutationGroup {
        try! PermutationGroup(name: "flip", degree: n * n, generators: [flipGrid(n)])
    }

    /// Reversal of 0..<n (i ↦ n − 1 − i): the mirror of a 1-D signal.
    public static func reversal(_ n: Int) -> PermutationGroup {
        try! PermutationGroup(name: "reversal(\(n))", degree: n, generators: [(0..<n).map { n - 1 - $0 }])
    }

    /// The group acting on a product index set (i, j) ↦ i·other.degree + j through pairs of elements, when
    /// `pairing` gives, for each element of `self`, the element of `other` it acts with (a diagonal action,
    /// e.g. a rotation of the pixels together with the matching cyclic shift of the channels). With
    /// `pairing` nil, the full direct product (every pair).
    public func product(_ other: PermutationGroup, pairing: [Int]? = nil, name: String? = nil) throws -> PermutationGroup {
        let n = degree, m = other.degree
        func combine(_ a: [Int], _ b: [Int]) -> [Int] {
            var p = [Int](repeating: 0, count: n * m)
            for i in 0..<n { for j in 0..<m { p[i * m + j] = a[i] * m + b[j] } }
            return p
        }
        var elements: [[Int]] = []
        if let pairing {
            guard pairing.count == order, pairing.allSatisfy({ $0 >= 0 && $0 < other.order }) else {
                throw SymmetryError.mismatchedGroups("a pairing needs one element of \(other.name) for each of the \(order) elements of \(self.name)")
            }
            elements = zip(self.elements, pairing).map { combine($0, other.elements[$1]) }
        } else {
            for a in self.elements { for b in other.elements { elements.append(combine(a, b)) } }
        }
        let group = PermutationGroup(name: name ?? "\(self.name)×\(other.name)", degree: n * m, elements: elements)
        // A pairing must be a homomorphism: check closure.
        let set = Set(elements)
        for a in elements.prefix(16) { for b in elements.prefix(16) where !set.contains(b.indices.map { a[b[$0]] }) {
            throw SymmetryError.mismatchedGroups("the pairing is not a group homomorphism (products fall outside)")
        } }
        return group
    }
}

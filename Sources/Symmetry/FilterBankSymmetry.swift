import Tensors

/// Group actions on a bank of 3×3 filters (D output channels × 9 taps, one input channel) made of fields
/// of rotated copies, as the rotation-equivariant task families define them: field f holds channels
/// f·n ..< (f + 1)·n; with n = 8 (C8), channel g is the base filter rotated by g·45°; with n = 16 (D8),
/// channels 8 + g are the rotations of the mirrored base filter.
///
/// A candidate group acts on the index pairs (channel, tap) — a rotation of the taps together with the
/// channel permutation it induces — so an equivariant filter bank is one whose channels are exactly the
/// rotated (and mirrored) copies of each field's base filter.
public enum FilterBankSymmetry {
    /// The candidate groups for a bank of `channels` 3×3 filters in fields of `fieldSize` (8 or 16):
    /// `c4` (90° tap rotations with channel shifts by 2, exact on the grid), `c8-ring` (a one-step shift of
    /// the 8 outer taps with channel shifts by 1: the grid's nearest thing to a 45° rotation), and for
    /// D8 fields `flip` (left–right mirror of the taps with the reflected channel order).
    public static func candidates(channels: Int, fieldSize: Int) throws -> [(name: String, action: PermutationGroup)] {
        guard fieldSize == 8 || fieldSize == 16, channels % fieldSize == 0 else {
            throw SymmetryError.invalidArgument("filter banks need fields of 8 (C8) or 16 (D8) channels; got \(channels) channels, fields of \(fieldSize)")
        }
        let fields = channels / fieldSize
        // Channel index of (field, flipped, rotation g).
        func channel(_ f: Int, _ flipped: Int, _ g: Int) -> Int { f * fieldSize + flipped * 8 + ((g % 8) + 8) % 8 }
        func channelPermutation(rotate steps: Int, flip: Bool) -> [Int] {
            var p = [Int](repeating: 0, count: channels)
            for f in 0..<fields {
                for s in 0..<(fieldSize / 8) {
                    for g in 0..<8 {
                        // Rotating R_g(M^s f) by `steps` gives R_{g+steps}(M^s f); mirroring it gives
                        // M R_g M^s f = R_{−g} M^{s+1} f.
                        p[channel(f, s, g)] = flip ? channel(f, 1 - s, -g) : channel(f, s, g + steps)
                    }
                }
            }
            return p
        }
        // Taps of a 3×3 kernel, index y·3 + x; the ring in counter-clockwise order from (1, 2).
        let rotate90 = PermutationGroup.rotateGrid90(3), mirror = PermutationGroup.flipGrid(3)
        let ring = [5, 2, 1, 0, 3, 6, 7, 8]          // (1,2), (0,2), (0,1), (0,0), (1,0), (2,0), (2,1), (2,2)
        var ringShift = Array(0..<9)
        for (k, t) in ring.enumerated() { ringShift[t] = ring[(k + 1) % 8] }
        func combined(_ channelPermutation: [Int], _ taps: [Int]) -> [Int] {
            var p = [Int](repeating: 0, count: channels * 9)
            for c in 0..<channels { for t in 0..<9 { p[c * 9 + t] = channelPermutation[c] * 9 + taps[t] } }
            return p
        }
        var result: [(String, PermutationGroup)] = [
            ("c4", try PermutationGroup(name: "c4", degree: channels * 9, generators: [combined(channelPermutation(rotate: 2, flip: false), rotate90)])),
            ("c8-ring", try PermutationGroup(name: "c8-ring", degree: channels * 9, generators: [combined(channelPermutation(rotate: 1, flip: false), ringShift)])),
        ]
        if fieldSize == 16 {
            result.append(("flip", try PermutationGroup(name: "flip", degree: channels * 9, generators: [combined(channelPermutation(rotate: 0, flip: true), mirror)])))
        }
        return result
    }

    /// The defect ‖w − w̄‖/‖w‖ of a filter bank (D, 1, 3, 3) under one candidate action.
    public static func defect(_ bank: Tensor, _ action: PermutationGroup) throws -> Double {
        let trivial = PermutationGroup.trivial(order: action.order)
        return try EquivarianceDefect.defect(bank.reshaped([bank.count, 1]), input: trivial, output: action)
    }
}

extension PermutationGroup {
    /// `order` copies of the identity of a one-element index set: the trivial action, to pair with a
    /// group acting on the other side of a map.
    public static func trivial(order: Int) -> PermutationGroup {
        PermutationGroup(name: "trivial", degree: 1, elements: [[Int]](repeating: [0], count: order))
    }
}

extension FilterBankSymmetry {
    /// How close each field of a bank of 3×3 filters is to transformed copies of one filter: for every
    /// channel, the relative error ‖w_c − T(w_ref)‖/‖w_c‖ after the best of the eight exact grid transforms T
    /// (rotations by 90° and mirror images) of the field's reference channel with the same parity of
    /// eighth-turns (channel 0 for even, channel 1 for odd: a 45° rotation is not exact on a 3×3 grid),
    /// averaged over all channels but the references. 0 when the fields are exact rotated copies.
    public static func rotatedCopiesError(_ bank: Tensor, fieldSize: Int) -> Double {
        let channels = bank.count / 9
        precondition(bank.count == channels * 9 && channels % fieldSize == 0,
                     "rotatedCopiesError: expected (D, 1, 3, 3) with D a multiple of \(fieldSize), got \(bank.shape)")
        let w = bank.scalars
        let r90 = PermutationGroup.rotateGrid90(3), mirror = PermutationGroup.flipGrid(3)
        var transforms: [[Int]] = [Array(0..<9)]
        for _ in 0..<3 { transforms.append(transforms.last!.indices.map { r90[transforms.last![$0]] }) }
        transforms += transforms.map { t in t.indices.map { mirror[t[$0]] } }
        var total = 0.0, counted = 0
        for f in 0..<(channels / fieldSize) {
            for k in 2..<fieldSize {
                let c = f * fieldSize + k, ref = f * fieldSize + (k % 2)
                let target = Array(w[(c * 9)..<(c * 9 + 9)]), source = Array(w[(ref * 9)..<(ref * 9 + 9)])
                let norm = target.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0 else { continue }
                var best = Double.infinity
                for t in transforms {
                    // T moves the value at tap i to tap t[i].
                    var e = 0.0
                    for i in 0..<9 { let d = target[t[i]] - source[i]; e += d * d }
                    best = min(best, e.squareRoot() / norm)
                }
                total += best
                counted += 1
            }
        }
        return counted > 0 ? total / Double(counted) : 0
    }
}

/// Spectra and block structure of symmetric matrices (the learned factors' Gram matrices A·Aᵀ, C·Cᵀ).
public enum MatrixStructure {
    /// Eigenvalues of a symmetric n×n matrix (row-major), largest first, by cyclic Jacobi rotations.
    public static func symmetricEigenvalues(_ m: [Double], n: Int) -> [Double] {
        var a = m
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += a[p * n + q] * a[p * n + q] } }
            if off < 1e-22 { break }
            for p in 0..<n {
                for q in (p + 1)..<n where abs(a[p * n + q]) > 1e-300 {
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                }
            }
        }
        return (0..<n).map { a[$0 * n + $0] }.sorted(by: >)
    }

    /// X·Xᵀ for a row-major n×n matrix.
    public static func gram(_ x: [Double], n: Int) -> [Double] {
        var g = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { var s = 0.0; for k in 0..<n { s += x[i * n + k] * x[j * n + k] }; g[i * n + j] = s } }
        return g
    }

    /// The share of a square matrix's off-diagonal energy (squared entries) inside the diagonal blocks of
    /// size `block` (the fields): 1 when it only couples channels of the same field. An unstructured matrix
    /// gives about (block − 1)/(n − 1).
    public static func withinBlockShare(_ m: [Double], n: Int, block: Int) -> Double {
        var inside = 0.0, total = 0.0
        for i in 0..<n { for j in 0..<n where i != j {
            let e = m[i * n + j] * m[i * n + j]
            total += e
            if i / block == j / block { inside += e }
        } }
        return total > 0 ? inside / total : 1
    }

    /// How circulant the diagonal blocks are: the relative distance of each block from its average along
    /// cyclic diagonals (entries (i, j) with the same j − i mod block), as the regular representation of a
    /// cyclic group makes an equivariant coupling. 0 = every block is circulant.
    public static func blockCirculantDefect(_ m: [Double], n: Int, block: Int) -> Double {
        var residual = 0.0, norm = 0.0
        for b in 0..<(n / block) {
            var sums = [Double](repeating: 0, count: block)
            for i in 0..<block { for j in 0..<block { sums[(j - i + block) % block] += m[(b * block + i) * n + b * block + j] } }
            for i in 0..<block { for j in 0..<block {
                let x = m[(b * block + i) * n + b * block + j]
                let r = x - sums[(j - i + block) % block] / Double(block)
                residual += r * r
                norm += x * x
            } }
        }
        return norm > 0 ? (residual / norm).squareRoot() : 0
    }
}

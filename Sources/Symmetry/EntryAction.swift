/// One candidate generator of a symmetry of a weight W: a move of W's entries (row-major index), with what it
/// does in words. `GroupSearch` looks for the largest group such moves generate that W respects.
///
/// Two layouts of W have candidates:
///
/// - a map between 1-D index sets, W (O, I): the shift (o, i) ↦ (o + s, i + s) (partial: entries it moves
///   off the matrix have no image; shift 1 generates W's diagonals, the convolutions) and the reversal
///   (o, i) ↦ (O − 1 − o, I − 1 − i);
/// - a filter bank, W (D, C, taps…) with taps a k (1-D) or kh × kw grid (2-D): a transform of the taps
///   (a 90° or 180° rotation, a mirror image, the transpose of a square grid; the reversal of 1-D taps)
///   together with a permutation of the output channels (and, where C is a multiple of its field size, the
///   same permutation of the input channels). Channels are permuted in *fields*, consecutive blocks of any
///   size n dividing D: a cyclic shift c ↦ c + s, a reflection c ↦ r − c (mod n), or for even n the reflection
///   that swaps the field's halves, (h, g) ↦ (1 − h, r − g mod n/2) (the regular representation of a
///   dihedral group: rotations in each half, the mirror between them). A channel permutation is paired only
///   with a tap transform whose order it divides, so the pair generates a copy of the tap group; a channel
///   shift with the taps left alone is a candidate of its own (filters repeated along a field).
public struct EntryAction: Sendable, Equatable {
    /// What the move does, e.g. `translation by 1`, `90° rotation × channel shift 2 in fields of 8`.
    public var name: String
    /// image[e]: the entry that entry e moves to, negative where the move carries e off the index set.
    public var image: [Int]
    /// The transform of the taps (or the 1-D map's move) this is built on: what names the group.
    public var transform: Transform
    /// The field size of the channel permutation (nil when the channels are left alone or W is a 1-D map).
    public var fieldSize: Int?

    /// The transform a candidate is built on. Candidates on the same transform are alternatives (the same tap
    /// move with different channel permutations); `GroupSearch` keeps the one W respects best.
    public enum Transform: String, Sendable, Codable, CaseIterable {
        case translation1 = "translation by 1", translation2 = "translation by 2", reversal
        case rotation90 = "90° rotation", rotation180 = "180° rotation", mirror = "mirror (left–right)"
        case mirrorUpDown = "mirror (up–down)", transpose, tapReversal = "tap reversal", channels = "taps fixed"

        /// The order of the tap transform (1 for translations, which are not permutations of a finite set).
        var order: Int {
            switch self {
            case .rotation90: return 4
            case .translation1, .translation2, .channels: return 1
            default: return 2
            }
        }
        var isReflection: Bool { [.reversal, .mirror, .mirrorUpDown, .transpose, .tapReversal].contains(self) }
    }
}

/// How a weight's axes are laid out, which decides its candidate generators.
public enum WeightLayout: Sendable, Equatable {
    /// W (O, I): a map between two 1-D index sets (a fully connected layer on signals).
    case matrix
    /// W (D, C, taps…): a bank of D × C filters over a 1-D or 2-D grid of taps (a convolution).
    case filterBank
    /// No candidates (e.g. a locally connected layer's (D, C, P, k), whose positions are not taps).
    case other
}

extension EntryAction {
    /// The candidates for a weight of `shape` laid out as `layout`, grouped by transform: each inner array holds
    /// the alternatives built on one transform (one for a 1-D map's moves; one per admissible channel
    /// permutation for a filter bank's). Empty when the layout has none.
    public static func candidates(weightShape shape: [Int], layout: WeightLayout) -> [[EntryAction]] {
        switch layout {
        case .matrix where shape.count == 2: return matrixCandidates(outputs: shape[0], inputs: shape[1]).map { [$0] }
        case .filterBank where shape.count == 3 || shape.count == 4: return filterBankCandidates(shape)
        default: return []
        }
    }

    static func matrixCandidates(outputs o: Int, inputs i: Int) -> [EntryAction] {
        func shift(_ s: Int, _ t: Transform) -> EntryAction {
            let image = (0..<(o * i)).map { e -> Int in
                let (a, b) = (e / i + s, e % i + s)
                return a < o && b < i ? a * i + b : -1
            }
            return EntryAction(name: t.rawValue, image: image, transform: t, fieldSize: nil)
        }
        var result = [shift(1, .translation1)]
        if o > 2 && i > 2 { result.append(shift(2, .translation2)) }
        let reversal = (0..<(o * i)).map { e in (o - 1 - e / i) * i + (i - 1 - e % i) }
        result.append(EntryAction(name: Transform.reversal.rawValue, image: reversal, transform: .reversal, fieldSize: nil))
        return result
    }

    /// A permutation of channels in fields of `fieldSize`, described in words.
    struct ChannelPermutation {
        var name: String
        var fieldSize: Int
        var order: Int
        /// s for a cyclic shift c ↦ c + s, nil for a reflection.
        var shift: Int? = nil
        /// The permutation of 0..<channels for a layer with that many channels (a multiple of the field size).
        var apply: @Sendable (_ channel: Int, _ fieldSize: Int) -> Int

        func permutation(_ channels: Int) -> [Int]? {
            guard channels % fieldSize == 0 else { return nil }
            return (0..<channels).map { c in (c / fieldSize) * fieldSize + apply(c % fieldSize, fieldSize) }
        }
    }

    /// Every channel permutation of D channels in fields: cyclic shifts, reflections and half-swapping
    /// reflections, with no two alike (the identity left out).
    static func channelPermutations(_ channels: Int) -> [ChannelPermutation] {
        var result: [ChannelPermutation] = []
        var seen: Set<[Int]> = [Array(0..<channels)]
        func add(_ p: ChannelPermutation) {
            guard let perm = p.permutation(channels), seen.insert(perm).inserted else { return }
            result.append(p)
        }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        for n in 2...max(channels, 2) where channels % n == 0 {
            for s in 1..<n {
                add(ChannelPermutation(name: "channel shift \(s) in fields of \(n)", fieldSize: n, order: n / gcd(n, s), shift: s,
                                       apply: { c, n in (c + s) % n }))
            }
            for r in 0..<n {
                add(ChannelPermutation(name: "channel reflection c ↦ \(r) − c in fields of \(n)", fieldSize: n, order: 2,
                                       apply: { c, n in ((r - c) % n + n) % n }))
            }
            if n % 2 == 0 {
                let m = n / 2
                for r in 0..<m {
                    add(ChannelPermutation(name: "channel reflection (h, g) ↦ (1 − h, \(r) − g) in fields of \(n)", fieldSize: n, order: 2,
                                           apply: { c, n in (1 - c / (n / 2)) * (n / 2) + ((r - c % (n / 2)) % (n / 2) + n / 2) % (n / 2) }))
                }
            }
        }
        return result
    }

    /// The tap permutations of a grid (index y·kw + x, or t for 1-D taps) with their transforms.
    static func tapTransforms(_ taps: [Int]) -> [(Transform, [Int])] {
        guard taps.count == 1 || taps.count == 2 else { return [] }
        if taps.count == 1 {
            let k = taps[0]
            return k > 1 ? [(.tapReversal, (0..<k).map { k - 1 - $0 })] : []
        }
        let (h, w) = (taps[0], taps[1])
        func map(_ f: (Int, Int) -> (Int, Int)) -> [Int] {
            (0..<(h * w)).map { t in let (y, x) = f(t / w, t % w); return y * w + x }
        }
        var result: [(Transform, [Int])] = []
        if h == w && h > 1 {
            // Counter-clockwise quarter turn about the centre: (y, x) ↦ (n − 1 − x, y), as `rotateGrid90`.
            result.append((.rotation90, map { y, x in (h - 1 - x, y) }))
        }
        if h * w > 1 { result.append((.rotation180, map { y, x in (h - 1 - y, w - 1 - x) })) }
        if w > 1 { result.append((.mirror, map { y, x in (y, w - 1 - x) })) }
        if h > 1 { result.append((.mirrorUpDown, map { y, x in (h - 1 - y, x) })) }
        if h == w && h > 1 { result.append((.transpose, map { y, x in (x, y) })) }
        return result
    }

    static func filterBankCandidates(_ shape: [Int]) -> [[EntryAction]] {
        let (d, c) = (shape[0], shape[1]), taps = Array(shape.dropFirst(2))
        let t = taps.reduce(1, *)
        let identity = Array(0..<t)
        let channelMoves = channelPermutations(d)
        func product(_ name: String, _ transform: Transform, _ tapPerm: [Int], _ out: [Int], _ inp: [Int], _ field: Int?) -> EntryAction {
            var image = [Int](repeating: 0, count: d * c * t)
            for o in 0..<d { for i in 0..<c { for k in 0..<t { image[(o * c + i) * t + k] = (out[o] * c + inp[i]) * t + tapPerm[k] } } }
            return EntryAction(name: name, image: image, transform: transform, fieldSize: field)
        }
        let (dIdentity, cIdentity) = (Array(0..<d), Array(0..<c))
        /// The move with each admissible channel permutation, on the output channels alone and, where it fits,
        /// on the input channels too.
        func alternatives(_ transform: Transform, _ tapPerm: [Int], channelsFixed: Bool) -> [EntryAction] {
            var result: [EntryAction] = []
            if channelsFixed { result.append(product(transform.rawValue + " (channels fixed)", transform, tapPerm, dIdentity, cIdentity, nil)) }
            for move in channelMoves {
                if transform == .channels {
                    // Channel-only moves: shifts whose step divides the field, one generator per cyclic subgroup.
                    guard let s = move.shift, move.fieldSize % s == 0 else { continue }
                } else if transform.order % move.order != 0 {
                    continue
                }
                let out = move.permutation(d)!
                let prefix = transform == .channels ? "" : transform.rawValue + " × "
                result.append(product(prefix + move.name, transform, tapPerm, out, cIdentity, move.fieldSize))
                if c > 1, let inp = move.permutation(c) {
                    result.append(product(prefix + move.name + " (input channels too)", transform, tapPerm, out, inp, move.fieldSize))
                }
            }
            return result
        }
        var result = tapTransforms(taps).map { alternatives($0.0, $0.1, channelsFixed: true) }
        let channelOnly = alternatives(.channels, identity, channelsFixed: false)
        if !channelOnly.isEmpty { result.append(channelOnly) }
        return result.filter { !$0.isEmpty }
    }
}

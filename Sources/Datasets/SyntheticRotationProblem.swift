/// The 2-D synthetic problems of the paper (section 5.1, "rotation and flip equivariance"): every task is
/// a convolution (1 input channel, 3 output fields) that is equivariant to a group G acting on the plane
/// and on the output channels.
///
/// - `rot8` (`2d_rot8`): G = C8, the rotations by multiples of 45°. Each field has |G| = 8 channels.
/// - `rot8Flip` (`2d_rot8_flip`): G = D8, the 8 rotations and the 8 reflections. Each field has 16 channels.
///
/// Group elements and channels. An element g = (m, r), m ∈ {0, 1}, r ∈ 0..<8, is the map of the plane
///
///     g · p = R(45°·r) · M^m · p
///
/// with R(α) the counter-clockwise rotation by α and M the mirror (u, v) ↦ (−u, v) (a left–right flip of
/// the image), in coordinates u = column − centre (rightwards) and v = centre − row (upwards). C8 has the
/// elements with m = 0. The channel of element (m, r) within a field is `m · 8 + r`: first the 8 rotations
/// of the field's base filter, then (D8 only) the same 8 rotations of its mirror image. Channel `c` of the
/// whole output is field `c / |G|`, element `c % |G|`.
///
/// The raw values are the problem names of the reference code and of `msr generate --problem`.
public enum SyntheticRotationProblem: String, CaseIterable, Sendable, CustomStringConvertible {
    case rot8 = "2d_rot8"
    case rot8Flip = "2d_rot8_flip"

    /// Number of rotations in G (both groups contain the rotations by multiples of 360°/8).
    public static let rotationCount = 8
    /// Number of output fields of every task.
    public static let fieldCount = 3

    /// Whether G contains the reflections (D8) or not (C8).
    public var hasReflections: Bool { self == .rot8Flip }

    /// |G|: the channels of one field (8 for C8, 16 for D8).
    public var groupOrder: Int { hasReflections ? 2 * Self.rotationCount : Self.rotationCount }

    /// C_out = 3 · |G|: output channels of a task (24 or 48).
    public var outputChannels: Int { Self.fieldCount * groupOrder }

    /// The reference's number of tasks: 10,000 for `2d_rot8`, 2,000 for `2d_rot8_flip` (the first 80% for
    /// meta-training).
    public var defaultTaskCount: Int { hasReflections ? 2_000 : 10_000 }

    /// The group's name: "C8" or "D8".
    public var groupName: String { hasReflections ? "D8" : "C8" }

    public var description: String { rawValue }

    // MARK: - The group action on channels

    /// The element (m, r) of channel `index` of a field (`index` in 0..<|G|).
    public func element(ofChannel index: Int) -> (mirrored: Bool, eighthTurns: Int) {
        precondition(0 <= index && index < groupOrder, "element(ofChannel:): \(index) is outside 0..<\(groupOrder)")
        return (index >= Self.rotationCount, index % Self.rotationCount)
    }

    /// The channel of element (m, r) within a field.
    public func channel(mirrored: Bool, eighthTurns: Int) -> Int {
        precondition(!mirrored || hasReflections, "channel(mirrored:eighthTurns:): \(groupName) has no reflections")
        let r = ((eighthTurns % Self.rotationCount) + Self.rotationCount) % Self.rotationCount
        return (mirrored ? Self.rotationCount : 0) + r
    }

    /// How the output channels move when the input is transformed by h = R(45°·eighthTurns) · M^mirrored.
    ///
    /// A task f is equivariant: f(h · x)[c] = h · f(x)[π[c]] for every output channel c (0..<C_out), where
    /// h · y is the map y transformed as an image, (h · y)(p) = y(h⁻¹ p), and π is the permutation returned.
    /// Within each field, channel g ∈ G takes the map of channel h⁻¹ g (the regular representation), so for
    /// a rotation by 45°·s the channels of every field shift cyclically by s: π[(f, m, r)] = (f, m, r − s),
    /// for the rotated and (D8) the mirrored copies alike (channel (1, r) is the mirror image of the base
    /// filter, rotated by 45°·r). For the flip M alone, π[(f, m, r)] = (f, 1 − m, −r); here (f, m, r) is
    /// channel f · |G| + m · 8 + r and r is taken modulo 8.
    ///
    /// - Parameters:
    ///   - eighthTurns: the rotation, in multiples of 45° counter-clockwise (any integer).
    ///   - mirrored: whether the mirror M is applied (before the rotation); D8 only.
    /// - Returns: π, of length C_out.
    public func channelPermutation(eighthTurns: Int, mirrored: Bool = false) -> [Int] {
        precondition(!mirrored || hasReflections, "channelPermutation: \(groupName) has no reflections")
        let n = Self.rotationCount
        let hr = ((eighthTurns % n) + n) % n
        // h⁻¹ = (m, −r) for a rotation, (1, r) for a reflection (an involution); then
        // (a, s) · (m, r) = (a ⊕ m, s + (−1)^a · r).
        var within = [Int](repeating: 0, count: groupOrder)
        for index in 0..<groupOrder {
            let (m, r) = element(ofChannel: index)
            let (ia, ir) = mirrored ? (true, hr) : (false, (n - hr) % n)
            let source = channel(mirrored: ia != m, eighthTurns: ir + (ia ? -r : r))
            within[index] = source
        }
        return (0..<outputChannels).map { c in (c / groupOrder) * groupOrder + within[c % groupOrder] }
    }

    /// `channelPermutation(eighthTurns: 2 · quarterTurns, mirrored:)`: the transforms that map the pixel grid
    /// onto itself, under which a task is exactly equivariant.
    public func channelPermutation(quarterTurns: Int, mirrored: Bool = false) -> [Int] {
        channelPermutation(eighthTurns: 2 * quarterTurns, mirrored: mirrored)
    }
}

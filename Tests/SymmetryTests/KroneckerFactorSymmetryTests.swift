import NeuralNets
import Symmetry
import Tensors
import TestSupport
import XCTest

/// MSR-Conv's factors: Gram matrices A·Aᵀ commuting with a channel shift in fields and C·Cᵀ with the 3×3 taps'
/// quarter turn are named c4 (with the field size found), random factors name nothing, and the snap makes the
/// Gram matrices commute exactly while keeping each factor's rotation.
final class KroneckerFactorSymmetryTests: XCTestCase {
    /// A random n × n matrix averaged over the cyclic group of `permutation` (so it commutes with it), plus `noise`.
    func commuting(_ n: Int, with permutation: [Int], noise: Double, seed: UInt64) -> [Double] {
        var g = SplitMix64(seed: seed)
        var powers = [Array(0..<n)]
        while true { let next = powers.last!.map { permutation[$0] }; if next == powers[0] { break }; powers.append(next) }
        let m = (0..<(n * n)).map { _ in g.nextNormal() }
        var out = [Double](repeating: 0, count: n * n)
        for p in powers { for i in 0..<n { for j in 0..<n { out[p[i] * n + p[j]] += m[i * n + j] / Double(powers.count) } } }
        return out.map { $0 + noise * g.nextNormal() }
    }

    let turn = (0..<9).map { t in (2 - t % 3) * 3 + t / 3 }                     // (y, x) ↦ (2 − x, y)
    func shift2InFieldsOf8(_ d: Int) -> [Int] { (0..<d).map { ($0 / 8) * 8 + ($0 % 8 + 2) % 8 } }

    func testCommutingFactorsAreNamedC4WithTheirFieldSize() throws {
        let a = commuting(24, with: shift2InFieldsOf8(24), noise: 0.005, seed: 1), c = commuting(9, with: turn, noise: 0.005, seed: 2)
        // Noise 0.005 leaves the commuting Gram matrices at defects ≈ 0.01; a random C4-commuting C's Gram is
        // already fairly mirror-symmetric (≈ 0.12 here), so the threshold separating them is 0.05, not the default.
        let found = try KroneckerFactorSymmetry(outputChannels: a, channels: 24, kernelTaps: c, taps: [3, 3], threshold: 0.05)
        XCTAssertEqual(found.named, "c4", found.summary)
        let rotation = found.candidates.first { $0.transform == .rotation90 }!
        XCTAssertTrue(rotation.accepted)
        XCTAssertEqual(rotation.fieldSize, 8, rotation.name)
        XCTAssertLessThan(rotation.defect, 0.05)
        XCTAssertFalse(found.candidates.first { $0.transform == .mirror }!.accepted, found.summary)
    }

    func testRandomFactorsNameNoGroupAndTheIdentityNamesD4() throws {
        var g = SplitMix64(seed: 3)
        let a = (0..<(24 * 24)).map { _ in g.nextNormal() }, c = (0..<81).map { _ in g.nextNormal() }
        let found = try KroneckerFactorSymmetry(outputChannels: a, channels: 24, kernelTaps: c, taps: [3, 3])
        XCTAssertNil(found.named, found.summary)
        XCTAssertTrue(found.candidates.allSatisfy { $0.defect > 0.3 }, found.summary)
        // MSR-Conv's start, A = C = I, commutes with everything.
        let eye = { (n: Int) in (0..<(n * n)).map { $0 % (n + 1) == 0 ? 1.0 : 0.0 } }
        XCTAssertEqual(try KroneckerFactorSymmetry(outputChannels: eye(24), channels: 24, kernelTaps: eye(9), taps: [3, 3]).named, "d4")
    }

    func testSymmetricEigenReconstructsAndTakesRoots() {
        var g = SplitMix64(seed: 8)
        let m = (0..<36).map { _ in g.nextNormal() }
        let s = KroneckerFactorSymmetry.gram(m, size: 6)
        let e = SymmetricEigen(s, size: 6)
        let root = e.power(0.5)
        let back = KroneckerFactorSymmetry.gram(root, size: 6)   // root is symmetric: root·rootᵀ = S
        XCTAssertEqual(zip(back, s).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-10)
        XCTAssertTrue(e.values.allSatisfy { $0 > -1e-12 })
    }

    /// Snapping: the Gram matrices' defects become rounding, a second snap changes nothing, and the inner step's
    /// preconditioner U·Uᵀ then commutes with the group on any bank: P(g·x) = g·P(x).
    func testSnapMakesThePreconditionerCommuteExactly() throws {
        var g = SplitMix64(seed: 4)
        let a = commuting(8, with: shift2InFieldsOf8(8), noise: 0.2, seed: 5), c = commuting(9, with: turn, noise: 0.2, seed: 6)
        let found = try KroneckerFactorSymmetry(outputChannels: a, channels: 8, kernelTaps: c, taps: [3, 3], threshold: 0.9)
        let generators = try found.generators(of: "c4")
        let r = generators[0]
        XCTAssertGreaterThan(r.defect, 0.01)
        let snapped = try KroneckerFactorSymmetry.snapped(outputChannels: a, channels: 8, kernelTaps: c, taps: 9, generators: generators)
        let (a2, c2) = (snapped.a, snapped.c)
        XCTAssertLessThan(try KroneckerFactorSymmetry.commutationDefect(KroneckerFactorSymmetry.gram(a2, size: 8), size: 8, permutation: r.channelPermutation), 1e-10)
        XCTAssertLessThan(try KroneckerFactorSymmetry.commutationDefect(KroneckerFactorSymmetry.gram(c2, size: 9), size: 9, permutation: r.tapPermutation), 1e-10)
        let again = try KroneckerFactorSymmetry.snapped(outputChannels: a2, channels: 8, kernelTaps: c2, taps: 9, generators: generators)
        let (a3, c3) = (again.a, again.c)
        XCTAssertEqual(zip(a2 + c2, a3 + c3).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-8)
        // The bank corrections keep the initial effective bank: A'·M_A = A, C'·M_C = C.
        let (ma, mc) = (snapped.bankA, snapped.bankC)
        func product(_ x: [Double], _ y: [Double], _ n: Int) -> [Double] {
            (0..<(n * n)).map { e in (0..<n).reduce(0.0) { $0 + x[(e / n) * n + $1] * y[$1 * n + e % n] } }
        }
        XCTAssertEqual(zip(product(a2, ma, 8), a).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-9)
        XCTAssertEqual(zip(product(c2, mc, 9), c).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-9)
        // P = A·Aᵀ ⊗ C·Cᵀ (one input channel) on a bank x (8 × 9): P(x) = A·Aᵀ · x · (C·Cᵀ)ᵀ.
        let (ga, gc) = (KroneckerFactorSymmetry.gram(a2, size: 8), KroneckerFactorSymmetry.gram(c2, size: 9))
        func precondition(_ x: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: 72)
            for o in 0..<8 { for t in 0..<9 { var s = 0.0; for o2 in 0..<8 { for t2 in 0..<9 { s += ga[o * 8 + o2] * gc[t * 9 + t2] * x[o2 * 9 + t2] } }; y[o * 9 + t] = s } }
            return y
        }
        func moved(_ x: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: 72)
            for o in 0..<8 { for t in 0..<9 { y[r.channelPermutation[o] * 9 + r.tapPermutation[t]] = x[o * 9 + t] } }
            return y
        }
        let x = (0..<72).map { _ in g.nextNormal() }
        XCTAssertEqual(zip(precondition(moved(x)), moved(precondition(x))).map { abs($0 - $1) }.max()!, 0, accuracy: 1e-9)
    }
}

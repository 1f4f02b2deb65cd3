@testable import Datasets
import Foundation
import Tensors
import TestSupport
import XCTest

/// Images (N, C, H, W) moved by the group elements of `SyntheticRotationProblem`, on the pixel grid:
/// (h · y)(p) = y(h⁻¹ p) with p = (column − centre, centre − row).
enum GridAction {
    /// Rotation by 90° counter-clockwise (numpy's rot90 on the last two axes): new[i][j] = old[j][W − 1 − i].
    static func rotated90(_ t: Tensor) -> Tensor { remap(t) { i, j, n in (j, n - 1 - i) } }

    /// The mirror M (u, v) ↦ (−u, v): a left–right flip, new[i][j] = old[i][W − 1 − j].
    static func mirrored(_ t: Tensor) -> Tensor { remap(t) { i, j, n in (i, n - 1 - j) } }

    /// h · t for h = R(90° · quarterTurns) · M^mirrored.
    static func apply(_ t: Tensor, quarterTurns: Int, mirrored flip: Bool) -> Tensor {
        var out = flip ? mirrored(t) : t
        for _ in 0..<(((quarterTurns % 4) + 4) % 4) { out = rotated90(out) }
        return out
    }

    /// new[…, i, j] = old[…, source(i, j, n)] for square n×n maps.
    private static func remap(_ t: Tensor, _ source: (Int, Int, Int) -> (Int, Int)) -> Tensor {
        let n = t.shape[t.rank - 1]
        precondition(t.shape[t.rank - 2] == n, "square maps only")
        let v = t.scalars, planes = v.count / (n * n)
        var out = [Double](repeating: 0, count: v.count)
        for p in 0..<planes {
            for i in 0..<n {
                for j in 0..<n {
                    let (si, sj) = source(i, j, n)
                    out[p * n * n + i * n + j] = v[p * n * n + si * n + sj]
                }
            }
        }
        return Tensor(shape: t.shape, values: out, dtype: t.dtype)
    }
}

final class SyntheticRotationTasksTests: XCTestCase {
    typealias S = SyntheticRotationTasks
    typealias P = SyntheticRotationProblem

    func testShapesSizesAndNames() {
        XCTAssertEqual(P.allCases.map(\.rawValue), ["2d_rot8", "2d_rot8_flip"])
        XCTAssertEqual(P.allCases.map(\.groupOrder), [8, 16])
        XCTAssertEqual(P.allCases.map(\.outputChannels), [24, 48])
        XCTAssertEqual(P.allCases.map(\.groupName), ["C8", "D8"])
        XCTAssertEqual(S(problem: .rot8).count, 10_000)
        XCTAssertEqual(S(problem: .rot8Flip).count, 2_000)
        let split = S(problem: .rot8).trainTest()
        XCTAssertEqual([split.train.count, split.test.count], [8_000, 2_000])
        let flipSplit = S(problem: .rot8Flip).trainTest()
        XCTAssertEqual([flipSplit.train.count, flipSplit.test.count], [1_600, 400])
        for problem in P.allCases {
            let family = S(problem: problem, count: 2, seed: 1)
            let c = problem.outputChannels
            XCTAssertEqual(family.inputShape, [1, 32, 32])
            XCTAssertEqual(family.targetShape, [c, 30, 30])
            let task = family.task(at: 1)
            XCTAssertEqual(task.inputs.shape, [20, 1, 32, 32])
            XCTAssertEqual(task.targets.shape, [20, c, 30, 30])
            XCTAssertEqual(task.inputs.dtype, .float32)
            XCTAssertEqual(task.targets.dtype, .float32)
            XCTAssertEqual(family.filterBank(at: 1).shape, [c, 1, 3, 3])
            XCTAssertEqual(family.filterBanks().shape, [2, c, 1, 3, 3])
            XCTAssertEqual(family.coefficients(at: 1).shape, [3, 6])
        }
    }

    /// The targets are conv2d of the inputs with the task's filter bank, whose channel f · |G| + k is
    /// Σᵢ a[f, i] · bᵢ ∘ g_k⁻¹.
    func testTargetsAreTheConvolutionWithTheFilterBank() {
        for problem in P.allCases {
            let family = S(problem: problem, count: 4, seed: 2)
            let task = family.task(at: 3), bank = family.filterBank(at: 3)
            XCTAssertEqual(Tensor.conv2d(task.inputs, weight: bank).floats, task.targets.floats)
            XCTAssertEqual(family.filterBanks().sliced(axis: 0, 3..<4).reshaped(bank.shape).floats, bank.floats)
            let a = family.coefficients(at: 3).scalars, w = bank.scalars
            for c in 0..<problem.outputChannels {
                let (f, k) = (c / problem.groupOrder, c % problem.groupOrder)
                let (mirrored, turns) = problem.element(ofChannel: k)
                let basis = SteerableBasis.sampled(eighthTurns: turns, mirrored: mirrored)
                for t in 0..<9 {
                    let expected = (0..<6).reduce(0.0) { $0 + a[f * 6 + $1] * basis[$1 * 9 + t] }
                    XCTAssertEqual(w[c * 9 + t], Double(Float(expected)), "\(problem) channel \(c) tap \(t)")
                }
            }
        }
    }

    func testChannelPermutations() {
        let c8 = P.rot8, d8 = P.rot8Flip
        // A quarter turn shifts every field's channels cyclically by 2: new channel k shows old k − 2.
        XCTAssertEqual(c8.channelPermutation(quarterTurns: 1), (0..<24).map { ($0 / 8) * 8 + ($0 % 8 + 6) % 8 })
        XCTAssertEqual(Array(c8.channelPermutation(eighthTurns: 1)[0..<8]), [7, 0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Array(d8.channelPermutation(quarterTurns: 1)[16..<32]),
                       [22, 23, 16, 17, 18, 19, 20, 21, 30, 31, 24, 25, 26, 27, 28, 29])
        // The mirror: (m, r) takes (1 − m, −r).
        XCTAssertEqual(Array(d8.channelPermutation(quarterTurns: 0, mirrored: true)[0..<16]),
                       [8, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1])
        XCTAssertEqual(c8.channelPermutation(quarterTurns: 4), Array(0..<24))
        // π is a representation: π_{hh'}[c] = π_{h'}[π_h[c]] (the input moved by h' then by h).
        func compose(_ p: [Int], _ q: [Int]) -> [Int] { p.indices.map { q[p[$0]] } }
        for s in 0..<8 {
            for flip in [false, true] {
                let h = d8.channelPermutation(eighthTurns: s, mirrored: flip)
                XCTAssertEqual(Set(h), Set(0..<48))
                let rotation = d8.channelPermutation(eighthTurns: s), mirror = d8.channelPermutation(eighthTurns: 0, mirrored: true)
                // h = R(45°·s) · M^flip: move by M first, then by R.
                XCTAssertEqual(h, flip ? compose(rotation, mirror) : rotation)
                // M · R(45°·s) = R(−45°·s) · M.
                XCTAssertEqual(compose(mirror, rotation), d8.channelPermutation(eighthTurns: -s, mirrored: true))
            }
        }
    }

    /// Rotating the input by 90° (exact on the grid) rotates every output map by 90° and shifts every
    /// field's channels by 2; the mirror (D8) mirrors the maps and permutes the channels by (m, r) → (1 − m, −r).
    func testExactEquivarianceUnderTheGridSymmetries() {
        for problem in P.allCases {
            let family = S(problem: problem, count: 3, seed: 7)
            let task = family.task(at: 2).select([0, 7, 19]), bank = family.filterBank(at: 2)
            for quarterTurns in 0..<4 {
                for mirrored in problem.hasReflections ? [false, true] : [false] {
                    let x = GridAction.apply(task.inputs, quarterTurns: quarterTurns, mirrored: mirrored)
                    let permutation = problem.channelPermutation(quarterTurns: quarterTurns, mirrored: mirrored)
                    let expected = GridAction.apply(task.targets.indexSelect(axis: 1, permutation),
                                                    quarterTurns: quarterTurns, mirrored: mirrored)
                    assertClose(Tensor.conv2d(x, weight: bank), expected, tolerance: 1e-6,
                                "\(problem), \(quarterTurns) quarter turns, mirrored \(mirrored)")
                }
            }
            // The symmetry is not trivial: a quarter turn without the channel shift does not commute.
            let x = GridAction.rotated90(task.inputs)
            let (error, scale) = normError(Tensor.conv2d(x, weight: bank).scalars, GridAction.rotated90(task.targets).scalars)
            XCTAssertGreaterThan(error, 0.3 * scale)
        }
    }

    /// A smooth image: a sum of three wide Gaussian bumps, as a function of p = (u, v).
    static func smoothImage(_ u: Double, _ v: Double) -> Double {
        gaussianBumps([(2, 1, 3.5, 1), (-3, 2.5, 4, -0.8), (1, -4, 3, 0.6)], u, v)
    }

    /// Samples f on the 32×32 grid, p = (column − 15.5, 15.5 − row): (1, 1, 32, 32), Float32.
    static func sampled(_ f: (Double, Double) -> Double) -> Tensor { sampledOnGrid(size: S.imageSize, f) }

    /// Rotation by 45° counter-clockwise about the centre of the (C, n, n) maps y, bilinear:
    /// (R · y)(p) = y(R⁻¹ p). Returns (C, n, n); points whose source falls outside are 0.
    static func rotated45(_ y: [Double], channels: Int, size n: Int) -> [Double] {
        let c = Double(n - 1) / 2, h = 0.5.squareRoot()
        var out = [Double](repeating: 0, count: y.count)
        for i in 0..<n {
            for j in 0..<n {
                let (u, v) = (Double(j) - c, c - Double(i))
                let (su, sv) = (h * u + h * v, -h * u + h * v)  // R(−45°) p
                let (x, yy) = (su + c, c - sv)  // column, row of the source
                let (x0, y0) = (Int(x.rounded(.down)), Int(yy.rounded(.down)))
                guard x0 >= 0, y0 >= 0, x0 + 1 < n, y0 + 1 < n else { continue }
                let (fx, fy) = (x - Double(x0), yy - Double(y0))
                for ch in 0..<channels {
                    let base = ch * n * n
                    let top = (1 - fx) * y[base + y0 * n + x0] + fx * y[base + y0 * n + x0 + 1]
                    let bottom = (1 - fx) * y[base + (y0 + 1) * n + x0] + fx * y[base + (y0 + 1) * n + x0 + 1]
                    out[base + i * n + j] = (1 - fy) * top + fy * bottom
                }
            }
        }
        return out
    }

    /// Rotations by 45° map the grid off itself, so equivariance holds only approximately, on smooth inputs.
    /// With x a sum of wide Gaussians (`smoothImage`) and R x the same function rotated by 45° (sampled
    /// exactly, no interpolation), compare f(R x)[c] with R · f(x)[π[c]], π shifting the channels by 1, on
    /// the disc of radius 10 around the centre of the 30×30 maps, where R · f(x)[c'](q) = f(x)[c'](R⁻¹ q) is
    ///
    /// - "exact": Σ_p w[c'](p) · x(R⁻¹ q + p), the filter applied to the continuous input off the grid; the
    ///   error is then only that of sampling the rotated filters on the 3×3 grid;
    /// - "bilinear": f(x)[c'] computed on the grid and rotated by bilinear interpolation.
    ///
    /// Measured worst relative errors ‖Δ‖/‖ref‖ over 5 tasks: exact 0.0040 (C8) and 0.013 (D8); bilinear 0.014
    /// (C8) and 0.019 (D8). Much of f(x) is the isotropic response (the same in all channels of a field), so
    /// the exact error is also measured against the channel-dependent part ref − mean over the field's
    /// channels: 0.042 (C8), 0.039 (D8), where leaving out the channel shift gives errors of order 1.
    func testApproximateEquivarianceUnderEighthTurns() {
        let x = Self.sampled(Self.smoothImage)
        let h = 0.5.squareRoot()
        let inverse = { (u: Double, v: Double) in (h * u + h * v, -h * u + h * v) }  // R(−45°) p
        let rx = Self.sampled { u, v in let (su, sv) = inverse(u, v); return Self.smoothImage(su, sv) }
        let n = S.outputSize, centre = Double(n - 1) / 2
        let disc = (0..<(n * n)).filter { p in
            let (u, v) = (Double(p % n) - centre, centre - Double(p / n))
            return u * u + v * v <= 100
        }
        for problem in P.allCases {
            let family = S(problem: problem, count: 5, seed: 11)
            let (channels, order) = (problem.outputChannels, problem.groupOrder)
            var worst = (exact: 0.0, bilinear: 0.0, channelDependent: 0.0), unshifted = Double.infinity
            for index in 0..<family.count {
                let bank = family.filterBank(at: index), w = bank.scalars
                let ry = Tensor.conv2d(rx, weight: bank).scalars
                // R · f(x)[c'] at the disc, exactly: (C, n·n), zero outside the disc.
                var rotated = [Double](repeating: 0, count: channels * n * n)
                for c in 0..<channels {
                    for q in disc {
                        let (su, sv) = inverse(Double(q % n) - centre, centre - Double(q / n))
                        rotated[c * n * n + q] = (0..<9).reduce(0.0) { sum, t in
                            sum + w[c * 9 + t] * Self.smoothImage(su + Double(t % 3 - 1), sv + Double(1 - t / 3))
                        }
                    }
                }
                let permutation = problem.channelPermutation(eighthTurns: 1)
                let bilinear = Self.rotated45(Tensor.conv2d(x, weight: bank).indexSelect(axis: 1, permutation).scalars,
                                              channels: channels, size: n)
                var sums = (exact: 0.0, bilinear: 0.0, reference: 0.0, channelDependent: 0.0, unshifted: 0.0)
                for c in 0..<channels {
                    let field = (c / order) * order
                    for q in disc {
                        let (k, reference) = (c * n * n + q, rotated[permutation[c] * n * n + q])
                        let mean = (0..<order).reduce(0.0) { $0 + rotated[(field + $1) * n * n + q] } / Double(order)
                        sums.exact += (ry[k] - reference) * (ry[k] - reference)
                        sums.bilinear += (ry[k] - bilinear[k]) * (ry[k] - bilinear[k])
                        sums.reference += reference * reference
                        sums.channelDependent += (reference - mean) * (reference - mean)
                        sums.unshifted += (ry[k] - rotated[k]) * (ry[k] - rotated[k])
                    }
                }
                worst.exact = max(worst.exact, (sums.exact / sums.reference).squareRoot())
                worst.bilinear = max(worst.bilinear, (sums.bilinear / sums.reference).squareRoot())
                worst.channelDependent = max(worst.channelDependent, (sums.exact / sums.channelDependent).squareRoot())
                unshifted = min(unshifted, (sums.unshifted / sums.channelDependent).squareRoot())
            }
            print("45° equivariance, \(problem): worst relative error \(worst); without the channel shift \(unshifted)")
            XCTAssertLessThan(worst.exact, 0.03, "\(problem)")
            XCTAssertLessThan(worst.bilinear, 0.04, "\(problem)")
            XCTAssertLessThan(worst.channelDependent, 0.1, "\(problem)")
            XCTAssertGreaterThan(unshifted, 0.5, "\(problem)")
        }
    }

    func testTasksAreMadeOnDemandFromTheSeed() {
        let a = S(problem: .rot8, count: 30, seed: 9), b = S(problem: .rot8, count: 30, seed: 9)
        XCTAssertEqual(a.task(at: 17).inputs.floats, b.task(at: 17).inputs.floats)
        XCTAssertEqual(a.task(at: 17).targets.floats, a.task(at: 17).targets.floats)
        XCTAssertEqual(a.task(at: 17).targets.floats, b.task(at: 17).targets.floats)
        // A task does not depend on the family's size…
        XCTAssertEqual(S(problem: .rot8, count: 18, seed: 9).task(at: 17).targets.floats, a.task(at: 17).targets.floats)
        // …and other indices, seeds and problems give other tasks.
        XCTAssertNotEqual(a.task(at: 16).inputs.floats, a.task(at: 17).inputs.floats)
        XCTAssertNotEqual(a.filterBank(at: 16).floats, a.filterBank(at: 17).floats)
        XCTAssertNotEqual(S(problem: .rot8, count: 30, seed: 10).task(at: 17).inputs.floats, a.task(at: 17).inputs.floats)
        XCTAssertNotEqual(S(problem: .rot8Flip, count: 30, seed: 9).task(at: 17).inputs.floats, a.task(at: 17).inputs.floats)
        // A subset renumbers the same tasks.
        let (_, test) = a.trainTest()
        XCTAssertEqual(test.task(at: 0).targets.floats, a.task(at: 24).targets.floats)
    }

    /// Inputs are N(0, 1); the coefficient scale s makes the targets' variance 1 on average (measured over
    /// 40 tasks, 3 examples each: 1.04 for C8, 1.00 for D8; single tasks range 0.29…2.3).
    func testInputsAreStandardNormalAndTargetsHaveUnitVariance() {
        for problem in P.allCases {
            let family = S(problem: problem, count: 40, seed: 3)
            var (sum, sumSquares, count) = (0.0, 0.0, 0)
            var targetVariances: [Double] = []
            for index in 0..<family.count {
                let task = family.task(at: index)
                for value in task.inputs.floats { sum += Double(value); sumSquares += Double(value) * Double(value) }
                count += task.inputs.count
                let y = task.targets.sliced(axis: 0, 0..<3).floats  // 3 of the 20 examples, to keep the test fast
                var squares = 0.0
                for value in y { squares += Double(value) * Double(value) }
                targetVariances.append(squares / Double(y.count))
            }
            let mean = sum / Double(count)
            XCTAssertEqual(mean, 0, accuracy: 0.01)
            XCTAssertEqual(sumSquares / Double(count) - mean * mean, 1, accuracy: 0.01)
            let variance = targetVariances.reduce(0, +) / Double(targetVariances.count)
            print("target variance, \(problem): mean \(variance) over \(family.count) tasks, range \(targetVariances.min()!)…\(targetVariances.max()!)")
            XCTAssertGreaterThan(variance, 0.8, "\(problem)")
            XCTAssertLessThan(variance, 1.25, "\(problem)")
            XCTAssertTrue(targetVariances.allSatisfy { (0.05...10).contains($0) }, "\(problem): \(targetVariances)")
        }
        // s² = 1 / E_g Σᵢ ‖bᵢ ∘ g⁻¹‖² = 1 / (1 + 5.371 + 2 · 5.369): the centre, the ring and two harmonics.
        XCTAssertEqual(S(problem: .rot8).coefficientScale, 0.24177, accuracy: 1e-5)
        XCTAssertEqual(S(problem: .rot8).coefficientScale, S(problem: .rot8Flip).coefficientScale, accuracy: 1e-12)
    }

    func testBoxMullerPairsAreStandardNormal() {
        var generator = SplitMix64(seed: 5)
        var z = [Float](repeating: .nan, count: 100_001)
        z.withUnsafeMutableBufferPointer { generator.fillStandardNormalPairs($0) }
        XCTAssertFalse(z.contains { !$0.isFinite })
        let within1 = Double(z.filter { abs($0) < 1 }.count) / Double(z.count)
        let within2 = Double(z.filter { abs($0) < 2 }.count) / Double(z.count)
        XCTAssertEqual(within1, 0.6827, accuracy: 0.005)
        XCTAssertEqual(within2, 0.9545, accuracy: 0.003)
        // The two normals of a pair are uncorrelated.
        let pairs = stride(from: 0, to: 100_000, by: 2).map { Double(z[$0]) * Double(z[$0 + 1]) }
        XCTAssertEqual(pairs.reduce(0, +) / Double(pairs.count), 0, accuracy: 0.015)
    }

    // MARK: - Files

    func testStreamedNPZHoldsTheTasksAndReadsBack() throws {
        let directory = try temporaryDirectory(for: self)
        for problem in P.allCases {
            let family = S(problem: problem, count: 3, seed: 4)
            let url = directory.appendingPathComponent("\(problem).npz")
            var reported: [Int] = []
            try family.writeNPZ(to: url, extraArrays: [("w", family.filterBanks())]) { reported.append($0) }
            XCTAssertEqual(reported, [1, 2, 3])
            XCTAssertEqual(try NPZArchive(contentsOf: url).names, ["x", "y", "w"])
            let back = try ArrayTaskFamily.syntheticRotation(contentsOf: url, problem: problem)
            XCTAssertEqual(back.inputs.shape, [3, 20, 1, 32, 32])
            XCTAssertEqual(back.targets.shape, [3, 20, problem.outputChannels, 30, 30])
            for index in 0..<3 {
                XCTAssertEqual(back.task(at: index).inputs.floats, family.task(at: index).inputs.floats)
                XCTAssertEqual(back.task(at: index).targets.floats, family.task(at: index).targets.floats)
            }
            XCTAssertEqual(try NPZArchive(contentsOf: url).tensor("w").floats, family.filterBanks().floats)
            XCTAssertEqual(try ArrayTaskFamily.syntheticRotation(contentsOf: url).targetShape, family.targetShape)
        }
        // An empty family is an empty file of the right rank.
        let empty = directory.appendingPathComponent("empty.npz")
        try S(problem: .rot8, count: 0).writeNPZ(to: empty)
        XCTAssertEqual(try NPZArchive(contentsOf: empty).array("y").shape, [0, 0, 24, 30, 30])
    }

    func testReadsTheReferenceLayoutAndReportsWrongShapes() throws {
        let url = try temporaryDirectory(for: self).appendingPathComponent("2d_rot8.npz")
        var generator = SplitMix64(seed: 1)
        let x = Tensor.randomNormal([2, 20, 1, 32, 32], using: &generator)
        let y = Tensor.randomNormal([2, 20, 24, 30, 30], using: &generator)
        try NPZArchive.write([("x", x), ("y", y), ("w", Tensor.zeros([2, 18]))], to: url)
        for problem in [P.rot8, nil] {
            let family = try ArrayTaskFamily.syntheticRotation(contentsOf: url, problem: problem)
            XCTAssertEqual(family.count, 2)
            XCTAssertEqual(family.inputShape, [1, 32, 32])
            XCTAssertEqual(family.targetShape, [24, 30, 30])
            XCTAssertEqual(family.task(at: 1).targets.floats, Array(y.floats[(20 * 24 * 900)...]))
        }
        XCTAssertEqual(thrownError { try ArrayTaskFamily.syntheticRotation(contentsOf: url, problem: .rot8Flip) }?.description,
                       "2d_rot8.npz: expected y of shape (tasks, 20, 48, 30, 30), found (2, 20, 24, 30, 30)")

        try NPZArchive.write([("x", x), ("y", Tensor.zeros([2, 20, 12, 30, 30]))], to: url)
        XCTAssertEqual(thrownError { try ArrayTaskFamily.syntheticRotation(contentsOf: url) },
                       .wrongShape(source: "2d_rot8.npz", name: "y", expected: "(tasks, 20, 24 or 48, 30, 30)", actual: [2, 20, 12, 30, 30]))
        try NPZArchive.write([("x", Tensor.zeros([2, 20, 32, 32])), ("y", y)], to: url)
        XCTAssertEqual(thrownError { try ArrayTaskFamily.syntheticRotation(contentsOf: url) }?.description,
                       "2d_rot8.npz: expected x of shape (tasks, 20, 1, 32, 32), found (2, 20, 32, 32)")
    }

    /// Time to make one task. In release (`swift test -c release -Xswiftc -enable-testing --filter
    /// testTaskTime`) on a 2-core machine: 260–350 µs for C8 and 345–435 µs for D8 (of which conv2d takes
    /// about 120 and 200 µs, the 20,480 input normals about 140 µs).
    func testTaskTime() {
        for problem in P.allCases {
            let family = S(problem: problem, count: 200, seed: 1)
            _ = family.task(at: 0)
            let start = DispatchTime.now().uptimeNanoseconds
            var checksum: Float = 0
            for index in 0..<family.count { checksum += family.task(at: index).targets.floats[0] }
            let microseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(family.count)
            print("task(at:) for \(problem): \(String(format: "%.0f", microseconds)) µs per task (checksum \(checksum))")
        }
    }
}

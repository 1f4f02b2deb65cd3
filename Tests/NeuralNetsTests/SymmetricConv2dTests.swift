import NeuralNets
import Tensors
import TestSupport
import XCTest

final class SymmetricConv2dTests: XCTestCase {
    func parameters(_ layer: SymmetricConv2d, seed: UInt64) -> Parameters {
        var g = SplitMix64(seed: seed)
        return layer.initialParameters(dtype: .float64, using: &g)
    }

    /// With A, B, C at their initial identity the layer is a plain convolution with the filter bank.
    func testIdentityFactorsGiveThePlainConvolution() {
        let layer = SymmetricConv2d(2, 3)
        let p = parameters(layer, seed: 1)
        XCTAssertEqual(p["weight"].shape, [3, 2, 3, 3])
        XCTAssertEqual(p[SymmetricConv2d.outputChannelsKey].shape, [3, 3])
        XCTAssertEqual(p[SymmetricConv2d.inputChannelsKey].shape, [2, 2])
        XCTAssertEqual(p[SymmetricConv2d.kernelTapsKey].shape, [9, 9])
        XCTAssertEqual(layer.innerParameterKeys, ["weight"])
        let x = randn([2, 2, 6, 5], seed: 2)
        assertClose(layer.apply(p, x), Tensor.conv2d(x, weight: p["weight"]), tolerance: 1e-14)
    }

    /// w̃[i, k, l] = Σ A[i, j] B[k, m] C[l, n] w[j, m, n], checked element by element.
    func testKroneckerTransformMatchesDefinition() {
        let layer = SymmetricConv2d(2, 3)
        var p = parameters(layer, seed: 3)
        p[SymmetricConv2d.outputChannelsKey] = randn([3, 3], seed: 4)
        p[SymmetricConv2d.inputChannelsKey] = randn([2, 2], seed: 5)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 6)
        let a = p[SymmetricConv2d.outputChannelsKey].scalars, b = p[SymmetricConv2d.inputChannelsKey].scalars
        let c = p[SymmetricConv2d.kernelTapsKey].scalars, w = p["weight"].scalars
        let out = layer.effectiveWeight(p).scalars
        for i in 0..<3 { for k in 0..<2 { for l in 0..<9 {
            var s = 0.0
            for j in 0..<3 { for m in 0..<2 { for n in 0..<9 { s += a[i * 3 + j] * b[k * 2 + m] * c[l * 9 + n] * w[(j * 2 + m) * 9 + n] } } }
            XCTAssertEqual(out[(i * 2 + k) * 9 + l], s, accuracy: 1e-12)
        } } }
    }

    /// A permutation of the taps that rotates a 3×3 kernel by 90°, paired with a cyclic shift of the output
    /// channels, turns one filter into its rotated copies: the kind of sharing MSR-Conv can learn.
    func testTapPermutationRotatesFilters() {
        let layer = SymmetricConv2d(1, 1)
        var p = parameters(layer, seed: 7)
        var rotation = [Double](repeating: 0, count: 81)
        for y in 0..<3 { for x in 0..<3 { rotation[(y * 3 + x) * 9 + (2 - x) * 3 + y] = 1 } }   // w̃[y, x] = w[2 − x, y]
        p[SymmetricConv2d.kernelTapsKey] = Tensor(shape: [9, 9], values: rotation, dtype: .float64)
        let w = p["weight"].scalars, rotated = layer.effectiveWeight(p).scalars
        for y in 0..<3 { for x in 0..<3 { XCTAssertEqual(rotated[y * 3 + x], w[(2 - x) * 3 + y]) } }
    }

    func testGradients() {
        let layer = SymmetricConv2d(1, 2)
        var p = parameters(layer, seed: 8)
        p[SymmetricConv2d.outputChannelsKey] = randn([2, 2], seed: 9)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 10)
        let x = randn([2, 1, 5, 5], seed: 11)
        checkGradients([p["weight"], p[SymmetricConv2d.outputChannelsKey], p[SymmetricConv2d.kernelTapsKey]]) { t in
            var q = p
            q["weight"] = t[0]; q[SymmetricConv2d.outputChannelsKey] = t[1]; q[SymmetricConv2d.kernelTapsKey] = t[2]
            return layer.apply(q, x).tanh()
        }
    }

    /// With stride, padding and a bias, the layer is conv2d(x, w̃, b) with them; the bias is drawn after the
    /// bank as U(±1/√(C·kh·kw)) (what Conv4's MSR blocks drew), and adapted with the bank.
    func testStridePaddingAndBias() {
        let layer = SymmetricConv2d(2, 3, kernelSize: (3, 3), stride: (2, 1), padding: (1, 1), bias: true)
        var p = parameters(layer, seed: 12)
        XCTAssertEqual(layer.innerParameterKeys, ["weight", "bias"])
        var g = SplitMix64(seed: 12)
        _ = defaultUniformInit([3, 2, 3, 3], fanIn: 18, dtype: .float64, using: &g)
        XCTAssertEqual(p["bias"].scalars, defaultUniformInit([3], fanIn: 18, dtype: .float64, using: &g).scalars)
        p[SymmetricConv2d.kernelTapsKey] = randn([9, 9], seed: 13)
        let x = randn([2, 2, 5, 4], seed: 14)
        let y = layer.apply(p, x)
        XCTAssertEqual(y.shape, [2, 3, 3, 4])
        assertClose(y, Tensor.conv2d(x, weight: layer.effectiveWeight(p), bias: p["bias"], stride: (2, 1), padding: (1, 1)), tolerance: 0)
    }

    // MARK: - A sum of r Kronecker products

    /// r random factor triples: w̃ = Σₜ (Aₜ ⊗ Bₜ ⊗ Cₜ)·w element by element; the keys are the r = 1 keys
    /// with `.t` appended for t ≥ 1, sorted.
    func testSumOfKroneckerProductsMatchesDefinition() {
        let layer = SymmetricConv2d(2, 3, terms: 3)
        var p = parameters(layer, seed: 20)
        XCTAssertEqual(layer.symmetryMatrixKeys, ["symmetryMatrix.inputChannels", "symmetryMatrix.inputChannels.1", "symmetryMatrix.inputChannels.2",
                                                  "symmetryMatrix.kernelTaps", "symmetryMatrix.kernelTaps.1", "symmetryMatrix.kernelTaps.2",
                                                  "symmetryMatrix.outputChannels", "symmetryMatrix.outputChannels.1", "symmetryMatrix.outputChannels.2"])
        XCTAssertEqual(Set(p.keys), Set(layer.symmetryMatrixKeys + ["weight"]))
        var factors: [(a: [Double], b: [Double], c: [Double])] = []
        for t in 0..<3 {
            let keys = [SymmetricConv2d.outputChannelsKey, SymmetricConv2d.inputChannelsKey, SymmetricConv2d.kernelTapsKey]
                .map { SymmetricConv2d.factorKey($0, term: t) }
            p[keys[0]] = randn([3, 3], seed: 21 + UInt64(t)); p[keys[1]] = randn([2, 2], seed: 31 + UInt64(t)); p[keys[2]] = randn([9, 9], seed: 41 + UInt64(t))
            factors.append((p[keys[0]].scalars, p[keys[1]].scalars, p[keys[2]].scalars))
        }
        let w = p["weight"].scalars, out = layer.effectiveWeight(p).scalars
        for i in 0..<3 { for k in 0..<2 { for l in 0..<9 {
            var s = 0.0
            for f in factors { for j in 0..<3 { for m in 0..<2 { for n in 0..<9 {
                s += f.a[i * 3 + j] * f.b[k * 2 + m] * f.c[l * 9 + n] * w[(j * 2 + m) * 9 + n]
            } } } }
            XCTAssertEqual(out[(i * 2 + k) * 9 + l], s, accuracy: 1e-12)
        } } }
    }

    /// r > 1 starts at U = I exactly (the plain convolution of the drawn bank, as r = 1), with terms that
    /// differ (equal terms would get equal gradients forever); the bank and bias are the draws of r = 1.
    func testSumStartsAtTheIdentityWithDistinctTerms() {
        for r in [2, 4, 8] {
            let layer = SymmetricConv2d(2, 4, padding: (1, 1), bias: true, terms: r)
            let p = parameters(layer, seed: 50), single = parameters(SymmetricConv2d(2, 4, padding: (1, 1), bias: true), seed: 50)
            XCTAssertEqual(p["weight"].scalars, single["weight"].scalars)
            XCTAssertEqual(p["bias"].scalars, single["bias"].scalars)
            assertClose(layer.effectiveWeight(p), p["weight"], tolerance: 1e-12)
            let a = (0..<r).map { p[SymmetricConv2d.factorKey(SymmetricConv2d.outputChannelsKey, term: $0)] }
            func distance(_ x: Tensor, _ y: Tensor) -> Double {
                zip(x.scalars, y.scalars).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() / y.scalars.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            }
            for t in 1..<r { XCTAssertGreaterThan(distance(a[t], a[0]), 0.1, "r = \(r): terms 0 and \(t) start equal") }
            // P = U·Uᵀ = I at the start: the first inner step is MAML-Conv's.
            let g = randn([4, 2, 3, 3], seed: 51)
            assertClose(layer.preconditioned(g, p), g, tolerance: 1e-12)
        }
    }

    /// First and second derivatives with respect to the bank and every term's factors, by finite differences.
    func testSumGradients() {
        let layer = SymmetricConv2d(2, 2, terms: 2)
        var p = parameters(layer, seed: 60)
        let keys = ["weight"] + layer.symmetryMatrixKeys
        for (i, key) in layer.symmetryMatrixKeys.enumerated() { p[key] = randn(p[key].shape, seed: 61 + UInt64(i)) }
        let x = randn([2, 2, 5, 5], seed: 70)
        checkGradients(keys.map { p[$0] }) { t in
            var q = p
            for (key, value) in zip(keys, t) { q[key] = value }
            return layer.apply(q, x).tanh()
        }
    }

    /// P = U·Uᵀ applied as Σₜ terms twice equals the dense U (built column by column from the layer) times
    /// its transpose.
    func testPreconditionerOfASumIsUUTransposed() {
        let layer = SymmetricConv2d(2, 2, terms: 3)
        var p = parameters(layer, seed: 80)
        for (i, key) in layer.symmetryMatrixKeys.enumerated() { p[key] = randn(p[key].shape, seed: 81 + UInt64(i)) }
        let n = 2 * 2 * 9
        var u = [Double](repeating: 0, count: n * n)   // U (n, n): column j is U·eⱼ
        for j in 0..<n {
            var e = [Double](repeating: 0, count: n); e[j] = 1
            var q = p; q["weight"] = Tensor(shape: [2, 2, 3, 3], values: e, dtype: .float64)
            for (i, v) in layer.effectiveWeight(q).scalars.enumerated() { u[i * n + j] = v }
        }
        let g = randn([2, 2, 3, 3], seed: 90).scalars
        let utg = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + u[$1 * n + j] * g[$1] } }
        let expected = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + u[i * n + $1] * utg[$1] } }
        assertClose(layer.preconditioned(Tensor(shape: [2, 2, 3, 3], values: g, dtype: .float64), p),
                    Tensor(shape: [2, 2, 3, 3], values: expected, dtype: .float64), tolerance: 1e-12)
    }
}

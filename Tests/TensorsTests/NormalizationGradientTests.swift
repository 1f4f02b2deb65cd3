import Tensors
import TestSupport
import XCTest

/// The fused per-channel ops behind batch norm (`Tensor+Normalization.swift`): first and second
/// derivatives by finite differences, and values against the composite formulas.
final class NormalizationGradientTests: XCTestCase {
    func testStandardizedPerChannel() {
        let x = randn([3, 2, 2, 3], seed: 21)
        checkGradients([x]) { $0[0].standardizedPerChannel() }
        checkGradients([randn([4, 3], seed: 22)]) { $0[0].standardizedPerChannel(epsilon: 0.1).tanh() }
        // x̂ = (x − μ)/√(σ² + ε) over axes 0, 2, 3.
        let centred = x - x.mean(axes: [0, 2, 3], keepDims: true)
        let expected = centred / (centred.squared().mean(axes: [0, 2, 3], keepDims: true) + 1e-5).sqrt()
        assertClose(x.standardizedPerChannel(), expected, tolerance: 1e-12)
    }

    func testChannelAffineAndSum() {
        let x = randn([2, 3, 5], seed: 23), gamma = randn([3], seed: 24), beta = randn([3], seed: 25)
        checkGradients([x, gamma, beta]) { $0[0].channelAffine(scale: $0[1], shift: $0[2]).tanh() }
        checkGradients([x, gamma]) { ($0[0].channelAffine(scale: $0[1]) * $0[0]).channelSum() }
        // y = x·γ_c + β_c; Σ over axes 0 and 2.
        let expected = x * gamma.reshaped([1, 3, 1]) + beta.reshaped([1, 3, 1])
        assertClose(x.channelAffine(scale: gamma, shift: beta), expected, tolerance: 1e-12)
        assertClose(x.channelSum(), x.sum(axes: [0, 2]), tolerance: 1e-12)
    }

    /// `batchNorm` is one op: its values are `standardizedPerChannel` then `channelAffine`, and its fused backward
    /// (no recording) gives the gradients the recorded, differentiable rule gives — for every input, for γ and β
    /// alone (no ∂x pass), and for `standardizedPerChannel`.
    func testBatchNormIsStandardizeThenAffineAndItsTwoBackwardsAgree() {
        let x = randn([3, 4, 5, 2], seed: 31) * 3 + 1, gamma = randn([4], seed: 32), beta = randn([4], seed: 33)
        assertClose(Tensor.batchNorm(x, scale: gamma, shift: beta), x.standardizedPerChannel().channelAffine(scale: gamma, shift: beta),
                    tolerance: 1e-12)
        let r = randn([3, 4, 5, 2], seed: 34)
        for wrt in [[0, 1, 2], [1, 2], [0]] {
            let leaves = [x, gamma, beta].map { $0.requiringGradient() }
            let loss = (Tensor.batchNorm(leaves[0], scale: leaves[1], shift: leaves[2]).tanh() * r).sum()
            let targets = wrt.map { leaves[$0] }
            let fused = gradients(of: loss, wrt: targets), recorded = gradients(of: loss, wrt: targets, createGraph: true)
            for (f, g) in zip(fused, recorded) { assertClose(f, g.detached(), tolerance: 1e-12) }
        }
        let leaf = x.requiringGradient()
        let loss = (leaf.standardizedPerChannel().tanh() * r).sum()
        assertClose(gradients(of: loss, wrt: [leaf])[0], gradients(of: loss, wrt: [leaf], createGraph: true)[0].detached(), tolerance: 1e-12)
    }

    /// `batchNormMaxPool2d` is `batchNorm` then `maxPool2d`: first and second derivatives by finite differences, values
    /// and both backwards (fused, recorded) against the composite, with a negative γ (the pool then takes the
    /// smallest x) and overlapping windows; in Float, through the eight-window vector path, the same maxima.
    func testBatchNormMaxPoolIsBatchNormThenMaxPool() {
        let x = randn([2, 3, 4, 6], seed: 41), gamma = Tensor(shape: [3], values: [1.3, -0.7, 0.4], dtype: .float64)
        let beta = randn([3], seed: 42)
        checkGradients([x, gamma, beta]) { Tensor.batchNormMaxPool2d($0[0], scale: $0[1], shift: $0[2], kernel: (2, 2)).tanh() }
        for (kernel, stride) in [((2, 2), (2, 2)), ((3, 2), (1, 2))] {
            let composite = { (v: [Tensor]) in Tensor.batchNorm(v[0], scale: v[1], shift: v[2]).maxPool2d(kernel: kernel, stride: stride) }
            let fusedOp = { (v: [Tensor]) in Tensor.batchNormMaxPool2d(v[0], scale: v[1], shift: v[2], kernel: kernel, stride: stride) }
            assertClose(fusedOp([x, gamma, beta]), composite([x, gamma, beta]), tolerance: 1e-12)
            let r = randn(composite([x, gamma, beta]).shape, seed: 43)
            for wrt in [[0, 1, 2], [1, 2]] {
                let leaves = [x, gamma, beta].map { $0.requiringGradient() }
                let expected = gradients(of: (composite(leaves).tanh() * r).sum(), wrt: wrt.map { leaves[$0] })
                let loss = (fusedOp(leaves).tanh() * r).sum()
                let fused = gradients(of: loss, wrt: wrt.map { leaves[$0] })
                let recorded = gradients(of: loss, wrt: wrt.map { leaves[$0] }, createGraph: true)
                for (e, (f, g)) in zip(expected, zip(fused, recorded)) {
                    assertClose(f, e, tolerance: 1e-12)
                    assertClose(g.detached(), e, tolerance: 1e-12)
                }
            }
        }
        let xf = randn([2, 3, 18, 20], seed: 44).to(.float32), gf = gamma.to(.float32), bf = beta.to(.float32)
        let fused = Tensor.batchNormMaxPool2d(xf, scale: gf, shift: bf, kernel: (2, 2))
        let composite = Tensor.batchNorm(xf, scale: gf, shift: bf).maxPool2d(kernel: (2, 2))
        XCTAssertEqual(fused.shape, [2, 3, 9, 10])
        assertClose(fused, composite, tolerance: 1e-5)
        let leaf = xf.requiringGradient(), r = randn([2, 3, 9, 10], seed: 45).to(.float32)
        let fusedGradient = gradients(of: (Tensor.batchNormMaxPool2d(leaf, scale: gf, shift: bf, kernel: (2, 2)) * r).sum(), wrt: [leaf])[0]
        let compositeGradient = gradients(of: (Tensor.batchNorm(leaf, scale: gf, shift: bf).maxPool2d(kernel: (2, 2)) * r).sum(), wrt: [leaf])[0]
        assertClose(fusedGradient, compositeGradient, tolerance: 1e-4)
    }

    /// Third order through batch norm: the gradient of a Hessian–vector product stays exact because the
    /// recorded backward rule is built from differentiable ops.
    func testBatchNormSecondOrderInsideInnerLoop() {
        let x = randn([4, 2, 3], seed: 26), gamma = randn([2], seed: 27), beta = randn([2], seed: 28)
        checkGradients([x, gamma, beta]) { v in
            let inner = (Tensor.batchNorm(v[0], scale: v[1], shift: v[2]).tanh() * v[0]).sum()
            let g = gradients(of: inner, wrt: [v[1]], createGraph: true)[0]
            return Tensor.batchNorm(v[0], scale: v[1] - 0.3 * g, shift: v[2]).squared()
        }
    }
}

/// The fused bias add of convolutions and the one-pass ReLU backward.
final class FusedElementwiseGradientTests: XCTestCase {
    func testAddingChannelBias() {
        let x = randn([2, 3, 2, 2], seed: 51), b = randn([3], seed: 52)
        checkGradients([x, b]) { $0[0].addingChannelBias($0[1]).tanh() }
        assertClose(x.addingChannelBias(b), x + b.reshaped([1, 3, 1, 1]), tolerance: 0)
    }

    func testReluThirdOrderPath() {
        // The ReLU backward is itself differentiable (a masked copy): an inner step through it.
        let x = randn([4, 5], seed: 53), w = randn([5, 3], seed: 54)
        checkGradients([x, w]) { v in
            let inner = Tensor.matmul(v[0], v[1]).relu().squared().sum()
            let g = gradients(of: inner, wrt: [v[1]], createGraph: true)[0]
            return Tensor.matmul(v[0], v[1] - 0.1 * g).relu().squared()
        }
    }
}

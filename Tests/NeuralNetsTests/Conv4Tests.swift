import NeuralNets
import Tensors
import TestSupport
import XCTest

final class Conv4Tests: XCTestCase {
    func parameters(_ net: Conv4, seed: UInt64) -> Parameters {
        var g = SplitMix64(seed: seed)
        return net.initialParameters(dtype: .float64, using: &g)
    }

    /// 28 → 14 → 7 → 3 → 1: the embedding has `width` features, the head gives N logits; 84 → 5, so 25·width.
    func testShapesAndKeys() {
        let net = Conv4(width: 4, ways: 5)
        let p = parameters(net, seed: 1)
        XCTAssertEqual(net.outputSide, 1)
        XCTAssertEqual(net.embeddingSize, 4)
        XCTAssertEqual(p["block1.conv.weight"].shape, [4, 1, 3, 3])
        XCTAssertEqual(p["block2.conv.weight"].shape, [4, 4, 3, 3])
        XCTAssertEqual(p["block4.conv.bias"].shape, [4])
        XCTAssertEqual(p["block3.norm.scale"].scalars, [1, 1, 1, 1])
        XCTAssertEqual(p["block3.norm.shift"].scalars, [0, 0, 0, 0])
        XCTAssertEqual(p["head.weight"].shape, [5, 4])
        XCTAssertEqual(p["head.bias"].shape, [5])
        XCTAssertEqual(p.count, 4 * 4 + 2)
        XCTAssertEqual(net.innerParameterKeys, Set(p.keys))
        let x = randn([3, 1, 28, 28], seed: 2)
        XCTAssertEqual(net.apply(p, x).shape, [3, 5])
        XCTAssertEqual(net.block(1, p, x).shape, [3, 4, 14, 14])

        let headless = Conv4(width: 4, ways: nil)
        XCTAssertTrue(headless.headless)
        XCTAssertEqual(headless.apply(parameters(headless, seed: 1), x).shape, [3, 4])
        XCTAssertFalse(parameters(headless, seed: 1).contains("head.weight"))

        let mini = Conv4(inputChannels: 3, imageSize: 84, width: 2, ways: 5)
        XCTAssertEqual(mini.outputSide, 5)
        XCTAssertEqual(mini.embeddingSize, 50)
        XCTAssertEqual(mini.apply(parameters(mini, seed: 3), randn([2, 3, 84, 84], seed: 4)).shape, [2, 5])
    }

    /// The MSR variant: each block's conv has identity factors A (width²), B (Cᵢ²), C (9²), left out of the
    /// inner keys; at the identity it computes what the plain network computes with the same filters.
    func testSymmetricBlocks() {
        let net = Conv4(width: 3, ways: 2, convolution: .symmetric)
        let p = parameters(net, seed: 5)
        XCTAssertEqual(p["block1.conv.symmetryMatrix.outputChannels"].shape, [3, 3])
        XCTAssertEqual(p["block1.conv.symmetryMatrix.inputChannels"].shape, [1, 1])
        XCTAssertEqual(p["block2.conv.symmetryMatrix.inputChannels"].shape, [3, 3])
        XCTAssertEqual(p["block4.conv.symmetryMatrix.kernelTaps"].shape, [9, 9])
        XCTAssertEqual(p.count, 4 * 7 + 2)
        XCTAssertTrue(net.innerParameterKeys.allSatisfy { !$0.contains("symmetryMatrix") })
        XCTAssertEqual(net.innerParameterKeys.count, 4 * 4 + 2)
        let plain = Conv4(width: 3, ways: 2)
        let x = randn([4, 1, 16, 16], seed: 6)
        let same = p.filter { !$0.contains("symmetryMatrix") }
        assertClose(net.apply(p, x), plain.apply(same, x), tolerance: 1e-12)

        XCTAssertEqual(Conv4(width: 3, ways: 2, innerParameters: .head).innerParameterKeys, ["head.weight", "head.bias"])
        XCTAssertEqual(Conv4(width: 3, ways: nil, innerParameters: .none).innerParameterKeys, [])
    }

    /// A block is conv (padding 1, bias) → batch norm with the batch's statistics → ReLU → 2×2 max-pool,
    /// checked against a direct computation of the batch norm for one channel.
    func testBlockMatchesDefinition() {
        let net = Conv4(width: 2, ways: 2)
        var p = parameters(net, seed: 7)
        p["block1.norm.scale"] = Tensor(shape: [2], values: [1.5, -0.5], dtype: .float64)
        p["block1.norm.shift"] = Tensor(shape: [2], values: [0.25, 0.1], dtype: .float64)
        let x = randn([3, 1, 4, 4], seed: 8)
        let y = Tensor.conv2d(x, weight: p["block1.conv.weight"], bias: p["block1.conv.bias"], padding: (1, 1))
        XCTAssertEqual(y.shape, [3, 2, 4, 4])
        // Channel 0, by hand: (y − mean)/√(var + 1e-5)·1.5 + 0.25 over its 3·16 values, ReLU, 2×2 max.
        let v = y.scalars
        var channel: [Double] = []
        for n in 0..<3 { channel += v[(n * 2) * 16..<(n * 2 + 1) * 16] }
        let mean = channel.reduce(0, +) / 48
        let variance = channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 48
        let out = net.block(1, p, x)
        XCTAssertEqual(out.shape, [3, 2, 2, 2])
        for n in 0..<3 { for i in 0..<2 { for j in 0..<2 {
            var m = -Double.infinity
            for di in 0..<2 { for dj in 0..<2 {
                let z = (v[(n * 2) * 16 + (2 * i + di) * 4 + 2 * j + dj] - mean) / (variance + 1e-5).squareRoot() * 1.5 + 0.25
                m = max(m, max(z, 0))
            } }
            XCTAssertEqual(out.scalars[((n * 2) * 2 + i) * 2 + j], m, accuracy: 1e-12)
        } } }
    }

    /// The block pools before its ReLU; that is ReLU then pooling exactly — values, gradients and gradients of
    /// gradients — including windows whose maximum is negative or zero and windows with tied maxima.
    func testPoolingBeforeReLUIsReLUBeforePooling() {
        // 2×2 windows: all negative, maximum exactly 0, tied positive maxima, tied negative maxima, mixed.
        var values = randn([2, 3, 6, 6], seed: 11).scalars
        for (window, entries) in [(0, [-1.0, -2, -3, -0.5]), (1, [0, -1, 0, -2]), (2, [0.7, 0.7, -1, 0.2]), (3, [-0.3, -0.3, -1, -2])] {
            let (i, j) = (2 * (window / 3), 2 * (window % 3))
            for (e, v) in entries.enumerated() { values[(i + e / 2) * 6 + j + e % 2] = v }
        }
        let z = Tensor(shape: [2, 3, 6, 6], values: values, dtype: .float64)
        let r = randn([2, 3, 3, 3], seed: 12)
        func loss(_ f: (Tensor) -> Tensor, _ z: Tensor) -> Tensor { (f(z) * r).sum() + (f(z) * f(z)).sum() }
        let poolFirst = { (t: Tensor) in t.maxPool2d(kernel: (2, 2)).relu() }
        let reluFirst = { (t: Tensor) in t.relu().maxPool2d(kernel: (2, 2)) }
        XCTAssertEqual(poolFirst(z).scalars, reluFirst(z).scalars)
        let (gp, gr) = (gradients(of: loss(poolFirst, z), wrt: [z], createGraph: true)[0],
                        gradients(of: loss(reluFirst, z), wrt: [z], createGraph: true)[0])
        XCTAssertEqual(gp.scalars, gr.scalars)
        let s = randn([2, 3, 6, 6], seed: 13)
        XCTAssertEqual(gradients(of: (gp * gp * s).sum(), wrt: [z])[0].scalars, gradients(of: (gr * gr * s).sum(), wrt: [z])[0].scalars)
    }

    /// First and second derivatives of the whole network (conv, batch norm, ReLU, max-pool, head) with
    /// respect to its input and a conv's filters, by finite differences, on a tiny net (width 2, 16×16).
    func testGradientsThroughTheNetwork() {
        let net = Conv4(imageSize: 16, width: 2, ways: 3)
        let p = parameters(net, seed: 9)
        let x = randn([3, 1, 16, 16], seed: 10)
        checkGradients([p["block2.conv.weight"], p["block1.norm.scale"], p["head.weight"]]) { t in
            var q = p
            q["block2.conv.weight"] = t[0]; q["block1.norm.scale"] = t[1]; q["head.weight"] = t[2]
            return net.apply(q, x)
        }
    }
}

import ArgumentParser
import Foundation
import Tensors

/// `msr bench engine`: the tensor engine's speed and memory (issue: tensor engine). Build in release.
enum EngineBenchmark {
    /// The parts of the benchmark, each a table.
    enum Section: String, CaseIterable, ExpressibleByArgument {
        case matmul, convolution, metagradient, bookkeeping, memory
    }

    static func run(quick: Bool, sections: Set<Section> = Set(Section.allCases)) {
        let samples = quick ? 3 : 7
        let machine = MachineDescription.current()
        print(machine.line)
        let peak = MachineDescription.peakGFLOPS(samples: quick ? 3 : 5)
        print("measured multiply-add peak of this build, 1 thread: \(format(peak.gflops)) GFLOP/s (\(peak.form)); "
              + "memory bandwidth, 1 thread (triad): \(format(MachineDescription.bandwidthGBps(samples: quick ? 3 : 5))) GB/s")
        print("matmul backends: built-in kernels \(MatmulConfiguration.builtInKernelNames); BLAS: \(MatmulConfiguration.blasLibraryName ?? "none loaded")")
        #if DEBUG
        print("warning: this is a debug build; figures are meaningless. Use `swift run -c release msr bench engine`.")
        #endif
        if sections.contains(.matmul) { matmulTable(samples: samples, peak: peak.gflops) }
        if sections.contains(.convolution) { convolution(samples: samples) }
        if sections.contains(.metagradient) { metaGradient(samples: samples) }
        if sections.contains(.bookkeeping) { bookkeeping(samples: samples) }
        if sections.contains(.memory) { memory(repetitions: quick ? 200 : 1000) }
    }

    // MARK: - Matrix multiply

    /// One product to time: operand shapes (a leading batch axis allowed) and transpositions, as `Tensor.matmul` takes them.
    struct MatmulCase {
        let name: String, a: [Int], b: [Int], transposeA: Bool, transposeB: Bool

        init(_ name: String, _ a: [Int], _ b: [Int], transposeA: Bool = false, transposeB: Bool = false) {
            (self.name, self.a, self.b, self.transposeA, self.transposeB) = (name, a, b, transposeA, transposeB)
        }
    }

    static func matmulTable(samples: Int, peak: Double) {
        let cases: [MatmulCase] = [
            MatmulCase("64³", [64, 64], [64, 64]), MatmulCase("256³", [256, 256], [256, 256]),
            MatmulCase("1024³", [1024, 1024], [1024, 1024]),
            MatmulCase("20×70·70×68", [20, 70], [70, 68]), MatmulCase("4760×30·30×1", [4760, 30], [30, 1]),
            MatmulCase("18000×9·9×24", [18000, 9], [9, 24]),
            // The task-batched MSR-FC step's products for one group of 16 rank5 tasks (O = 68, I = 70, K = 30).
            MatmulCase("MSR-FC x·Ũ 16×70·70×2040", [16, 70], [70, 2040]),
            MatmulCase("MSR-FC Xᵀ·∂P 70×16·16×2040", [16, 70], [16, 2040], transposeA: true),
            MatmulCase("MSR-FC V·Uᵀ 16×30·30×4760", [16, 30], [4760, 30], transposeB: true),
            MatmulCase("MSR-FC ∂W·U 16×4760·4760×30", [16, 4760], [4760, 30]),
            MatmulCase("MSR-FC ∂Wᵀ·V 4760×16·16×30", [16, 4760], [16, 30], transposeA: true),
            MatmulCase("MSR-FC 16 × (19×70·70×68)", [16, 19, 70], [16, 68, 70], transposeB: true),
        ]
        let hasBLAS = MatmulConfiguration.blasLibraryName != nil
        var table = TextTable(header: ["matmul (Float32)", "built-in GFLOP/s", "of peak", "BLAS GFLOP/s", "built-in / BLAS"])
        for c in cases {
            let builtIn = matmulRate(c, backend: .builtIn, samples: samples)
            let blas = hasBLAS ? matmulRate(c, backend: .blas, samples: samples) : .nan
            table.add([c.name, format(builtIn), format(100 * builtIn / peak, 0) + "%", hasBLAS ? format(blas) : "—", hasBLAS ? format(builtIn / blas, 2) : "—"])
        }
        print("\n" + table.rendered)
        print("(whole Tensor op: allocation of the result included; median of \(samples) samples)")
    }

    /// GFLOP/s of one `Tensor.matmul` of random m×k · k×n Float32 matrices on `backend` (the whole op,
    /// allocation of the result included; median of `samples`).
    static func matmulRate(m: Int, n: Int, k: Int, backend: MatmulBackend, samples: Int) -> Double {
        matmulRate(MatmulCase("", [m, k], [k, n]), backend: backend, samples: samples)
    }

    /// GFLOP/s of one `Tensor.matmul` of random Float32 operands shaped as `c` says, on `backend`.
    static func matmulRate(_ c: MatmulCase, backend: MatmulBackend, samples: Int) -> Double {
        var g = SplitMix64(seed: 1)
        let a = Tensor.randomNormal(c.a, using: &g), b = Tensor.randomNormal(c.b, using: &g)
        guard let (batch, m, n, k) = try? Tensor.matmulShape(c.a, c.b, transposeA: c.transposeA, transposeB: c.transposeB) else {
            preconditionFailure("matmul benchmark case \(c.name): \(c.a) and \(c.b) do not multiply")
        }
        let flops = 2.0 * Double(batch.reduce(1, *) * m * n * k)
        return MatmulConfiguration.withBackend(backend) {
            flops / Measure.secondsPerCall(samples: samples) { _ = Tensor.matmul(a, b, transposeA: c.transposeA, transposeB: c.transposeB) } * 1e-9
        }
    }

    // MARK: - Convolution

    /// The convolutions MSR runs: the 2-D families' first layer (one input channel, 20 images) and the four layers of
    /// Conv4 on a 5-way 1-shot episode with 15 queries per class (80 images); forward alone and forward + backward
    /// (the weight's gradient, and the input's where the input is not data).
    static let convolutionShapes: [(name: String, n: Int, c: Int, size: Int, d: Int, padding: Int, inputGradient: Bool)] = [
        ("2-D family 20×1×32×32 → 24", 20, 1, 32, 24, 0, false),
        ("Conv4 1: 80×1×28×28 → 64", 80, 1, 28, 64, 1, false),
        ("Conv4 2: 80×64×14×14 → 64", 80, 64, 14, 64, 1, true),
        ("Conv4 3: 80×64×7×7 → 64", 80, 64, 7, 64, 1, true),
        ("Conv4 4: 80×64×3×3 → 64", 80, 64, 3, 64, 1, true),
    ]

    static func convolution(samples: Int) {
        var g = SplitMix64(seed: 2)
        var table = TextTable(header: ["conv2d 3×3", "algorithm", "fwd ms", "fwd GFLOP/s", "bwd ms", "bwd GFLOP/s"])
        for shape in convolutionShapes {
            let x = Tensor.randomNormal([shape.n, shape.c, shape.size, shape.size], using: &g)
            let w = Tensor.randomNormal([shape.d, shape.c, 3, 3], using: &g)
            // With a bias, as MSR's convolution layers have (Conv4's and the 2-D families').
            let bias = Tensor.randomNormal([shape.d], using: &g)
            let out = shape.size + 2 * shape.padding - 2
            // A fixed random output gradient: the loss ⟨y, r⟩ adds one elementwise product to the convolution's work.
            let r = Tensor.randomNormal([shape.n, shape.d, out, out], using: &g)
            // Forward 2·N·D·C·kh·kw·oh·ow; each gradient (weight, input) as much again.
            let forward = 2.0 * Double(shape.n * shape.d * shape.c * 9 * out * out)
            let both = forward * (shape.inputGradient ? 3 : 2)
            // im2col · W on each matmul backend, and image by image.
            var variants = MatmulBackend.allCases.filter { $0 == .builtIn || MatmulConfiguration.blasLibraryName != nil }
                .map { (name: "im2col, \($0.rawValue)", backend: $0, algorithm: ConvolutionAlgorithm.im2col) }
            variants.append((name: "image by image", backend: .builtIn, algorithm: .imageByImage))
            // Winograd F(2×2, 3×3) (forward, input gradient and weight gradient) where it can be chosen.
            if shape.c >= ConvolutionAlgorithm.winogradMinimumChannels {
                variants.append((name: "winograd", backend: .builtIn, algorithm: .winograd))
            }
            // Straight from the padded image (forward and weight gradient) where the windows have few taps.
            if shape.c * 9 <= ConvolutionAlgorithm.directMaximumTaps {
                variants.append((name: "direct", backend: .builtIn, algorithm: .direct))
            }
            for variant in variants {
                let (tf, tb) = ConvolutionAlgorithm.withForced(variant.algorithm) { MatmulConfiguration.withBackend(variant.backend) { () -> (Double, Double) in
                    let tf = Measure.secondsPerCall(samples: samples) {
                        _ = Tensor.conv2d(x, weight: w, bias: bias, padding: (shape.padding, shape.padding))
                    }
                    let tb = Measure.secondsPerCall(samples: samples) {
                        let (xl, wl, bl) = (shape.inputGradient ? x.requiringGradient() : x, w.requiringGradient(), bias.requiringGradient())
                        let y = Tensor.conv2d(xl, weight: wl, bias: bl, padding: (shape.padding, shape.padding))
                        _ = gradients(of: (y * r).sum(), wrt: shape.inputGradient ? [xl, wl, bl] : [wl, bl])
                    }
                    // The loss and its gradient alone, on a leaf of the output's shape: subtracted, it leaves the
                    // convolution's own backward.
                    let tl = Measure.secondsPerCall(samples: samples) {
                        let yl = r.requiringGradient()
                        _ = gradients(of: (yl * r).sum(), wrt: [yl])
                    }
                    return (tf, tb - tl)
                } }
                table.add([shape.name, variant.name, format(tf * 1e3, 3), format(forward / tf * 1e-9),
                           format((tb - tf) * 1e3, 3), format((both - forward) / (tb - tf) * 1e-9)])
            }
        }
        print("\n" + table.rendered)
        print("(fwd: with the layer's bias; bwd: the gradients of the weight, the bias and, where the input is not data, of the input, for the loss ⟨y, r⟩ with a fixed "
              + "random r: forward and backward, less the forward and less the loss's own forward and backward; GFLOP/s count the products only; "
              + "the default for each shape: "
              + convolutionShapes.map { shape in
                  let g = WindowGeometry(height: shape.size, width: shape.size, kernelHeight: 3, kernelWidth: 3, strideY: 1, strideX: 1,
                                         padY: shape.padding, padX: shape.padding)
                  return ConvolutionAlgorithm.choice(images: shape.n, channels: shape.c, outputs: shape.d, g).rawValue
              }.joined(separator: ", ") + ")")
    }

    // MARK: - Meta-gradient

    /// The `msr_fc` fixture problem (U 24×3, v 3, b 4; 2 inner steps; 2 support, 5 query examples) with
    /// random values: one second-order meta-gradient.
    static func msrFCMetaGradient(_ u: Tensor, _ v: Tensor, _ b: Tensor, _ lr: Tensor, _ data: [Tensor]) -> [Tensor] {
        let (leaves) = [u, v, b, lr].map { $0.requiringGradient() }
        func model(_ v: Tensor, _ b: Tensor, _ x: Tensor) -> Tensor {
            let w = Tensor.matmul(leaves[0], v.reshaped([3, 1])).reshaped([4, 6])
            return Tensor.matmul(x, w, transposeB: true) + b
        }
        var (vf, bf) = (leaves[1], leaves[2])
        for _ in 0..<2 {
            let loss = Tensor.meanSquaredError(model(vf, bf, data[0]), data[1])
            let g = gradients(of: loss, wrt: [vf, bf], createGraph: true)
            vf = vf - leaves[3] * g[0]
            bf = bf - leaves[3] * g[1]
        }
        let query = Tensor.meanSquaredError(model(vf, bf, data[2]), data[3])
        return gradients(of: query, wrt: leaves)
    }

    static func fixtureInputs() -> ([Tensor], [Tensor]) {
        var g = SplitMix64(seed: 3)
        let params = [Tensor.randomNormal([24, 3], using: &g), Tensor.randomNormal([3], using: &g),
                      Tensor.randomNormal([4], using: &g), Tensor(0.1)]
        let data = [[2, 6], [2, 4], [5, 6], [5, 4]].map { Tensor.randomNormal($0, using: &g) }
        return (params, data)
    }

    static func metaGradient(samples: Int) {
        let (p, data) = fixtureInputs()
        let t = Measure.secondsPerCall(samples: samples) { _ = msrFCMetaGradient(p[0], p[1], p[2], p[3], data) }
        print("\nsecond-order meta-gradient of the msr_fc fixture problem (Float32): \(format(1 / t, 0)) per second (\(format(t * 1e6)) µs each)")
    }

    // MARK: - Bookkeeping

    /// Time of a whole tensor op (shape checks, allocation, graph recording) against the same arithmetic
    /// in a bare loop over preallocated arrays.
    static func bookkeeping(samples: Int) {
        var table = TextTable(header: ["op (Float32)", "elements", "op µs", "bare loop µs", "bookkeeping share"])
        for n in [10_000, 100_000] {
            var g = SplitMix64(seed: 4)
            let x = Tensor.randomNormal([n / 100, 100], using: &g), y = Tensor.randomNormal([n / 100, 100], using: &g)
            let row = Tensor.randomNormal([100], using: &g)
            // Bare loops over raw pointers allocated once: the arithmetic alone.
            let xs = UnsafeMutablePointer<Float>.allocate(capacity: n), ys = UnsafeMutablePointer<Float>.allocate(capacity: n)
            let rs = UnsafeMutablePointer<Float>.allocate(capacity: 100), out = UnsafeMutablePointer<Float>.allocate(capacity: n)
            defer { xs.deallocate(); ys.deallocate(); rs.deallocate(); out.deallocate() }
            _ = UnsafeMutableBufferPointer(start: xs, count: n).initialize(from: x.floats)
            _ = UnsafeMutableBufferPointer(start: ys, count: n).initialize(from: y.floats)
            _ = UnsafeMutableBufferPointer(start: rs, count: 100).initialize(from: row.floats)
            let rows = n / 100
            let cases: [(String, () -> Void, () -> Void)] = [
                ("add", { _ = x + y }, { for i in 0..<n { out[i] = xs[i] + ys[i] } }),
                ("add, broadcast row", { _ = x + row }, {
                    for r in 0..<rows { for c in 0..<100 { out[r * 100 + c] = xs[r * 100 + c] + rs[c] } }
                }),
                ("multiply (recorded)", { _ = x.requiringGradient() * y }, { for i in 0..<n { out[i] = xs[i] * ys[i] } }),
                ("exp", { _ = x.exp() }, { for i in 0..<n { out[i] = Foundation.exp(xs[i]) } }),
                ("sum over rows", { _ = x.sum(axis: 1) }, {
                    for r in 0..<rows { var s: Float = 0; for c in 0..<100 { s += xs[r * 100 + c] }; out[r] = s }
                }),
                ("transpose", { _ = x.transposed() }, {
                    for r in 0..<rows { for c in 0..<100 { out[c * rows + r] = xs[r * 100 + c] } }
                }),
            ]
            for (name, op, loop) in cases {
                let tOp = Measure.secondsPerCall(samples: samples, op)
                let tLoop = Measure.secondsPerCall(samples: samples, loop)
                table.add([name, "\(n)", format(tOp * 1e6, 2), format(tLoop * 1e6, 2), format(max(0, 1 - tLoop / tOp) * 100, 0) + "%"])
            }
        }
        print("\n" + table.rendered)
        print("(bookkeeping share = 1 − bare loop / op: time spent outside the arithmetic, allocation of the result included)")
    }

    // MARK: - Memory

    static func memory(repetitions: Int) {
        let (p, data) = fixtureInputs()
        var readings: [(Int, Double)] = []
        for i in 1...repetitions {
            _ = msrFCMetaGradient(p[0], p[1], p[2], p[3], data)
            if i == 10 || i == repetitions / 10 || i == repetitions / 2 || i == repetitions, let m = Measure.residentMiB() {
                readings.append((i, m))
            }
        }
        print("\nresident memory over \(repetitions) repeated second-order meta-gradients: "
              + readings.map { "\($0.0): \(format($0.1)) MiB" }.joined(separator: ", "))
    }
}

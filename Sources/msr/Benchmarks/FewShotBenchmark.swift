import ArgumentParser
import Datasets
import Foundation
import MetaLearning
import NeuralNets
import Tensors

/// A method as `msr bench fewshot` measures it: the four few-shot methods, with MAML in both orders.
enum FewShotBenchmarkMethod: String, CaseIterable, ExpressibleByArgument, Sendable {
    case protonets, maml
    case mamlFirstOrder = "maml-fo"
    case anil, msr

    var method: FewShotMethod {
        switch self {
        case .protonets: return .protonets
        case .maml, .mamlFirstOrder: return .maml
        case .anil: return .anil
        case .msr: return .msr
        }
    }

    var firstOrder: Bool { self == .mamlFirstOrder }

    /// The protocol's PyTorch figure (`shared/paper/fewshot-protocol.md` and issue 7): tasks/s of the whole
    /// training loop on 5-way 1-shot Aug Omniglot, 2 threads, a machine like this one (±15%).
    var pytorchTasksPerSecond: Double? {
        switch self {
        case .protonets: return 15.3
        case .maml: return 12.3
        case .mamlFirstOrder: return 12.2
        case .anil, .msr: return nil
        }
    }
}

/// `msr bench fewshot`: meta-training tasks per second on 5-way 1-shot Aug Omniglot (the shipped subset,
/// the protocol's Conv4 with 64 channels, 15 queries per class, query augmentation), whole training step
/// (episode sampling and augmentation, forward, backward, Adam), beside the PyTorch figures; with the
/// floating-point work per task counted from the layer shapes and the rate it implies.
enum FewShotBenchmark {
    struct Settings {
        var methods: [FewShotBenchmarkMethod]
        var threads: Int
        /// Outer steps per timed sample for the methods with a meta-batch; ProtoNets (one episode per
        /// step) runs `steps × 8` steps, so every sample covers the same number of tasks.
        var steps: Int
        var warmupSteps: Int
        var repeats: Int
        var width: Int
        var queries: Int
        var matmulSamples: Int
        /// Run one more sample with `KernelProfile` on and print where its CPU time went.
        var timeSplit = true
    }

    static func run(_ s: Settings) throws {
        print(MachineDescription.current().line)
        print("few-shot meta-training speed: 5-way 1-shot Aug Omniglot (shipped subset), Conv4 width \(s.width), "
              + "\(s.queries) queries/class, \(s.threads) thread(s); \(s.repeats) timed samples of \(s.steps) outer steps "
              + "(ProtoNets: \(s.steps * 8) one-episode steps) after \(s.warmupSteps) warm-up steps; median")
        print("matmul: \(matmulSummary())")
        #if DEBUG
        print("warning: debug build; figures are meaningless. Use -c release (and -Xswiftc -target-cpu -Xswiftc native).")
        #endif
        let split = try Omniglot.cached(sources: Omniglot.defaultSources()).protocolSplit()
        let matmul = matmulRate(samples: s.matmulSamples)
        let peak = MachineDescription.peakGFLOPS()
        print("measured matmul rate (built-in path, 1 thread, \(matmul.shape)): \(format(matmul.gflops)) GFLOP/s; "
              + "ceiling for \(s.threads) thread(s): \(format(matmul.gflops * Double(s.threads))); multiply-add peak of this build, 1 thread: \(format(peak.gflops)) (\(peak.form)); "
              + "memory bandwidth, 1 thread (triad): \(format(MachineDescription.bandwidthGBps())) GB/s")

        var timeSplit = TextTable(header: TimeSplit.header(label: "method", unit: "task"))
        var table = TextTable(header: ["method", "tasks/s", "min–max", "CPU ms/task", "PyTorch tasks/s (recorded)", "ratio to recorded",
                                       "GFLOP/task", "GFLOP/s", "of matmul ceiling"])
        for m in s.methods {
            var c = FewShotConfiguration(method: m.method, ways: 5, shots: 1, queries: s.queries)
            c.width = s.width
            c.firstOrder = m.firstOrder
            let stepsPerSample = m == .protonets ? s.steps * 8 : s.steps
            let warmup = m == .protonets ? s.warmupSteps * 8 : s.warmupSteps
            c.steps = warmup + s.repeats * stepsPerSample
            let trainer = FewShotTrainer(
                configuration: c,
                trainEpisodes: try FewShotEpisodeSampler(classes: split.metaTrain, ways: 5, shots: 1, queries: s.queries,
                                                         queryAugmentation: .protocolDefault),
                testEpisodes: try FewShotEpisodeSampler(classes: split.metaTest, ways: 5, shots: 1, queries: s.queries,
                                                        queryAugmentation: .protocolDefault),
                threads: s.threads)
            var state = trainer.initialState()
            for _ in 0..<warmup { try trainer.step(&state) }
            var rates: [Double] = [], cpuPerTask: [Double] = []
            for _ in 0..<s.repeats {
                var failure: Error?
                let cpu0 = Measure.processCPUSeconds()
                let t = Measure.time {
                    do { for _ in 0..<stepsPerSample { try trainer.step(&state) } } catch { failure = error }
                }
                if let failure { throw failure }
                let tasks = Double(stepsPerSample * c.metaBatchSize)
                rates.append(tasks / t)
                cpuPerTask.append((Measure.processCPUSeconds() - cpu0) / tasks)
            }
            if s.timeSplit {
                // One more sample, profiled: the kernels' own CPU time by kind, and the rest (graph bookkeeping,
                // reference counting, sampling and augmentation, Adam), as shares of the sample's CPU time.
                timeSplit.add(try TimeSplit.row(m.rawValue, units: stepsPerSample * c.metaBatchSize) {
                    for _ in 0..<stepsPerSample { try trainer.step(&state) }
                })
            }
            let rate = Measure.median(rates)
            let flop = flopPerTask(m, width: s.width, queries: s.queries)
            let gflops = rate * flop * 1e-9
            let reference = m.pytorchTasksPerSecond
            table.add([m.rawValue, format(rate, 2), "\(format(rates.min()!, 1))–\(format(rates.max()!, 1))",
                       format(Measure.median(cpuPerTask) * 1e3, 0),
                       reference.map { format($0) } ?? "—", reference.map { format(rate / $0, 2) + "×" } ?? "—",
                       format(flop * 1e-9, 2), format(gflops), format(100 * gflops / (matmul.gflops * Double(s.threads)), 0) + "%"])
        }
        print("\n" + table.rendered)
        if s.timeSplit {
            print("\nWhere the CPU time goes (one more sample with kernel profiling on; shares of its CPU time, all threads):")
            print(timeSplit.rendered)
            print(TimeSplit.legend)
        }
        print("(CPU ms/task: user + system time of this process per task, all threads; less sensitive than tasks/s to "
              + "other processes on a busy machine.)")
        print("(GFLOP/task: conv and linear multiply-adds counted from the shapes — forward, backward, and the second-order "
              + "part for MAML and MSR; elementwise ops, batch norm and pooling not counted. PyTorch figures: "
              + "shared/paper/fewshot-protocol.md, ±15%, recorded on an earlier (AVX-512) machine: a speed claim needs "
              + "shared/reference/fewshot_pytorch run beside this one — on an AVX2 EPYC it gave 7.25 (ProtoNets) and "
              + "6.07 (second-order MAML) tasks/s.)")
    }

    // MARK: - Matmul rate

    /// The built-in kernel's rate on the largest conv product of Conv4 on 28×28 (block 2: weight 64×576 ·
    /// im2col 576×196), one thread, measured as `msr bench engine` measures its table.
    static func matmulRate(samples: Int) -> (shape: String, gflops: Double) {
        let (m, n, k) = (64, 196, 576)
        let rate = EngineBenchmark.matmulRate(m: m, n: n, k: k, backend: .builtIn, samples: samples)
        return ("\(m)×\(k)·\(k)×\(n)", rate)
    }

    // MARK: - Work per task

    /// Multiply-adds of Conv4's products for a batch of one image: per conv block (weight D×K times im2col
    /// K×L), and the head. `inputGradient` leaves out block 1 (its input is data and gets no gradient).
    struct Work {
        var convBlocks: [Double]   // multiply-adds of each conv block's forward pass, per image
        var head: Double           // of the head, per image (0 when headless)
        var forward: Double { convBlocks.reduce(0, +) + head }
        /// Backward pass per image: the weight gradient of every layer and the input gradient of all but
        /// the first.
        var backward: Double { forward + convBlocks.dropFirst().reduce(0, +) + head }
    }

    static func work(width: Int, ways: Int?, imageSize: Int = 28, inputChannels: Int = 1) -> Work {
        var side = imageSize, channels = inputChannels
        var blocks: [Double] = []
        for _ in 0..<Conv4.blockCount {
            blocks.append(Double(width * channels * 9 * side * side))
            channels = width
            side /= 2
        }
        let embedding = width * side * side
        return Work(convBlocks: blocks, head: Double(embedding * (ways ?? 0)))
    }

    /// Floating-point operations (2 per multiply-add) of one meta-training task, counted from the shapes.
    ///
    /// With F the forward and B the backward multiply-adds per image, S support and Q query images:
    /// - ProtoNets: (S + Q)(F + B) (one batch, one backward).
    /// - first-order MAML: (S + Q)(F + B) (the inner gradient is a constant).
    /// - ANIL: (S + Q)(F + B) for the body (the head's inner loop is negligible).
    /// - second-order MAML and MSR: Q(F + B) + S(F + B) + S·(2B + B): the meta-gradient runs backward through
    ///   the recorded inner backward pass (each of its products has two operands that need gradients: about
    ///   twice its cost) and then through the support forward pass again.
    /// MSR adds the symmetry products W = (A ⊗ B ⊗ C)·w, three contractions per layer, and their backward.
    static func flopPerTask(_ m: FewShotBenchmarkMethod, width: Int, queries: Int, ways: Int = 5, shots: Int = 1) -> Double {
        let s = Double(ways * shots), q = Double(ways * queries)
        let w = work(width: width, ways: m == .protonets ? nil : ways)
        let f = w.forward, b = w.backward
        var macs: Double
        switch m {
        case .protonets, .mamlFirstOrder, .anil:
            macs = (s + q) * (f + b)
        case .maml, .msr:
            macs = (s + q) * (f + b) + s * 3 * b
        }
        if m == .msr {
            // Per layer: w (D, C, 9) contracted with D×D, C×C and 9×9 factors; forward, in the inner
            // gradient, and their backward passes (two products each): about 1 + 3 + 3·2 = 10 times.
            var c = 1
            for _ in 0..<Conv4.blockCount {
                let elements = Double(width * c * 9)
                macs += 10 * elements * Double(width + c + 9)
                c = width
            }
        }
        return 2 * macs
    }
}

import Foundation
import MetaLearning
import Tensors

/// `msr bench train`: outer steps per second of meta-training (no evaluations), on one thread and on all
/// cores, against the reference PyTorch code's figures measured on a machine like this one.
enum TrainingBenchmark {
    /// Reference code, 1 thread, this machine kind (`../shared/paper/README.md`), steps/s.
    static func reference(_ problem: SyntheticProblem, _ model: RegressionModel) -> Double? {
        switch (problem, model) {
        case (.rotation8, .msrConv): return 4.0   // 2 threads (the README's 2-D figure)
        case (.rank1, .fc): return 27.9
        case (.rank1, .lc): return 28.0
        case (.rank1, .conv): return 24.5
        case (.rank1, .msrFC): return 25.7
        case (.rank5, .conv): return 25.5
        case (.rank5, .msrFC): return 15.7
        default: return nil
        }
    }

    static func run(problem: SyntheticProblem, models: [RegressionModel], steps: Int, repeats: Int, threadCounts: [Int]) throws {
        print("meta-training speed: \(problem), \(steps) outer steps per sample (after 10 warm-up steps), median of \(repeats); "
              + "defaults otherwise (meta-batch 32, 1 support / 19 query, second order)")
        print(MachineDescription.current().line)
        print("matmul: \(matmulSummary())")
        #if DEBUG
        print("warning: debug build; use -c release")
        #endif
        // The reference figures are recorded from an earlier machine of this kind; a speed claim needs the reference
        // run beside this one (`../shared/reference/synthetic/run.sh`), on the same machine at the same time.
        var table = TextTable(header: ["model", "threads", "steps/s", "ms/step", "recorded reference steps/s (earlier machine)", "ratio to it", "RSS MiB after 1st / last sample"])
        var timeSplit = TextTable(header: TimeSplit.header(label: "model, threads", unit: "step"))
        for model in models {
            var experiment = RegressionExperiment(problem: problem, model: model)
            experiment.training.steps = steps + 10
            for threads in threadCounts {
                let trainer = try experiment.trainer(threads: threads)
                var rates: [Double] = []
                var memory: [Double] = []
                for _ in 0..<repeats {
                    var state = trainer.initialState()
                    for _ in 0..<10 { try trainer.step(&state) }
                    let t = try Measure.time { for _ in 0..<steps { try trainer.step(&state) } }
                    rates.append(Double(steps) / t)
                    memory.append(Measure.residentMiB() ?? .nan)
                }
                // One more sample, profiled: where a step's CPU time goes.
                var state = trainer.initialState()
                for _ in 0..<10 { try trainer.step(&state) }
                timeSplit.add(try TimeSplit.row("\(model.rawValue), \(threads)", units: steps) {
                    for _ in 0..<steps { try trainer.step(&state) }
                })
                let rate = Measure.median(rates)
                let ref = reference(problem, model)
                table.add([model.rawValue, "\(threads)", format(rate), format(1000 / rate, 2), ref.map { format($0) } ?? "—",
                           ref.map { format(rate / $0) + "×" } ?? "—", "\(format(memory.first!, 0)) / \(format(memory.last!, 0))"])
            }
        }
        print("\n" + table.rendered)
        print("\nWhere the CPU time goes (one more sample per row with kernel profiling on; shares of its CPU time, all threads):")
        print(timeSplit.rendered)
        print(TimeSplit.legend)
    }
}

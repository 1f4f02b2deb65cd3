import ArgumentParser

extension MSR {
    /// `msr bench`: speed and memory benchmarks. Run them from a release build.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Benchmarks (build with -c release).",
            subcommands: [Engine.self])

        struct Engine: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Tensor engine: matmul GFLOP/s, conv2d, meta-gradients per second, op overhead, memory.")

            @Flag(help: "Fewer samples and repetitions (for a smoke test).")
            var quick = false

            func run() throws { EngineBenchmark.run(quick: quick) }
        }
    }
}

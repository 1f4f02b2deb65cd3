import ArgumentParser

/// The `msr` tool. Each subcommand lives in its own file.
@main
struct MSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "msr",
        abstract: "Meta-learning symmetries by reparameterization (Zhou, Knowles & Finn, ICLR 2021).",
        subcommands: [Train.self, Eval.self, Inspect.self, Snap.self, Export.self, Plot.self, Reproduce.self, Generate.self, Bench.self])

    /// The allocator's caches first (`AllocatorLaunch`: a restart with glibc tuned for the step's many small
    /// blocks), then the command.
    static func main() {
        AllocatorLaunch.restartIfUseful()
        main(nil)
    }
}

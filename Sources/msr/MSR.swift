import ArgumentParser

@main
struct MSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "msr",
        abstract: "Meta-learning symmetries by reparameterization.",
        subcommands: [])
}

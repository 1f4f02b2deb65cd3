import Tensors

/// One profiled sample of a benchmark: the CPU time of `body` per unit of work (task or step) and the shares of
/// it that each kind of kernel claimed (`KernelProfile`), with what no kernel claims as `rest`.
enum TimeSplit {
    /// The table's header: the sample's label, CPU ms per unit, the kinds, the rest.
    static func header(label: String, unit: String) -> [String] {
        [label, "CPU ms/\(unit)"] + KernelProfile.Kind.allCases.map(\.name) + ["rest"]
    }

    /// Runs `body` (which does `units` units of work) with profiling on; its table row.
    static func row(_ label: String, units: Int, _ body: () throws -> Void) throws -> [String] {
        let cpu0 = Measure.processCPUSeconds()
        let profile = try KernelProfile.measuring(body)
        let cpu = Measure.processCPUSeconds() - cpu0
        let claimed = profile.seconds.values.reduce(0, +)
        let share = { (t: Double) in format(100 * t / cpu, 0) + "%" }
        return [label, format(cpu / Double(max(units, 1)) * 1e3, units > 0 && cpu / Double(units) < 0.01 ? 2 : 0)]
            + KernelProfile.Kind.allCases.map { share(profile.seconds[$0] ?? 0) } + [share(max(0, cpu - claimed))]
    }

    /// What the columns mean, printed under the table.
    static let legend = "(Each kernel's own time: products = every matrix product (convolutions as im2col · W, Winograd's 16 "
        + "products, their gradients, linear layers); im2col/transforms = unfolding and folding images, and Winograd's transforms; allocation = malloc of tensor buffers; rest = what no kernel claims: graph recording and release, "
        + "reference counting, task sampling and augmentation, Adam's loops. Times are each thread's CPU time; profiling adds "
        + "under 1 µs per kernel call.)"
}

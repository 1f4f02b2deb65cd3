/// A hyper-parameter outside the range a run needs, found by `TrainingConfiguration.validate()` — the one
/// check of a configuration, whether it came from the command line or from a checkpoint's metadata.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// The command-line flag that sets it, e.g. `--meta-batch`.
    public var flag: String
    /// What the run needs, e.g. `at least 1`, `a finite number`.
    public var requirement: String
    /// The value found, as text.
    public var found: String

    public init(flag: String, requirement: String, found: String) {
        self.flag = flag
        self.requirement = requirement
        self.found = found
    }

    public var description: String { "\(flag) must be \(requirement), got \(found)." }

    /// Throws unless `value ≥ minimum`.
    public static func require(_ value: Int, atLeast minimum: Int, _ flag: String) throws {
        if value < minimum { throw ConfigurationError(flag: flag, requirement: "at least \(minimum)", found: "\(value)") }
    }

    /// Throws unless `value` lies in `range`.
    public static func require(_ value: Int, in range: ClosedRange<Int>, _ flag: String) throws {
        if !range.contains(value) {
            throw ConfigurationError(flag: flag, requirement: "from \(range.lowerBound) to \(range.upperBound)", found: "\(value)")
        }
    }

    /// Throws unless `value` is finite (and positive, when asked).
    public static func requireFinite(_ value: Double, positive: Bool = false, _ flag: String) throws {
        if !value.isFinite || (positive && value <= 0) {
            throw ConfigurationError(flag: flag, requirement: positive ? "a finite positive number" : "a finite number", found: "\(value)")
        }
    }
}

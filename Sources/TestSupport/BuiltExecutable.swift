import Foundation

/// The executable `name` built beside the test bundle (SwiftPM puts products and the `.xctest` bundle in one
/// folder), for tests that run the command-line tool as a user would. When it is not found the returned URL
/// names where it was expected, so a test can skip with a clear message.
public func builtExecutable(named name: String) -> URL {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [bundleDirectory, Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return bundleDirectory.appendingPathComponent(name)
}

import Foundation

/// Timing helpers for benchmarks: medians of repeated samples (this machine is noisy).
enum Measure {
    /// Seconds per call of `body`: each sample runs it enough times to last about `sampleSeconds`; the
    /// median of `samples` samples is returned.
    static func secondsPerCall(samples: Int = 7, sampleSeconds: Double = 0.05, _ body: () -> Void) -> Double {
        body()  // warm-up
        var repetitions = 1
        while true {
            let t = time { for _ in 0..<repetitions { body() } }
            if t >= sampleSeconds / 4 || repetitions >= 1 << 20 {
                repetitions = max(1, Int(Double(repetitions) * sampleSeconds / max(t, 1e-9)))
                break
            }
            repetitions *= 4
        }
        var times: [Double] = []
        for _ in 0..<samples { times.append(time { for _ in 0..<repetitions { body() } } / Double(repetitions)) }
        return median(times)
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// User + system CPU seconds of this process so far, all threads (getrusage).
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Resident set size of this process in MiB (Linux /proc/self/statm), or nil elsewhere.
    static func residentMiB() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / (1024 * 1024)
    }
}

/// A plain text table with right-aligned columns.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    mutating func add(_ row: [String]) { rows.append(row) }

    var rendered: String {
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ r: [String]) -> String {
            r.enumerated().map { i, s in i == 0 ? s.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[i] - s.count) + s }.joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
            .joined(separator: "\n")
    }
}

func format(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }

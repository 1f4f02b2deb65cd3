import Foundation

/// Progress of a long run: on a terminal, a bar redrawn in place on standard error (step, loss, speed,
/// time left); otherwise nothing per step. Evaluation lines go to standard output either way.
final class ProgressDisplay {
    let total: Int
    let label: String
    let isTerminal = isatty(STDERR_FILENO) == 1
    private var start = Date()
    private var startStep: Int
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(total: Int, startStep: Int = 0, label: String = "") {
        self.total = total
        self.startStep = startStep
        self.label = label
    }

    func step(_ step: Int, loss: Double) {
        guard isTerminal else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(step - startStep) / max(elapsed, 1e-9)
        let width = 30
        let filled = total > 0 ? width * step / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let left = rate > 0 ? Double(total - step) / rate : 0
        let line = "\(label)[\(bar)] \(step)/\(total)  loss \(String(format: "%.4f", loss))  "
            + "\(String(format: "%.1f", rate)) steps/s  \(String(format: "%.0f", left)) s left"
        FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        drawn = true
    }

    /// Prints a line (clearing the bar first on a terminal).
    func message(_ text: String) {
        clear()
        print(text)
        fflush(stdout)
    }

    func clear() {
        if drawn {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            drawn = false
        }
    }
}

/// Set by SIGINT/SIGTERM: long runs stop at the next step, save, and exit.
enum Interruption {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func install() {
        signal(SIGINT) { _ in Interruption.flag = 1 }
        signal(SIGTERM) { _ in Interruption.flag = 1 }
    }
}

import Foundation
public import LabCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error without buffering surprises.
enum StandardError {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// Draws progress on standard error: a redrawn bar with rate and ETA on a terminal, and a
/// plain line every few seconds otherwise (CI logs), so long work never looks hung.
public final class TerminalProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal: Bool
    private let minimumInterval: Double
    private var total: Int?
    private var started = Date()
    private var lastDraw = Date.distantPast
    private let unit: String

    /// - Parameter unit: what one unit of work is called in the rate ("leaves", "tok").
    public init(unit: String = "items") {
        self.unit = unit
        self.isTerminal = isatty(STDERR_FILENO) != 0
        self.minimumInterval = isTerminal ? 0.1 : 5.0
    }

    public func report(_ event: ProgressEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let task, let total):
            self.total = total
            started = Date()
            lastDraw = .distantPast
            if !isTerminal { StandardError.write("\(task): started\n") }
        case .advanced(let task, let completed, let detail):
            let now = Date()
            guard now.timeIntervalSince(lastDraw) >= minimumInterval || completed == total else { return }
            lastDraw = now
            draw(task: task, completed: completed, detail: detail, now: now)
        case .finished(let task):
            let elapsed = Date().timeIntervalSince(started)
            let line = "\(task): done in \(Self.formatDuration(elapsed))"
            StandardError.write(isTerminal ? "\r\u{1B}[2K\(line)\n" : "\(line)\n")
        case .stopped(let task, let reason):
            let elapsed = Date().timeIntervalSince(started)
            let line = "\(task): \(reason) after \(Self.formatDuration(elapsed))"
            StandardError.write(isTerminal ? "\r\u{1B}[2K\(line)\n" : "\(line)\n")
        }
    }

    private func draw(task: String, completed: Int, detail: String, now: Date) {
        let elapsed = max(now.timeIntervalSince(started), 1e-9)
        let rate = Double(completed) / elapsed
        var line = task + " "
        if let total, total > 0 {
            let fraction = min(1, Double(completed) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(completed)/\(total)"
            if completed > 0 && completed < total {
                line += " ETA \(Self.formatDuration(Double(total - completed) / max(rate, 1e-9)))"
            }
        } else {
            line += "\(completed)"
        }
        // Slow work (a few samples a minute) reads better per minute than as "0.0/s".
        line += rate >= 1 || rate == 0 ? String(format: " %.1f %@/s", rate, unit) : String(format: " %.1f %@/min", rate * 60, unit)
        if !detail.isEmpty { line += " " + detail }
        StandardError.write(isTerminal ? "\r\u{1B}[2K\(line)" : "\(line)\n")
    }

    static func formatDuration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return String(format: "%.1fs", seconds) }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", (total % 3600) / 60))m"
    }
}

import Foundation
import Synchronization

/// How many cores are free right now: the engine's default thread count on a shared machine.
///
/// A decode step hands hundreds of short jobs to worker threads that wait for each other; when
/// another process holds one of the cores, the worker on it runs late every step and asking for
/// every core decodes several times slower than one thread would (measured: 41 against 147 tokens/s
/// on 2 cores with one busy). So the default is the cores that were idle over a short sample of
/// /proc/stat, at least one; `--threads` still sets it exactly.
public enum CoreAvailability {
    /// Whether `defaultThreads()` samples the machine (the CLI turns this on, with a way to say
    /// what it chose) or takes every core (the library default, so tests and embedders get a
    /// fixed count).
    private static let sampling = Mutex<(enabled: Bool, report: (@Sendable (_ idle: Int, _ cores: Int) -> Void)?)>((false, nil))

    public static func sampleIdleCores(report: (@Sendable (_ idle: Int, _ cores: Int) -> Void)?) {
        sampling.withLock { $0 = (true, report) }
    }

    /// Every core, or — when sampling is on — the cores idle over the last `milliseconds`.
    public static func defaultThreads(milliseconds: Int = 200) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (enabled, report) = sampling.withLock { $0 }
        guard enabled, cores > 1, let idle = idleCores(cores: cores, milliseconds: milliseconds) else { return cores }
        if idle < cores { report?(idle, cores) }
        return idle
    }

    /// Cores idle over a sample of `milliseconds`, rounded to the nearest whole core and at least
    /// one; nil when /proc/stat cannot be read (not Linux).
    public static func idleCores(cores: Int, milliseconds: Int) -> Int? {
        guard let first = readTimes(), let ownFirst = ownTime() else { return nil }
        Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
        guard let second = readTimes(), let ownSecond = ownTime() else { return nil }
        // This process's own threads (OpenBLAS's, spinning after they start) are not other work.
        let own = Double(ownSecond - ownFirst)
        let busy = max(0, Double(second.busy - first.busy) - own), total = Double(second.total - first.total)
        guard total > 0 else { return nil }
        let busyCores = busy / total * Double(cores)
        return min(cores, max(1, Int((Double(cores) - busyCores).rounded())))
    }

    /// This process's user + system time in clock ticks (/proc/self/stat fields 14 and 15, the
    /// unit of /proc/stat).
    static func ownTime() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3 (state).
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    /// The aggregate `cpu` line of /proc/stat: jiffies busy and in all.
    static func readTimes() -> (busy: UInt64, total: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard fields.count >= 5 else { return nil }
        let total = fields.reduce(0, +), idle = fields[3] + fields[4]
        return (total - idle, total)
    }
}

import Foundation
import LabCore
import Testing

@Suite("Free cores")
struct CoreAvailabilityTests {
    @Test("the library default is every core; a sample counts between one core and all of them")
    func sample() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(CoreAvailability.defaultThreads() == cores, "sampling is off unless the CLI turns it on")
        let idle = try #require(CoreAvailability.idleCores(cores: cores, milliseconds: 50), "/proc/stat is readable on Linux")
        #expect((1...cores).contains(idle))
    }

    @Test("a core kept busy by another thread is counted as busy", .enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2))
    func busyCore() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let stop = Stop()
        let spinner = Thread {
            var x: UInt64 = 1
            while !stop.isSet { x = x &* 6364136223846793005 &+ 1 }
            _ = x
        }
        spinner.start()
        defer { stop.set() }
        Thread.sleep(forTimeInterval: 0.05)
        let idle = try #require(CoreAvailability.idleCores(cores: cores, milliseconds: 300))
        // The spinning thread holds one core; other tests may hold more, never fewer.
        #expect(idle <= cores - 1, "\(idle) of \(cores) cores idle while one spins")
    }
}

private final class Stop: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

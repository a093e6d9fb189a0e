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

    @Test("a core kept busy by another process is counted as busy; this process's own threads are not",
          .enabled(if: ProcessInfo.processInfo.activeProcessorCount >= 2))
    func busyCore() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // `yes` for 0.8 s in another process, started from another thread (it returns when it ends).
        let done = DispatchSemaphore(value: 0)
        Thread {
            _ = Subprocess.run("/bin/sh", ["-c", "timeout 0.8 yes > /dev/null"])
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.1)
        let sampled = CoreAvailability.idleCores(cores: cores, milliseconds: 300)
        done.wait()
        let idle = try #require(sampled)
        // `yes` holds one core; other tests may hold more, never fewer.
        #expect(idle <= cores - 1, "\(idle) of \(cores) cores idle while another process spins")
    }
}

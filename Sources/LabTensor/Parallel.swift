import Dispatch
import Foundation
import Synchronization

/// Runs `body` over `count` items split into at most `threads` contiguous ranges, in parallel
/// when there is more than one range. Ranges get at least `minimumPerThread` items, so small
/// jobs stay on the calling thread where handing them off would cost more than it saves.
///
/// `body` runs concurrently with itself: each call must write only memory that belongs to its
/// own range (the kernels split output rows or heads this way).
public func parallelRanges(count: Int, threads: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let parts = max(1, min(threads, count / max(1, minimumPerThread)))
    if parts == 1 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        let work = DisjointRangeWork(body: escapable)
        let part: @Sendable (Int) -> Void = { part in
            work.body((part * count / parts)..<((part + 1) * count / parts))
        }
        if !WorkerPool.shared.run(parts: parts, part) {
            DispatchQueue.concurrentPerform(iterations: parts, execute: part)
        }
    }
}

/// Runs `body` over `count` items in chunks that the threads take in turn until none is left,
/// rather than one fixed share each: a prompt's products, where a thread whose core is slowed by
/// another process (or by its neighbour on the host) would otherwise make the other wait — with
/// fixed shares the product ends when the slowest share does. Chunk boundaries are multiples of
/// `multiple` (a kernel's tile height), about `chunksPerThread` chunks per thread, fewer when
/// that would leave chunks of under about `minimumPerChunk` items (chunk sizes differ by at most
/// one `multiple`). The calls' ranges are disjoint and cover `count`.
///
/// `body` runs concurrently with itself under the same contract as `parallelRanges`.
public func parallelChunks(
    count: Int, threads: Int, multiple: Int = 1, minimumPerChunk: Int = 1, chunksPerThread: Int = 4,
    _ body: (Range<Int>) -> Void
) {
    guard count > 0 else { return }
    let unit = max(1, multiple)
    let units = (count + unit - 1) / unit
    let parts = max(1, min(threads, count / max(1, minimumPerChunk)))
    let chunks = min(units, max(parts, min(parts * max(1, chunksPerThread), count / max(1, minimumPerChunk))))
    if parts == 1 || chunks <= 1 {
        body(0..<count)
        return
    }
    // Chunk c covers units [c·units/chunks, (c+1)·units/chunks): sizes differ by at most one unit.
    let bounds: @Sendable (Int) -> Range<Int> = { c in
        (c * units / chunks * unit)..<min(count, (c + 1) * units / chunks * unit)
    }
    withoutActuallyEscaping(body) { escapable in
        let work = DisjointRangeWork(body: escapable)
        let counter = ChunkCounter()
        let part: @Sendable (Int) -> Void = { _ in
            while true {
                let c = counter.next.add(1, ordering: .relaxed).oldValue
                guard c < chunks else { return }
                let range = bounds(c)
                if !range.isEmpty { work.body(range) }
            }
        }
        if !WorkerPool.shared.run(parts: parts, part) {
            DispatchQueue.concurrentPerform(iterations: parts, execute: part)
        }
    }
}

/// The next chunk of a `parallelChunks` job, shared by its threads.
private final class ChunkCounter: Sendable {
    let next = Atomic<Int>(0)
}

/// The body of `parallelRanges`, whose calls write disjoint memory by contract.
private struct DisjointRangeWork: @unchecked Sendable {
    let body: (Range<Int>) -> Void
}

/// Threads that stay awake between jobs for a short while, spinning on a generation counter.
///
/// A decode step hands about two hundred small jobs (one per matrix product, each tens of
/// microseconds) to the other cores. Waking a sleeping thread for each costs a futex round trip
/// of several microseconds, and a worker that wakes late leaves its share to the caller — with
/// `DispatchQueue.concurrentPerform` a third of decode time went to that. Workers here spin
/// (yielding the core when another thread wants it) for `spinDuration` after each job, then
/// sleep on a condition until the next.
///
/// One job runs at a time; a caller that finds the pool busy (another thread's job, or a job
/// started from inside a job) gets `false` and runs its parts some other way.
final class WorkerPool: @unchecked Sendable {
    // @unchecked: `job` and `parts` are written by the submitter while it holds `busy`, before
    // it publishes them by incrementing `generation` and after every worker has acknowledged
    // the previous job; workers read them only after an acquire load sees that generation.

    /// Sized for every active core; a job may use fewer.
    static let shared = WorkerPool(workers: ProcessInfo.processInfo.activeProcessorCount - 1)

    /// How long an idle worker keeps checking for work before it sleeps.
    static let spinDuration: UInt64 = 200_000  // nanoseconds

    private let workerCount: Int
    private let busy = Mutex<Bool>(false)
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = NSCondition()
    private var job: (@Sendable (Int) -> Void)?
    private var parts = 0

    init(workers: Int) {
        workerCount = max(0, workers)
        for index in 0..<workerCount {
            let thread = Thread { [unowned self] in self.workerLoop(index: index + 1) }
            thread.name = "synthlab-worker-\(index + 1)"
            thread.start()
        }
    }

    /// Runs part(0) ..< part(parts) with part 0 on the calling thread; returns after every part
    /// has finished, or returns false at once (running nothing) when the pool is busy or has too
    /// few workers.
    func run(parts: Int, _ part: @escaping @Sendable (Int) -> Void) -> Bool {
        guard parts - 1 <= workerCount, busy.withLock({ held in
            if held { return false }
            held = true
            return true
        }) else { return false }
        defer { busy.withLock { $0 = false } }

        job = part
        self.parts = parts
        // Every worker acknowledges every job, those without a part too, so none can still be
        // reading `job` or `parts` when the next job replaces them.
        remaining.store(workerCount, ordering: .relaxed)
        // Sequentially consistent with the sleeper's increment and check: either it sees this
        // generation, or this sees it asleep and wakes it.
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            wake.lock()
            wake.broadcast()
            wake.unlock()
        }
        part(0)
        var spins = 0
        while remaining.load(ordering: .acquiring) > 0 {
            spins += 1
            if spins > 1000 { sched_yield() }
        }
        job = nil
        return true
    }

    private func workerLoop(index: Int) {
        // Generation 0 is the pool's start, before any job: a thread that starts late still
        // takes the first job.
        var seen = 0
        while true {
            seen = waitForGeneration(after: seen)
            if index < parts, let job { job(index) }
            remaining.subtract(1, ordering: .releasing)
        }
    }

    /// Spins until the generation moves past `seen`, then sleeps if it doesn't within
    /// `spinDuration`; returns the new generation.
    private func waitForGeneration(after seen: Int) -> Int {
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.spinDuration
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            if spins & 63 == 0 {
                if DispatchTime.now().uptimeNanoseconds > deadline { break }
                sched_yield()
            }
        }
        wake.lock()
        defer { wake.unlock() }
        sleepers.add(1, ordering: .sequentiallyConsistent)
        defer { sleepers.subtract(1, ordering: .relaxed) }
        while true {
            let current = generation.load(ordering: .sequentiallyConsistent)
            if current != seen { return current }
            wake.wait()
        }
    }
}

import Dispatch

/// Runs `body` over `count` items split into at most `threads` contiguous ranges, in parallel
/// when there is more than one range. Ranges get at least `minimumPerThread` items, so small
/// jobs stay on the calling thread where dispatch would cost more than it saves.
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
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            work.body((part * count / parts)..<((part + 1) * count / parts))
        }
    }
}

/// The body of `parallelRanges`, whose calls write disjoint memory by contract.
private struct DisjointRangeWork: @unchecked Sendable {
    let body: (Range<Int>) -> Void
}

import Foundation

/// Runs async work from synchronous code and waits for its result (a training job between its
/// steps, a synchronous command on the main thread). Never call it on the concurrency pool: the
/// thread it blocks could be the one the work needs.
public func waitForAsync<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = AsyncResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()
}

private final class AsyncResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { lock.withLock { result = value } }
    func get() throws -> T {
        // Set before the semaphore is signalled, so always present after the wait.
        guard let result = lock.withLock({ result }) else { preconditionFailure("waited without a result") }
        return try result.get()
    }
}

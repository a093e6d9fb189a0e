import Foundation
public import LabCore
public import LabStore

/// A teacher behind the store's content-addressed cache: a request asked before (by this run, an
/// interrupted one, or any run with the same teacher) is answered from the store, and every new
/// answer is stored before it is used, so a crash never costs a teacher call twice.
public struct CachedTeacher: Sendable {
    public let teacher: any TextGenerator
    public let store: SampleStore
    public let runID: Int64
    /// Extra attempts after a failed call (connection errors, a crashed request), with backoff.
    public let retries: Int
    /// Counts calls and tokens for the run's progress line.
    let meter: TeacherMeter

    public init(teacher: any TextGenerator, store: SampleStore, runID: Int64, retries: Int = 2) {
        self.teacher = teacher
        self.store = store
        self.runID = runID
        self.retries = retries
        self.meter = TeacherMeter()
    }

    /// The completions for `request` and their stored response ids.
    public func generate(_ request: GenerationRequest) async throws -> (responseIDs: [Int64], result: GenerationResult) {
        let key = try RequestKey.make(teacher: teacher.identity, request: request)
        if let cached = try store.cachedResult(forKey: key), cached.result.completions.count == request.count {
            try store.noteRequest(runID: runID, key: key)
            meter.record(cached: true, result: cached.result)
            return cached
        }
        var attempt = 0
        while true {
            try Task.checkCancellation()
            do {
                meter.callStarted()
                defer { meter.callEnded() }
                let result = Self.storable(try await teacher.generate(request))
                let ids = try store.recordResult(key: key, teacher: teacher.identity, request: request, result: result, runID: runID)
                meter.record(cached: false, result: result)
                return (ids, result)
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as StoreError {
                throw error
            } catch let error as any FatalTeacherError {
                meter.recordFailure()
                throw error  // the teacher retried already
            } catch {
                meter.recordFailure()
                guard attempt < retries else { throw error }
                attempt += 1
                try await Task.sleep(nanoseconds: UInt64(0.1 * pow(2, Double(attempt)) * 1e9))
            }
        }
    }
}

extension CachedTeacher {
    /// `result` as the store gives it back. SQLite's text columns end at a NUL character, which
    /// a teacher can emit (a small model's byte tokens, a JSON "\u0000"); each one becomes
    /// U+FFFD, the detokenizer's mark for bytes that aren't text. The run then uses exactly the
    /// text it stored, so a resumed run, answered from the store, parses the same replies as
    /// the run it continues.
    static func storable(_ result: GenerationResult) -> GenerationResult {
        var result = result
        for index in result.completions.indices where result.completions[index].text.utf8.contains(0) {
            let scalars = result.completions[index].text.unicodeScalars.map { $0.value == 0 ? "\u{FFFD}" : $0 }
            result.completions[index].text = String(String.UnicodeScalarView(scalars))
        }
        return result
    }
}

/// Teacher usage of a run so far (thread-safe; read by the progress line).
final class TeacherMeter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls = 0
    private(set) var cachedCalls = 0
    private(set) var failedCalls = 0
    private(set) var completionTokens = 0
    private(set) var promptTokens = 0

    func record(cached: Bool, result: GenerationResult) {
        lock.lock()
        defer { lock.unlock() }
        if cached { cachedCalls += 1 } else { calls += 1 }
        promptTokens += result.promptTokens
        completionTokens += result.completions.reduce(0) { $0 + $1.completionTokens }
    }

    private var inFlight = 0
    private var busySince: ContinuousClock.Instant?
    private var busy: Duration = .zero

    /// Time during which at least one teacher call was in flight: the rest of a run's wall time is
    /// synthlab's own overhead (planning, rendering, filtering, storing).
    var teacherBusySeconds: Double {
        lock.lock()
        defer { lock.unlock() }
        var total = busy
        if let busySince { total += ContinuousClock.now - busySince }
        return Double(total.components.seconds) + Double(total.components.attoseconds) * 1e-18
    }

    func callStarted() {
        lock.lock()
        if inFlight == 0 { busySince = .now }
        inFlight += 1
        lock.unlock()
    }

    func callEnded() {
        lock.lock()
        inFlight -= 1
        if inFlight == 0, let start = busySince {
            busy += ContinuousClock.now - start
            busySince = nil
        }
        lock.unlock()
    }

    func recordFailure() {
        lock.lock()
        failedCalls += 1
        lock.unlock()
    }

    var snapshot: (calls: Int, cached: Int, failed: Int, promptTokens: Int, completionTokens: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (calls, cachedCalls, failedCalls, promptTokens, completionTokens)
    }
}

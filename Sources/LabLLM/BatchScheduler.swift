import Foundation
import LabCore

/// Continuous batching: many concurrent requests share one model, and all running sequences
/// advance together with one `forward` per step.
///
/// A dedicated thread owns the loop (the model's forward pass is long, blocking CPU work that
/// must not occupy Swift's cooperative pool). Each step it drops cancelled sequences, admits
/// waiting requests up to `maxBatchSize` sequences and `maxCachedTokens` of attention state,
/// prefills each new prompt on its own, then decodes every running sequence in one batched call.
/// Prompts are prefilled one per call, and every completion samples from its own seeded random
/// stream, so a request's tokens do not depend on what else is running (given a forward pass that
/// is exact per sequence).
public final class BatchScheduler: Sendable {
    /// Limits of the batch.
    public struct Configuration: Sendable, Hashable {
        /// The most sequences decoded together.
        public var maxBatchSize: Int
        /// The most tokens of attention state held at once over all running sequences; each
        /// sequence reserves prompt + `maxTokens` (capped at the context length) when admitted.
        public var maxCachedTokens: Int

        /// Limits; the defaults suit a small model on a laptop (16 × 4,096 tokens).
        public init(maxBatchSize: Int = 16, maxCachedTokens: Int = 65_536) {
            self.maxBatchSize = maxBatchSize
            self.maxCachedTokens = maxCachedTokens
        }
    }

    private let loop: SchedulerLoop

    /// A scheduler running `model` on its own thread until the scheduler is released.
    public init(model: any LanguageModel, configuration: Configuration = .init()) {
        loop = SchedulerLoop(model: model, configuration: configuration)
        let thread = Thread { [loop] in loop.run() }
        thread.name = "synthlab.batch"
        thread.start()
    }

    deinit {
        loop.stop()
    }

    /// The model being run.
    public var model: any LanguageModel { loop.model }

    /// Work done so far: tokens and seconds spent in prefill and in batched decode steps.
    public var statistics: BatchStatistics { loop.currentStatistics }

    /// Queues `request` and streams its text and completions as they are generated. The stream
    /// ends after the last completion, or throws a `ModelError` for an invalid request or the
    /// model's error. Ending the iteration (or cancelling its task) removes the request's sequences
    /// before the next step.
    public func submit(_ request: BatchRequest) -> AsyncThrowingStream<BatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: BatchEvent.self, throwing: (any Error).self)
        // A task cancelled before it got here must not reach the model: enqueued, it could be
        // admitted and prefilled by the loop before the stream's cancellation arrives.
        if Task.isCancelled {
            continuation.finish(throwing: CancellationError())
            return stream
        }
        let id = loop.enqueue(request, continuation: continuation)
        continuation.onTermination = { [loop] termination in
            if case .cancelled = termination { loop.cancel(id) }
        }
        return stream
    }

    /// Queues `requests` at once, so they are admitted in the same step (as far as the limits
    /// allow) however slowly their consumers start; one stream per request, as `submit` gives.
    public func submitTogether(_ requests: [BatchRequest]) -> [AsyncThrowingStream<BatchEvent, any Error>] {
        let made = requests.map { _ in AsyncThrowingStream.makeStream(of: BatchEvent.self, throwing: (any Error).self) }
        let ids = loop.enqueue(zip(requests, made.map(\.continuation)).map { ($0, $1) })
        for (id, pair) in zip(ids, made) {
            pair.continuation.onTermination = { [loop] termination in
                if case .cancelled = termination { loop.cancel(id) }
            }
        }
        return made.map(\.stream)
    }

    /// Runs `request` to the end: its completions in order. Throws `CancellationError` when the
    /// calling task is cancelled.
    public func run(_ request: BatchRequest) async throws -> [SequenceResult] {
        var results = [SequenceResult?](repeating: nil, count: max(0, request.count))
        for try await event in submit(request) {
            if case .finished(let index, let result) = event, results.indices.contains(index) {
                results[index] = result
            }
        }
        try Task.checkCancellation()
        return results.compactMap { $0 }
    }
}

/// The state behind `BatchScheduler`: an inbox shared with submitters (under `condition`) and the
/// running sequences, which only the loop thread touches.
private final class SchedulerLoop: @unchecked Sendable {
    // @unchecked: `incoming`, `cancelled`, `stopping` and `nextID` are guarded by `condition`;
    // everything else is confined to the loop thread.
    let model: any LanguageModel
    private let configuration: BatchScheduler.Configuration
    private let condition = NSCondition()
    private var incoming: [QueuedRequest] = []
    private var cancelled: Set<UInt64> = []
    private var stopping = false
    private var nextID: UInt64 = 0
    private var statistics = BatchStatistics()

    private var queue: [QueuedRequest] = []
    private var active: [ActiveSequence] = []
    private var requests: [UInt64: QueuedRequest] = [:]

    init(model: any LanguageModel, configuration: BatchScheduler.Configuration) {
        self.model = model
        self.configuration = configuration
    }

    /// A request from submission to its last completion.
    final class QueuedRequest {
        let id: UInt64
        let request: BatchRequest
        let continuation: AsyncThrowingStream<BatchEvent, any Error>.Continuation
        /// Completions not yet admitted start here.
        var nextCompletion = 0
        var unfinished: Int
        var validated = false

        init(id: UInt64, request: BatchRequest, continuation: AsyncThrowingStream<BatchEvent, any Error>.Continuation) {
            self.id = id
            self.request = request
            self.continuation = continuation
            self.unfinished = request.count
        }

        /// Attention state one completion reserves.
        func capacity(contextLength: Int) -> Int {
            // The last sampled token is never fed back, hence − 1; min() first so a huge maxTokens can't overflow.
            min(contextLength, request.prompt.count + min(request.parameters.maxTokens, contextLength) - 1)
        }
    }

    func enqueue(_ request: BatchRequest, continuation: AsyncThrowingStream<BatchEvent, any Error>.Continuation) -> UInt64 {
        enqueue([(request, continuation)])[0]
    }

    /// Queues requests under one lock, so the loop sees all of them in the same step.
    func enqueue(_ batch: [(BatchRequest, AsyncThrowingStream<BatchEvent, any Error>.Continuation)]) -> [UInt64] {
        condition.lock()
        defer { condition.unlock() }
        var ids: [UInt64] = []
        for (request, continuation) in batch {
            nextID += 1
            incoming.append(QueuedRequest(id: nextID, request: request, continuation: continuation))
            ids.append(nextID)
        }
        condition.signal()
        return ids
    }

    func cancel(_ id: UInt64) {
        condition.lock()
        cancelled.insert(id)
        condition.signal()
        condition.unlock()
    }

    var currentStatistics: BatchStatistics {
        condition.lock()
        defer { condition.unlock() }
        return statistics
    }

    private func record(_ update: (inout BatchStatistics) -> Void) {
        condition.lock()
        update(&statistics)
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    func run() {
        while true {
            condition.lock()
            while incoming.isEmpty && cancelled.isEmpty && queue.isEmpty && active.isEmpty && !stopping {
                condition.wait()
            }
            let arrived = incoming
            let dropped = cancelled
            let stop = stopping
            incoming.removeAll()
            cancelled.removeAll()
            condition.unlock()

            for request in arrived {
                requests[request.id] = request
                queue.append(request)
            }
            if stop {
                for request in requests.values { request.continuation.finish(throwing: CancellationError()) }
                requests.removeAll()
                queue.removeAll()
                active.removeAll()
                return
            }
            for id in dropped { fail(id, CancellationError()) }
            step()
        }
    }

    /// One round: admit and prefill what fits, then decode everything that was already running.
    private func step() {
        let running = active
        admit()
        if !running.isEmpty { decode(running.filter { sequence in requests[sequence.requestID] != nil }) }
    }

    private func admit() {
        let contextLength = model.contextLength
        var reserved = active.reduce(0) { $0 + $1.state.capacity }
        while let request = queue.first {
            if !request.validated {
                do {
                    try request.request.validate(contextLength: contextLength)
                    let needed = request.capacity(contextLength: contextLength)
                    guard needed <= configuration.maxCachedTokens else {
                        throw ModelError(
                            field: "maxTokens",
                            "the prompt (\(request.request.prompt.count) tokens) plus maxTokens needs \(needed) tokens of attention state, more than the scheduler's budget of \(configuration.maxCachedTokens)",
                            hint: "lower maxTokens or raise maxCachedTokens"
                        )
                    }
                    request.validated = true
                } catch {
                    fail(request.id, error)
                    continue
                }
            }
            let capacity = request.capacity(contextLength: contextLength)
            let slots = min(configuration.maxBatchSize - active.count, (configuration.maxCachedTokens - reserved) / capacity)
            guard slots > 0 else { return }
            let admitted = min(slots, request.request.count - request.nextCompletion)
            prefill(request, completions: request.nextCompletion..<(request.nextCompletion + admitted), capacity: capacity)
            request.nextCompletion += admitted
            reserved += admitted * capacity
            if request.nextCompletion == request.request.count, queue.first === request { queue.removeFirst() }
            if requests[request.id] == nil { queue.removeAll { $0 === request } }
        }
    }

    /// Processes the prompt once for the given completions (forking the state when the model
    /// allows, else processing it again per completion) and samples each one's first token.
    private func prefill(_ request: QueuedRequest, completions: Range<Int>, capacity: Int) {
        do {
            var source: (state: any SequenceState, logits: [Float])?
            for completion in completions {
                let state: any SequenceState
                let logits: [Float]
                if let shared = source, let forkable = shared.state as? any ForkableSequenceState {
                    state = try forkable.fork()
                    logits = shared.logits
                } else {
                    let started = ContinuousClock.now
                    state = try model.makeSequenceState(capacity: capacity)
                    logits = try single(model.forward(tokens: [request.request.prompt], states: [state]))
                    source = (state, logits)
                    let elapsed = ContinuousClock.now - started
                    record { $0.prefillTokens += request.request.prompt.count; $0.prefillSeconds += elapsed.seconds }
                }
                let sequence = ActiveSequence(requestID: request.id, completion: completion, request: request.request, state: state)
                active.append(sequence)
                take(sequence.sampleAndAccept(logits: logits), from: sequence)
            }
        } catch {
            fail(request.id, error)
        }
    }

    /// Feeds every running sequence its last token in one batched call and samples the next.
    private func decode(_ batch: [ActiveSequence]) {
        let inputs = batch.compactMap(\.nextInput)
        guard !batch.isEmpty, inputs.count == batch.count else { return }
        let started = ContinuousClock.now
        let logits: [[Float]]
        do {
            logits = try model.forward(tokens: inputs.map { [$0] }, states: batch.map(\.state))
            guard logits.count == batch.count, logits.allSatisfy({ $0.count == model.vocabularySize && !$0.isEmpty }) else {
                throw ModelError(
                    field: "forward",
                    "returned \(logits.count) rows of logits (sizes \(Set(logits.map(\.count)).sorted())) for \(batch.count) sequences and a vocabulary of \(model.vocabularySize)"
                )
            }
        } catch {
            // The model failed for the whole batch: every request in it fails, the loop goes on.
            for id in Set(batch.map(\.requestID)) { fail(id, error) }
            return
        }
        for (sequence, row) in zip(batch, logits) where requests[sequence.requestID] != nil {
            take(sequence.sampleAndAccept(logits: row), from: sequence)
        }
        let elapsed = ContinuousClock.now - started
        record {
            $0.decodeSteps += 1
            $0.decodedTokens += batch.count
            $0.decodeSeconds += elapsed.seconds
            $0.widestStep = max($0.widestStep, batch.count)
        }
    }

    private func single(_ rows: [[Float]]) throws -> [Float] {
        guard rows.count == 1, let row = rows.first else {
            throw ModelError(field: "forward", "returned \(rows.count) rows of logits for 1 sequence")
        }
        guard row.count == model.vocabularySize, !row.isEmpty else {
            throw ModelError(field: "forward", "returned \(row.count) logits for a vocabulary of \(model.vocabularySize)")
        }
        return row
    }

    /// Delivers a sequence's new text, and retires it when finished.
    private func take(_ outcome: ActiveSequence.Outcome, from sequence: ActiveSequence) {
        guard let request = requests[sequence.requestID] else { return }
        switch outcome {
        case .continuing(let text):
            if !text.isEmpty { request.continuation.yield(.text(completion: sequence.completion, text)) }
        case .finished(let text, let result):
            if !text.isEmpty { request.continuation.yield(.text(completion: sequence.completion, text)) }
            request.continuation.yield(.finished(completion: sequence.completion, result))
            active.removeAll { $0 === sequence }
            request.unfinished -= 1
            if request.unfinished == 0 {
                request.continuation.finish()
                requests[request.id] = nil
            }
        }
    }

    /// Ends a request with `error` and frees all its sequences.
    private func fail(_ id: UInt64, _ error: any Error) {
        guard let request = requests.removeValue(forKey: id) else { return }
        active.removeAll { $0.requestID == id }
        queue.removeAll { $0.id == id }
        request.continuation.finish(throwing: error)
    }
}

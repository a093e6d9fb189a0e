import Foundation
import LabCore
import LabTestSupport
import Testing
@testable import LabLLM

@Suite("Batch scheduler: many requests")
struct BatchConcurrencyTests {
    /// A sampled request: a flat-ish fake model and a high temperature make every token a draw.
    static func sampled(_ index: Int, maxTokens: Int = 12) -> BatchRequest {
        letterRequest([Int32(index % 32)], SamplingParameters(temperature: 1.5, topK: 8, maxTokens: maxTokens, seed: UInt64(100 + index)))
    }

    @Test("A request gives the same tokens alone as among ten others")
    func batchDoesNotChangeResults() async throws {
        let model = FakeLanguageModel(slope: 0.3)
        let alone = try await BatchScheduler(model: model).run(Self.sampled(0))
        let scheduler = BatchScheduler(model: model)
        let together = try await withThrowingTaskGroup(of: (Int, [SequenceResult]).self) { group in
            for index in 0..<11 {
                group.addTask { (index, try await scheduler.run(Self.sampled(index))) }
            }
            var all: [Int: [SequenceResult]] = [:]
            for try await (index, results) in group { all[index] = results }
            return all
        }
        #expect(together[0] == alone)
        #expect(Set(together.values.compactMap { $0.first?.tokens }).count > 1, "distinct seeds should give distinct samples")
        let widest = model.forwardCalls.map(\.count).max() ?? 0
        #expect(widest > 1, "sequences were never decoded together: \(model.forwardCalls)")
    }

    @Test("count > 1 prefills once, forks, and each completion is its own reproducible draw")
    func forks() async throws {
        let model = FakeLanguageModel(slope: 0.3)
        let request = letterRequest([1, 2, 3], SamplingParameters(temperature: 1.5, maxTokens: 10, seed: 9), count: 3)
        let first = try await BatchScheduler(model: model).run(request)
        #expect(first.count == 3)
        #expect(Set(first.map(\.tokens)).count == 3, "three draws should differ: \(first.map(\.tokens))")
        let prefills = model.forwardCalls.filter { $0.contains(3) }
        #expect(prefills.count == 1, "the prompt was processed \(prefills.count) times: \(model.forwardCalls)")
        let again = try await BatchScheduler(model: FakeLanguageModel(slope: 0.3)).run(request)
        #expect(again == first)
    }

    @Test("Completions of one request admitted over several steps still match")
    func forksAcrossSteps() async throws {
        let request = letterRequest([4], SamplingParameters(temperature: 1.5, maxTokens: 6, seed: 3), count: 5)
        let wide = try await BatchScheduler(model: FakeLanguageModel(slope: 0.3)).run(request)
        let narrow = try await BatchScheduler(model: FakeLanguageModel(slope: 0.3), configuration: .init(maxBatchSize: 2)).run(request)
        #expect(narrow == wide)
    }

    @Test("No step decodes more sequences than the batch size or the attention budget allow", arguments: [
        (4, 1_000, 4), (16, 60, 5),
    ])
    func limits(maxBatchSize: Int, maxCachedTokens: Int, expectedWidest: Int) async throws {
        let model = FakeLanguageModel(delay: 0.001)
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: maxBatchSize, maxCachedTokens: maxCachedTokens))
        // Each sequence reserves 1 prompt + 12 − 1 = 12 tokens.
        let results = try await withThrowingTaskGroup(of: [SequenceResult].self) { group in
            for index in 0..<20 {
                group.addTask { try await scheduler.run(letterRequest([Int32(index)], SamplingParameters(maxTokens: 12))) }
            }
            var all: [[SequenceResult]] = []
            for try await results in group { all.append(results) }
            return all
        }
        #expect(results.count == 20)
        #expect(results.allSatisfy { $0.first?.tokens.count == 12 })
        let widest = model.forwardCalls.map(\.count).max() ?? 0
        #expect(widest == expectedWidest, "widest step \(widest): \(model.forwardCalls)")
    }

    @Test("Cancelling a request's task removes its sequence within a step or two")
    func cancellation() async throws {
        let model = FakeLanguageModel(contextLength: 512, delay: 0.002)
        let scheduler = BatchScheduler(model: model)
        let long = SamplingParameters(maxTokens: 200)
        let survivor = Task { try await scheduler.run(letterRequest([1], long)) }
        let cancelled = Task {
            var pieces = 0
            for try await event in scheduler.submit(letterRequest([2], long)) {
                if case .text = event { pieces += 1 }
            }
            return pieces
        }
        // Wait until both are being decoded together, then cancel one.
        while !model.forwardCalls.contains(where: { $0 == [1, 1] }) { try await Task.sleep(for: .milliseconds(1)) }
        cancelled.cancel()
        let cancelledAt = model.forwardCalls.count
        _ = try? await cancelled.value
        let survived = try await survivor.value
        #expect(survived.first?.tokens.count == 200)
        let pairedAfterCancel = model.forwardCalls[cancelledAt...].filter { $0.count == 2 }.count
        #expect(pairedAfterCancel <= 2, "the cancelled sequence ran \(pairedAfterCancel) more steps")
    }

    @Test("Cancelling a request that is still waiting for a slot removes it before it runs")
    func cancelWhileQueued() async throws {
        let model = FakeLanguageModel(contextLength: 100_000, delay: 0.002)
        let scheduler = BatchScheduler(model: model, configuration: .init(maxBatchSize: 1))
        // The running request holds the only slot for far longer than the test needs (the
        // scheduler's own thread keeps decoding even when the test's task is slow to wake on a
        // loaded machine); it is cancelled once the check is done.
        let running = Task { try await scheduler.run(letterRequest([1], SamplingParameters(maxTokens: 50_000))) }
        while model.forwardCalls.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        let waiting = Task { try await scheduler.run(letterRequest([7, 7, 7], SamplingParameters(maxTokens: 60))) }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(!model.forwardCalls.contains([3]), "the cancelled prompt was processed: \(model.forwardCalls.suffix(5))")
    }

    @Test("A model error fails the requests in that forward pass, and the scheduler keeps serving")
    func modelErrors() async throws {
        let model = FakeLanguageModel(poisonToken: 20)
        let scheduler = BatchScheduler(model: model)
        // Counting up from 15 feeds token 20 back on the fifth step.
        let error = await #expect(throws: ModelError.self) {
            try await scheduler.run(letterRequest([15], SamplingParameters(maxTokens: 10)))
        }
        #expect(error?.message.contains("poison") == true)
        // A poisoned prompt fails only its own request at prefill.
        let poisoned = Task { try await scheduler.run(letterRequest([20], SamplingParameters(maxTokens: 3))) }
        let healthy = Task { try await scheduler.run(letterRequest([1], SamplingParameters(maxTokens: 3))) }
        await #expect(throws: ModelError.self) { try await poisoned.value }
        #expect(try await healthy.value.first?.tokens == [2, 3, 4])
    }
}

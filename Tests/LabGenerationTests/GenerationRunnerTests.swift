import Foundation
import LabCore
@testable import LabGeneration
import LabPipeline
import LabStore
import LabTaxonomy
import LabTestSupport
import Testing

@Suite struct LeafLocalSampling {
    @Test func everyPromptUsesOnlyItsOwnLeafsSeedsAndChunks() throws {
        let plan = try SampleProject.plan()
        #expect(plan.leaves.count >= 8)
        for leaf in plan.leaves {
            let sampler = UnitSampler(plan: leaf, runSeed: 7)
            let ownQuestions = Set(leaf.leaf.seeds.flatMap { $0.questionsAndAnswers.map(\.question) })
            let ownContexts = Set(leaf.leaf.seeds.compactMap(\.context))
            let ownChunks = Set(leaf.chunks.map(\.id))
            let otherQuestions = Set(plan.leaves.filter { $0.leaf.taxonomyPath != leaf.leaf.taxonomyPath }
                .flatMap { $0.leaf.seeds.flatMap { $0.questionsAndAnswers.map(\.question) } }).subtracting(ownQuestions)
            for index in 0..<60 {
                let unit = sampler.unit(index)
                #expect(ownQuestions.contains(unit.variables["seed_question"] ?? ""), "\(leaf.leaf.taxonomyPath) #\(index)")
                for other in otherQuestions { #expect(!(unit.variables["seed_examples"] ?? "").contains(other)) }
                if let chunk = unit.chunk { #expect(ownChunks.contains(chunk.id)) }
                if let context = unit.context { #expect(ownContexts.contains(context)) }
                #expect(unit.seedPositions.allSatisfy { leaf.leaf.seeds.indices.contains($0) })
            }
        }
    }

    @Test func everyInputIsUsedOncePerRoundAndTheSameSeedGivesTheSameUnits() throws {
        let plan = try SampleProject.plan()
        let knowledge = try #require(plan.leaves.first { $0.flowName == "knowledge" })
        let sampler = UnitSampler(plan: knowledge, runSeed: 1)
        let round = (0..<knowledge.distinctInputs).map { sampler.unit($0) }
        let pairs = Set(round.map { "\($0.chunk?.id ?? "")|\($0.seedPositions.first ?? -1)" })
        #expect(pairs.count == knowledge.distinctInputs)
        #expect(round == (0..<knowledge.distinctInputs).map { UnitSampler(plan: knowledge, runSeed: 1).unit($0) })
        let reseeded = (0..<knowledge.distinctInputs).map { UnitSampler(plan: knowledge, runSeed: 2).unit($0) }
        #expect(round.map(\.variables) != reseeded.map(\.variables))
    }
}

@Suite struct GenerationRuns {
    @Test func aRunReachesEveryLeafsTargetAndRecordsLineageThatStaysInTheLeaf() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 3)
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 11)
        let outcome = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 11).run()
        let funnel = try temporary.store.funnel(runID: runID)
        #expect(funnel.count == plan.leaves.count)
        for leaf in funnel {
            #expect(leaf.accepted >= 3, "\(leaf.leaf): \(leaf.status), reasons \(leaf.topReasons)")
            #expect(leaf.status == "done")
        }
        #expect(outcome.accepted == funnel.reduce(0) { $0 + $1.accepted })
        // Every accepted sample's seeds belong to its own leaf, and knowledge samples name their chunk.
        for source in try temporary.store.trainingSources(runID: runID) {
            let lineage = try temporary.store.lineage(ofSample: source.sampleID)
            let leaf = try #require(plan.leaves.first { $0.leaf.taxonomyPath == source.leaf })
            let own = Set(leaf.leaf.seeds.flatMap { $0.questionsAndAnswers.map(\.question) })
            #expect(!lineage.seedQuestions.isEmpty && lineage.seedQuestions.allSatisfy(own.contains))
            #expect(lineage.teacher == "scripted" && lineage.responseText != nil)
            if source.kind == "knowledge" { #expect(source.chunkText != nil && lineage.documentPath != nil) }
            if source.kind == "grounded_skill" { #expect(source.context != nil) }
        }
        #expect(try temporary.store.integrityProblems().isEmpty)
    }

    @Test func theSameSeedAsksTheSamePromptsAndARerunIsAnsweredFromTheCache() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 2)
        let temporary = try TemporaryStore()
        let first = ScriptedTeacher(reply: GroundedReplies.reply)
        let run1 = try temporary.newRun(plan, teacher: first, seed: 5)
        _ = try await temporary.runner(plan, teacher: first, runID: run1, seed: 5).run()
        let second = ScriptedTeacher(reply: GroundedReplies.reply)
        let run2 = try temporary.newRun(plan, teacher: second, seed: 5)
        let rerun = try await temporary.runner(plan, teacher: second, runID: run2, seed: 5).run()
        #expect(second.calls == 0, "a rerun with the same seed must be answered from the cache")
        #expect(rerun.cachedCalls > 0)
        #expect(try temporary.sampleDigest(run1) == temporary.sampleDigest(run2))

        let elsewhere = try TemporaryStore()
        let reseeded = ScriptedTeacher(reply: GroundedReplies.reply)
        let same = ScriptedTeacher(reply: GroundedReplies.reply)
        let run3 = try elsewhere.newRun(plan, teacher: same, seed: 5)
        _ = try await elsewhere.runner(plan, teacher: same, runID: run3, seed: 5).run()
        #expect(same.askedPrompts.sorted() == first.askedPrompts.sorted())
        let run4 = try elsewhere.newRun(plan, teacher: reseeded, seed: 6)
        _ = try await elsewhere.runner(plan, teacher: reseeded, runID: run4, seed: 6).run()
        #expect(reseeded.askedPrompts.sorted() != first.askedPrompts.sorted())
    }

    @Test func repliesWithNULCharactersAreUsedAsStoredSoTheCacheGivesTheSameSamples() async throws {
        // SQLite text ends at a NUL; a reply used whole but stored cut would parse differently
        // when a resumed run reads it back (a question mark after the NUL disappears).
        let plan = try SampleProject.plan(samplesPerLeaf: 2, maxCandidates: 6)
        let temporary = try TemporaryStore()
        let reply: @Sendable (String, SamplingParameters, Int) -> String = { prompt, parameters, index in
            let grounded = GroundedReplies.reply(prompt: prompt, parameters: parameters, index: index)
            guard let space = grounded.firstIndex(of: " ") else { return grounded }
            return grounded[..<space] + "\u{0}" + grounded[space...]
        }
        let first = ScriptedTeacher(reply: reply)
        let run1 = try temporary.newRun(plan, teacher: first, seed: 4)
        _ = try await temporary.runner(plan, teacher: first, runID: run1, seed: 4).run()
        let second = ScriptedTeacher(reply: reply)
        let run2 = try temporary.newRun(plan, teacher: second, seed: 4)
        _ = try await temporary.runner(plan, teacher: second, runID: run2, seed: 4).run()
        #expect(second.calls == 0)
        let samples = try temporary.store.samples(runID: run1, limit: 1_000)
        #expect(samples.contains { $0.question.contains("\u{FFFD}") }, "the NUL is kept visible as U+FFFD")
        #expect(!samples.contains { $0.question.utf8.contains(0) || $0.answer.utf8.contains(0) })
        #expect(try temporary.sampleDigest(run1) == temporary.sampleDigest(run2))
    }

    @Test(arguments: 0..<12)
    func interruptedAtARandomPointAndResumedGivesExactlyTheUninterruptedSamples(trial: Int) async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 4)
        let expected = try await TemporaryStore.uninterruptedDigest(plan, seed: 3)

        let temporary = try TemporaryStore()
        var random = SeededRandom(seed: UInt64(trial))
        let teacher = ScriptedTeacher(delay: 0.002, reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 3)
        var interruptions = 0
        // Up to five interruptions at random moments, then the run is left to finish.
        while true {
            let runner = try temporary.runner(plan, teacher: teacher, runID: runID, seed: 3)
            let task = Task { try await runner.run() }
            if interruptions < 5 {
                let stopAfter = Double(random.next() % 200) / 1000
                try await Task.sleep(nanoseconds: UInt64(stopAfter * 1e9))
                task.cancel()
            }
            do {
                _ = try await task.value
                break
            } catch GenerationError.interrupted {
                interruptions += 1
            }
            #expect(try temporary.store.integrityProblems().isEmpty)
            if interruptions > 5 { Issue.record("an uninterrupted resume did not finish"); break }
        }
        #expect(try temporary.sampleDigest(runID) == expected, "after \(interruptions) interruptions")
        #expect(try temporary.store.runDetail(runID).summary.status == "finished")
    }

    /// A leaf's end used to be written after its last unit, in a transaction of its own: a process
    /// killed in between left the leaf open in the store though its units said it was done, and a
    /// worker that took it over held it forever (nothing to launch, nothing to close it).
    @Test(arguments: [false, true])
    func aLeafLeftOpenAfterItsLastUnitIsClosedWhenTheRunIsTakenUp(asWorker: Bool) async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 3)
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 3)
        _ = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 3).run()
        let ended = try temporary.store.leafStates(runID: runID)
        #expect(ended.allSatisfy { $0.status.isStopped }, "every leaf's end is committed with its last unit")
        let digest = try temporary.sampleDigest(runID)
        let calls = teacher.calls

        // What a kill between the two writes left behind.
        for leaf in ended { try temporary.store.setLeafStatus(leaf.leafID, .running) }
        let worker = asWorker ? GenerationRunner.WorkerOptions(name: "taker", leaseSeconds: 1, maxLeaves: 2) : nil
        let runner = try temporary.runner(plan, teacher: teacher, runID: runID, seed: 3, options: .init(worker: worker))
        let task = Task { try await runner.run() }
        // Generous: under the whole suite's load the cooperative threads are scarce; a held leaf never ends.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(120))
            task.cancel()
        }
        let outcome = await task.result
        watchdog.cancel()
        if case .failure(let error) = outcome { Issue.record("the run taken up did not end by itself: \(error)") }
        let reopened = try temporary.store.leafStates(runID: runID)
        #expect(reopened.map(\.status) == ended.map(\.status))
        #expect(try temporary.sampleDigest(runID) == digest)
        #expect(teacher.calls == calls, "a done leaf asks the teacher nothing more")
    }

    @Test func aTeacherFailingHalfTheCallsStillFinishesWithTheFailuresRecorded() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 2)
        let temporary = try TemporaryStore()
        // Half the calls fail, in a fixed pseudo-random pattern; with the default two retries most
        // prompts still get through, and the ones that don't are recorded.
        let teacher = ScriptedTeacher(failure: { call in
            var random = SeededRandom(seed: UInt64(call))
            return random.next() % 2 == 0 ? ScriptedTeacher.Failure("HTTP 503 from the endpoint") : nil
        }, reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 9)
        let outcome = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 9).run()
        #expect(outcome.failedUnits > 0)
        let detail = try temporary.store.runDetail(runID)
        #expect(detail.summary.status == "finished")
        #expect(detail.failures.count == outcome.failedUnits)
        #expect(detail.failures.allSatisfy { $0.error.contains("HTTP 503") })
        let funnel = try temporary.store.funnel(runID: runID)
        // Failed prompts count against a leaf's budget; every leaf still yields samples.
        #expect(funnel.allSatisfy { $0.accepted >= 1 && ["done", "exhausted"].contains($0.status) }, "\(funnel.map { "\($0.leaf) \($0.status) \($0.accepted)/\($0.candidates) \($0.topReasons)" })")
    }

    @Test func aTeacherThatAlwaysFailsOpensTheCircuitInsteadOfHammeringIt() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 2)
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(failure: { _ in ScriptedTeacher.Failure("connection refused") }, reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 9)
        var options = GenerationRunner.Options(maxInFlight: 2, retries: 1)
        options.circuitBreakerThreshold = 4
        do {
            _ = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 9, options: options).run()
            Issue.record("a dead teacher did not stop the run")
        } catch GenerationError.teacherDown(let last) {
            #expect(last.contains("connection refused"))
        }
        #expect(teacher.calls <= (4 + 2) * 2, "\(teacher.calls) calls")
        #expect(try temporary.store.runDetail(runID).summary.status == "failed")
    }

    @Test func garbageRepliesAreRejectedWithReasonsAndLeavesRunOutOfBudget() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 2, maxCandidates: 6)
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher { _, _, index in index == 0 ? "" : "lorem ipsum dolor sit amet" }
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 1)
        let outcome = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 1).run()
        #expect(outcome.accepted == 0)
        for leaf in try temporary.store.funnel(runID: runID) {
            // Nothing accepted: the budget of 6 candidates is tripled before the leaf gives up.
            #expect(leaf.status == "exhausted")
            #expect(leaf.candidates == 18 && leaf.parsed == 0)
            #expect(leaf.rejectedBy == ["parse": 18])
            #expect(Set(leaf.topReasons.map(\.reason)).isSubset(of: ["empty reply", "reply has no \(ReplyParser.question.expectedShape)"]))
        }
    }

    @Test func aLeafWhoseCandidatesAreAllDuplicatesIsMarkedSaturated() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 50, maxCandidates: 400)
        let temporary = try TemporaryStore()
        // The same question every time: after the first, all near duplicates.
        let teacher = ScriptedTeacher { prompt, _, _ in
            // Answers: the prompt's first line (the start of the chunk or context), so they are grounded.
            prompt.contains("\nQuestion: ") ? String(prompt.split(separator: "\n").first ?? "Revenue grew.") : "What is the main point of the text?"
        }
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 1)
        _ = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 1).run()
        let funnel = try temporary.store.funnel(runID: runID)
        #expect(funnel.allSatisfy { $0.status == "saturated" }, "\(funnel.map { "\($0.leaf) \($0.status) \($0.topReasons)" })")
        #expect(funnel.allSatisfy { $0.accepted <= 1 && $0.candidates < 400 })
    }

    @Test func aPipelineWithABadOptionFailsBeforeAnyTeacherCall() throws {
        var plan = try SampleProject.plan()
        let format = try #require(plan.leaves[0].blocks.firstIndex { $0.kind == .format })
        plan.leaves[0].blocks[format].options["echo_threshold"] = "lots"
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: GroundedReplies.reply)
        #expect {
            _ = try temporary.runner(plan, teacher: teacher, runID: 1, seed: 1)
        } throws: { error in
            guard case GenerationError.plan(let problems) = error else { return false }
            return problems.count == 1 && problems[0].message.contains("'echo_threshold' must be a number")
        }
        #expect(teacher.calls == 0)
    }
}

@Suite struct RunTimeBlocks {
    @Test(arguments: [
        ("yes_no", "YES, it is faithful.", 1), ("yes_no", "No.", 0), ("yes_no", "maybe", nil),
        ("0-2", "[Start of Score]\n2\n[End of Score]", 2), ("0-2", "Score: 7 then 1", 1), ("1-3", "zero", nil),
    ] as [(String, String, Int?)])
    func judgeRepliesAreScoredOnTheirScale(scale: String, reply: String, score: Int?) throws {
        #expect(try #require(JudgeScale(scale)).score(reply) == score)
    }

    @Test func filterComparisonsAreNumericWhenBothSidesAreNumbers() {
        #expect(FilterBlock.Comparison.atLeast.holds("2", "2"))
        #expect(!FilterBlock.Comparison.atLeast.holds("1", "2"))
        #expect(FilterBlock.Comparison.equal.holds("YES", "yes"))
        #expect(!FilterBlock.Comparison.above.holds("abc", "1"))
    }

    @Test func exportRowsFollowInstructLabsTrainingFormat() throws {
        let knowledge = TrainingSource(sampleID: 4, runID: 1, leaf: "knowledge->finance->ratios", kind: "knowledge", question: "What is ROE?",
                                       answer: "Net income over equity.", context: nil, chunkID: "c1", chunkText: "ROE is net income over equity.",
                                       documentPath: "documents/finance/ratios.md", seedIDs: [2, 1])
        let skill = TrainingSource(sampleID: 5, runID: 1, leaf: "compositional_skills->finance->tables", kind: "grounded_skill",
                                   question: "What was revenue?", answer: "$5M", context: "| revenue | $5M |", chunkID: nil, chunkText: nil,
                                   documentPath: nil, seedIDs: [])
        let lines = TrainingExport.lines([knowledge, skill], format: .messages, phase: .all)
        let rows = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.count == 2)
        #expect(rows[0]["unmask"] as? Bool == true && rows[1]["unmask"] as? Bool == false)
        let messages = try #require(rows[0]["messages"] as? [[String: String]])
        #expect(messages.map { $0["role"] } == ["system", "user", "assistant"])
        #expect(messages[1]["content"] == "ROE is net income over equity.\n\nWhat is ROE?")
        let metadata = try #require(JSONSerialization.jsonObject(with: Data((rows[0]["metadata"] as? String ?? "").utf8)) as? [String: Any])
        #expect(metadata["chunk_id"] as? String == "c1" && metadata["sample_id"] as? Int == 4)
        #expect(TrainingExport.lines([knowledge, skill], format: .messages, phase: .skills).count == 1)
        let alpaca = try #require(JSONSerialization.jsonObject(with: Data(TrainingExport.lines([skill], format: .alpaca, phase: .all)[0].utf8)) as? [String: String])
        #expect(alpaca == ["instruction": "What was revenue?", "input": "| revenue | $5M |", "output": "$5M"])
    }
}

@Suite struct FullPipeline {
    /// Judges answer by a fixed rule: pass, fail, or say something without a score, chosen by the
    /// request's seed; generation prompts get grounded text built from the prompt.
    static func reply(prompt: String, parameters: SamplingParameters, index: Int) -> String {
        var random = SeededRandom(seed: parameters.seed, stream: prompt)
        let roll = random.next() % 10
        let verdict = roll < 6 ? "pass" : roll < 9 ? "fail" : "none"
        if prompt.contains("Reply with one word, YES or NO") { return ["pass": "YES", "fail": "NO", "none": "Hard to say."][verdict]! }
        if prompt.contains("Reply with the score only: 0, 1 or 2") { return ["pass": "2", "fail": "1", "none": "It depends."][verdict]! }
        if prompt.contains("Reply with 1 for yes or 0 for no") { return ["pass": "1", "fail": "0", "none": "Unclear."][verdict]! }
        if prompt.contains("Reply with the score only: 1, 2 or 3") { return ["pass": "3", "fail": "1", "none": "Fine."][verdict]! }
        if prompt.contains("Write one new text of the same kind") {
            return "Context: Acme Corp reported revenue of $12.5 million for fiscal 2024, up from $10.0 million in fiscal 2023, while net income rose to $1.5 million.\(index)"
        }
        if prompt.contains("[QUESTION] <question>") {
            let passage = String(prompt[prompt.range(of: "Now read this passage of the document:\n")!.upperBound...])
            let line = GroundedReplies.sentences(in: passage)[Int(random.next() % UInt64(max(1, GroundedReplies.sentences(in: passage).count)))]
            return "[QUESTION] What does the passage state about \(line.split(separator: " ").prefix(4 + index).joined(separator: " "))?\n[ANSWER] \(line)\n[END]"
        }
        return GroundedReplies.reply(prompt: prompt, parameters: parameters, index: index)
    }

    @Test func judgesDecideWithTheirScoresAndAnUnreadableJudgeReplyIsRejectedAsSuch() async throws {
        var plan = try SampleProject.plan(pipeline: "judges", samplesPerLeaf: 3, maxCandidates: 30)
        plan.leaves = plan.leaves.filter { $0.leaf.taxonomyPath.hasSuffix("financial_ratios") || $0.leaf.taxonomyPath.hasSuffix("cagr")
            || $0.leaf.taxonomyPath.hasSuffix("earnings_paragraph") }
        #expect(plan.leaves.count == 3)
        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: Self.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 2)
        _ = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 2).run()
        let funnel = try temporary.store.funnel(runID: runID)
        for leaf in funnel {
            #expect(leaf.accepted >= 1, "\(leaf.leaf) \(leaf.status) \(leaf.topReasons)")
        }
        let rejectedByJudges = Set(funnel.flatMap(\.rejectedBy.keys))
        #expect(rejectedByJudges.isSuperset(of: ["faithfulness", "question_quality"]), "\(rejectedByJudges)")
        var sawUnreadable = false
        for row in try temporary.store.samples(runID: runID, limit: 10_000) {
            let lineage = try temporary.store.lineage(ofSample: row.id)
            if row.status == "accepted" {
                for filter in lineage.verdicts where ["faithfulness", "relevancy", "question_quality", "pair_rating"].contains(filter.filter) {
                    #expect(filter.decision == .accept && filter.score != nil)
                }
            }
            if let unreadable = lineage.verdicts.first(where: { $0.reason.contains("the judge's reply had no score") }) {
                sawUnreadable = true
                #expect(unreadable.decision == .reject && unreadable.evidence?.contains("reply") == true)
            }
        }
        #expect(sawUnreadable)
        // Grounded samples keep the context the pipeline wrote, not the seed's.
        for source in try temporary.store.trainingSources(runID: runID) where source.kind == "grounded_skill" {
            #expect(source.context?.hasPrefix("Acme Corp") == true)
        }
    }
}

@Suite struct StoreFailures {
    @Test func aFullDiskStopsTheRunWithAClearErrorAndAResumeLosesNothing() async throws {
        let plan = try SampleProject.plan(samplesPerLeaf: 3)
        let expected = try await TemporaryStore.uninterruptedDigest(plan, seed: 4)

        let temporary = try TemporaryStore()
        let teacher = ScriptedTeacher(reply: GroundedReplies.reply)
        let runID = try temporary.newRun(plan, teacher: teacher, seed: 4)
        // The same file with a quota a little above what the leaves and chunks take.
        let size = try FileManager.default.attributesOfItem(atPath: temporary.url.path)[.size] as? Int ?? 0
        let walSize = (try? FileManager.default.attributesOfItem(atPath: temporary.url.path + "-wal")[.size] as? Int) ?? 0
        let limited = try SampleStore(url: temporary.url, maximumBytes: max(size, walSize) + 150_000)
        let runner = try GenerationRunner(plan: plan, pipelinesRoot: SampleProject.pipelines, teacher: teacher, store: limited,
                                          runID: runID, seed: 4)
        let failure = await Self.failure(of: runner)
        #expect(failure?.kind == .diskFull, "\(String(describing: failure))")
        #expect(failure?.description.contains("free disk space, then resume the run") == true)
        #expect(try temporary.store.integrityProblems().isEmpty)
        let partial = try temporary.sampleDigest(runID)
        #expect(!partial.isEmpty && partial.count < expected.count)

        _ = try await temporary.runner(plan, teacher: teacher, runID: runID, seed: 4).run()
        #expect(try temporary.sampleDigest(runID) == expected)
    }

    /// The store error a run stopped with, or nil when it finished.
    static func failure(of runner: GenerationRunner) async -> StoreError? {
        let result: Result<GenerationRunner.Outcome, GenerationError>
        do { result = .success(try await runner.run()) } catch { result = .failure(error) }
        guard case .failure(let error) = result, case .store(let storeError) = error else { return nil }
        return storeError
    }
}

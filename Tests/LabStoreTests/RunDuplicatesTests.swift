import Foundation
import LabCore
import LabStore
import LabTestSupport
import Testing

@Suite struct RunWideDuplicates {
    @Test func nearDuplicatesScoreAboveTheThresholdAndOthersBelow() {
        let question = RunDuplicates.shingles("What was the company's operating margin in fiscal 2023?")
        let reworded = RunDuplicates.shingles("What was the company's operating margin in fiscal year 2023?")
        let other = RunDuplicates.shingles("How much cash did the company return through buybacks?")
        #expect(RunDuplicates.similarity(question, question) == 1)
        #expect(RunDuplicates.similarity(question, reworded) >= RunDuplicates.threshold)
        #expect(RunDuplicates.similarity(question, other) < 0.3)
        // The band keys are a pure function of the text (stable across processes) and near duplicates share some.
        #expect(RunDuplicates.bandKeys(question) == RunDuplicates.bandKeys(RunDuplicates.shingles("what WAS the company's operating margin in fiscal 2023")))
        #expect(!Set(RunDuplicates.bandKeys(question)).isDisjoint(with: RunDuplicates.bandKeys(reworded)))
    }

    /// Two leaves commit the same question in either order: one pair, and the leaf first by path keeps it.
    @Test(arguments: StoreBackend.allCases, [false, true])
    func aPairIsFoundWhicheverLeafCommitsFirstAndTheFirstLeafKeepsIt(backend: StoreBackend, laterLeafFirst: Bool) throws {
        let fixture = try StoreFixture(backend)
        let store = fixture.store
        let run = try store.createRun(RunConfiguration(taxonomyHash: "t", pipelineHash: "p", teacher: "scripted", seed: 1))
        let a = try store.addLeaf(runID: run, taxonomyPath: "compositional_skills->a", kind: "freeform_skill", contentHash: "a", target: 5,
                                  seeds: [(nil, "Seed a?", "A.")])
        let b = try store.addLeaf(runID: run, taxonomyPath: "compositional_skills->b", kind: "freeform_skill", contentHash: "b", target: 5,
                                  seeds: [(nil, "Seed b?", "B.")])
        func sample(_ leaf: (leafID: Int64, seedIDs: [Int64]), _ question: String, accepted: Bool = true) -> NewSample {
            NewSample(leafID: leaf.leafID, responseID: nil, chunkID: nil, seedIDs: leaf.seedIDs, question: question, answer: "An answer.",
                      context: nil, verdicts: accepted ? [] : [Verdict(filter: "leak", filterVersion: "1", decision: .reject, reason: "no")])
        }
        let shared = "What was the company's operating margin in fiscal 2023?"
        let units = [
            (key: "a0", leaf: a, samples: [sample(a, shared), sample(a, "How many employees did it have?")]),
            (key: "b0", leaf: b, samples: [sample(b, "What was the company's operating margin in fiscal year 2023?"),
                                            sample(b, "Which segment grew fastest?"), sample(b, shared, accepted: false)]),
        ]
        for unit in laterLeafFirst ? units.reversed() : units {
            try store.completeUnit(runID: run, unitKey: unit.key, samples: unit.samples, leafID: unit.leaf.leafID, unitIndex: 0)
        }
        let counts = try store.runDuplicateCounts(runID: run)
        #expect(counts.pairs == 1, "a rejected sample is not indexed; the near duplicate across leaves is found once")
        #expect(counts.leftOut == 1)
        let exported = try store.trainingSources(runID: run)
        #expect(exported.count == 3)
        #expect(exported.contains { $0.leaf == "compositional_skills->a" && $0.question == shared }, "leaf a comes first by path and keeps it")
        #expect(!exported.contains { $0.leaf == "compositional_skills->b" && $0.question.contains("operating margin") })
    }
}

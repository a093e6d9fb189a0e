import Foundation
import LabCore
@testable import LabGeneration
import LabPipeline
import LabStore
import LabTaxonomy
import LabTestSupport
import Testing

/// The shipped `simple` pipeline's verifiers, run as `synthlab verify` runs them (no teacher).
enum ShippedVerification {
    static let verification: CandidateVerification = {
        let pipeline = try! Pipeline.load(directory: SampleProject.shippedPipelines.appendingPathComponent("simple"))
        return try! CandidateVerification(pipeline: pipeline, pipelinesRoot: SampleProject.shippedPipelines,
                                          leaves: SampleProject.report.leaves.map(\.leaf), teacher: nil)
    }()

    struct Labelled: Decodable {
        var id: String
        var leaf: String
        var question: String
        var answer: String
        var context: String?
        var label: String
        var `class`: String
    }

    static func labelled(_ name: String) throws -> [Labelled] {
        let url = TestPaths.repositoryRoot.appendingPathComponent("bench/quality/\(name).jsonl")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(Labelled.self, from: Data($0.utf8))
        }
    }
}

@Suite struct Verification {
    /// The curators' own seed examples are correct by definition: every verifier must pass them.
    @Test func everySeedExampleOfTheSampleTaxonomyPassesEveryVerifier() async throws {
        var failures: [String] = []
        for leaf in SampleProject.report.leaves.map(\.leaf) {
            for (index, seed) in leaf.seeds.enumerated() {
                for pair in seed.questionsAndAnswers.prefix(3) {
                    // A knowledge seed's context is the passage its answers come from.
                    let candidate = ExternalCandidate(id: "\(leaf.relativePath)#\(index)", leaf: leaf.relativePath,
                                                      question: pair.question, answer: pair.answer, context: seed.context)
                    let result = try await ShippedVerification.verification.verify(candidate)
                    if let rejection = result.verdicts.first(where: { $0.decision == .reject }) {
                        failures.append("\(candidate.id): \(rejection.filter): \(rejection.reason) \(rejection.evidence ?? "")")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// Precision and recall on the labelled sets may not fall below what was reached when this was
    /// written (no teacher: tune 0.961 / 0.914, tune2 0.930 / 0.917, held-out 0.927 / 0.844;
    /// classes, the issue's named failure classes 20 each with correct twins, 1.0 / 0.988);
    /// bench/quality/run.sh prints the detail.
    @Test(arguments: [("tune", 0.95, 0.88), ("tune2", 0.92, 0.88), ("heldout", 0.9, 0.8), ("classes", 0.98, 0.95)])
    func precisionOnTheLabelledSetsStaysAboveItsFloor(set: String, precisionFloor: Double, recallFloor: Double) async throws {
        let items = try ShippedVerification.labelled(set)
        #expect(items.count >= 90)
        // Held-out failures are not listed: the held-out set stays unseen while tuning.
        let listed = set != "heldout"
        var acceptedGood = 0, acceptedBad = 0, good = 0
        var leaked: [String] = []
        for item in items {
            let result = try await ShippedVerification.verification.verify(
                ExternalCandidate(id: item.id, leaf: item.leaf, question: item.question, answer: item.answer, context: item.context))
            if item.label == "good" { good += 1 }
            if result.accepted {
                if item.label == "good" { acceptedGood += 1 } else { acceptedBad += 1; leaked.append("\(item.id) (\(item.class))") }
            }
        }
        let precision = Double(acceptedGood) / Double(max(1, acceptedGood + acceptedBad))
        let recall = Double(acceptedGood) / Double(max(1, good))
        #expect(precision >= precisionFloor, "precision \(precision)\(listed ? "; accepted bad: \(leaked)" : "")")
        #expect(recall >= recallFloor, "recall \(recall)")
    }

    @Test func everyRejectionNamesItsVerifierAndEvidence() async throws {
        let result = try await ShippedVerification.verification.verify(ExternalCandidate(
            id: "x", leaf: "compositional_skills/finance/arithmetic/percent_change",
            question: "Revenue grew from $48.0 million to $55.2 million. What is the percent change?",
            answer: "1. Change: 55.2 - 48.0 = 7.2.\n2. 7.2 / 55.2 = 0.1304.\n\nRevenue increased by 13.0%.", context: nil))
        let rejection = try #require(result.verdicts.first { $0.decision == .reject })
        #expect(rejection.filter == "arithmetic" && rejection.reason == "final figure does not match the recomputed result")
        let evidence = try #require(rejection.evidence)
        #expect(evidence.contains("percent_change=15%"), "\(evidence)")
    }

    @Test func anUnknownLeafIsAProblemNamingTheLeaf() async throws {
        await #expect(throws: CandidateVerification.Problem.self) {
            _ = try await ShippedVerification.verification.verify(ExternalCandidate(id: "1", leaf: "skills/nowhere", question: "q?", answer: "a", context: nil))
        }
    }
}

@Suite struct DuplicatesWithAnswers {
    static func row(_ question: String, _ answer: String) -> Candidate {
        Candidate(columns: ["question": question, "answer": answer])
    }

    @Test func theSameQuestionWithAnotherAnswerIsNewOnlyWhenAnswersCount() {
        let seeds = [(question: "What was net income in Q3 2025?", answer: "Net income was $201.3 million in Q3 2025.")]
        let byQuestion = LeafDuplicates(filterName: "dedup", threshold: 0.7, seeds: seeds)
        let byPair = LeafDuplicates(filterName: "dedup", threshold: 0.7, withAnswer: true, seeds: seeds)
        let sibling = Self.row("What was net income in Q3 2024?", "Net income was $178.4 million in Q3 2024.")
        #expect(byQuestion.check(sibling, label: "a").decision == .reject)
        #expect(byPair.check(sibling, label: "a").decision == .accept)
        // A copy of a seed question is never new, whatever its answer.
        let copy = Self.row("What was net income in Q3 2025?", "The company reported net income of $201.3 million.")
        #expect(byPair.check(copy, label: "b").reason == "copies a seed question")
    }
}

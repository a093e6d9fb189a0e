import Foundation
import LabCore
import LabStore
import LabTestSupport
import Testing

/// A run with `count` samples: every third rejected by `numbers` (score 0.2), the rest accepted
/// (scores spread over 0.5...1.0), question texts numbered.
private func populated(_ fixture: StoreFixture, count: Int) throws -> (run: Int64, ids: [Int64]) {
    let (run, leaf, seeds) = try fixture.seeded()
    var samples: [NewSample] = []
    for index in 0..<count {
        let rejected = index % 3 == 2
        let verdicts = [
            Verdict(filter: "leak", filterVersion: "1", score: 0, threshold: 0, decision: .accept, reason: "no scaffolding"),
            Verdict(filter: "numbers", filterVersion: "1", score: rejected ? 0.2 : 0.5 + Double(index % 6) / 10, threshold: 0.5,
                    decision: rejected ? .reject : .accept, reason: rejected ? "figure not in context" : "ok"),
        ]
        samples.append(NewSample(leafID: leaf, responseID: nil, chunkID: "chunk-1", seedIDs: seeds,
                                 question: "What is ratio number \(index) of the gross margin?", answer: "Answer \(index): revenue minus cost.",
                                 context: nil, verdicts: verdicts))
    }
    try fixture.store.completeUnit(runID: run, unitKey: "u0", samples: samples)
    let ids = try fixture.store.samples(runID: run, limit: 10_000).map(\.id)
    return (run, ids)
}

@Suite struct CuratorReviews {
    @Test(arguments: StoreBackend.allCases)
    func decisionsAreAHistoryAndTheNewestDecides(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, ids) = try populated(fixture, count: 3)
        try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .reject, reason: .incorrect, note: "wrong", reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .accept, note: "on second thought", reviewer: "bob"))
        let history = try fixture.store.reviews(ofSample: ids[0])
        #expect(history.map(\.decision) == [.reject, .accept] && history.map(\.reviewer) == ["ann", "bob"])
        let lineage = try fixture.store.lineage(ofSample: ids[0])
        #expect(lineage.curatorDecision == .accept && lineage.reviews.count == 2)
        #expect(try fixture.store.trainingSources(runID: run).map(\.sampleID).contains(ids[0]))
    }

    @Test(arguments: StoreBackend.allCases)
    func invalidReviewsAreRefusedAndStoreNothing(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (_, ids) = try populated(fixture, count: 2)
        #expect(throws: StoreError.self) { try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .reject, reviewer: "ann")) }
        #expect(throws: StoreError.self) { try fixture.store.addReview(NewReview(sampleID: 999_999, decision: .accept, reviewer: "ann")) }
        #expect(throws: StoreError.self) { try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .accept, answer: "  \n", reviewer: "ann")) }
        #expect(try fixture.store.reviews(ofSample: ids[0]).isEmpty)
        // An "edit" that changes nothing is a plain decision, not a revision.
        let same = try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .accept, answer: "Answer 0: revenue minus cost.\n", reviewer: "ann"))
        #expect(!same.isEdit)
    }

    @Test(arguments: StoreBackend.allCases)
    func exportAndTrainingFollowDecisionsAndEdits(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, ids) = try populated(fixture, count: 6)  // ids[2] and ids[5] rejected by the filters
        let before = try fixture.store.trainingSources(runID: run).map(\.sampleID)
        #expect(before == [ids[0], ids[1], ids[3], ids[4]])
        try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .reject, reason: .ungrounded, reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[2], decision: .accept, reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[3], decision: .accept, question: "What is gross margin?", answer: "Gross profit over revenue.", reviewer: "ann"))
        let after = try fixture.store.trainingSources(runID: run)
        #expect(after.map(\.sampleID) == [ids[1], ids[2], ids[3], ids[4]])
        let edited = try #require(after.first { $0.sampleID == ids[3] })
        #expect(edited.question == "What is gross margin?" && edited.answer == "Gross profit over revenue.")
        // The original text stays in the sample; the lineage shows both.
        let lineage = try fixture.store.lineage(ofSample: ids[3])
        #expect(lineage.question.hasPrefix("What is ratio number 3") && lineage.effectiveAnswer == "Gross profit over revenue.")
    }

    @Test(arguments: StoreBackend.allCases)
    func theSummaryMeasuresTheFilters(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, ids) = try populated(fixture, count: 6)
        try fixture.store.addReview(NewReview(sampleID: ids[0], decision: .accept, reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[1], decision: .reject, reason: .incorrect, reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[3], decision: .accept, answer: "Fixed.", reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[2], decision: .accept, reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[5], decision: .reject, reason: .duplicate, reviewer: "ann"))
        let summary = try fixture.store.reviewSummary(runID: run)
        #expect(summary.reviewed == 5 && summary.reviewedAccepted == 3 && summary.confirmedAccepted == 1 && summary.editedAccepted == 1)
        #expect(summary.reviewedRejected == 2 && summary.rescued == 1)
        #expect(summary.precision == 1.0 / 3.0)
        #expect(summary.rejectionsByReason == ["incorrect": 1, "duplicate": 1])
        let reviewed = try fixture.store.reviewedSamples(runID: run)
        #expect(reviewed.map(\.sampleID) == [ids[0], ids[1], ids[2], ids[3], ids[5]])
        #expect(reviewed.first { $0.sampleID == ids[3] }?.answer == "Fixed.")
        #expect(reviewed.first { $0.sampleID == ids[0] }?.context == "Ratios text", "knowledge samples carry their chunk as context")
    }
}

@Suite struct SampleBrowsing {
    @Test(arguments: StoreBackend.allCases)
    func pagesFiltersAndSearchAgreeWithANaiveScan(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, ids) = try populated(fixture, count: 130)
        try fixture.store.addReview(NewReview(sampleID: ids[4], decision: .reject, reason: .unclear, reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[7], decision: .accept, answer: "A curator's zebra answer.", reviewer: "ann"))
        let all = try fixture.store.samples(runID: run, limit: 10_000)

        var seen: [Int64] = []
        for page in 0..<3 {
            let result = try fixture.store.samplePage(SampleQuery(runID: run, page: page, pageSize: 50))
            #expect(result.total == 130)
            seen += result.rows.map(\.id)
        }
        #expect(seen == ids, "pages cover every sample once, in order")

        let rejected = try fixture.store.samplePage(SampleQuery(runID: run, rejectedBy: "numbers", pageSize: 500))
        #expect(rejected.rows.map(\.id) == all.filter { $0.status == "rejected" }.map(\.id))
        #expect(rejected.rows.allSatisfy { $0.rejectedBy == "numbers" && $0.reason == "figure not in context" })
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, status: "accepted", rejectedBy: "numbers")).total == 0)
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, curator: .rejected)).rows.map(\.id) == [ids[4]])
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, curator: .edited)).rows.map(\.id) == [ids[7]])
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, curator: .unreviewed)).total == 128)
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, leaf: "knowledge->finance->ratios")).total == 130)
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, leaf: "knowledge->other")).total == 0)

        // Words, prefixes and phrases against a naive scan of the same texts.
        func naive(_ words: [String]) -> [Int64] {
            all.filter { row in
                let text = try! fixture.store.lineage(ofSample: row.id)
                let tokens = (text.question + " " + text.answer + " " + text.effectiveAnswer).lowercased().split { !$0.isLetter && !$0.isNumber }
                return words.allSatisfy { word in tokens.contains { $0.hasPrefix(word) } }
            }.map(\.id)
        }
        for search in [["gross"], ["ratio", "12"], ["marg"], ["zebra"], ["nothingmatches"]] {
            let found = try fixture.store.samplePage(SampleQuery(runID: run, text: search.joined(separator: " "), pageSize: 500))
            #expect(found.rows.map(\.id) == naive(search), "search \(search)")
        }
        #expect(try fixture.store.samplePage(SampleQuery(runID: run, text: #"" OR 1=1 -- *"#)).total == 0, "search text is data, never query syntax")
    }

    @Test(arguments: StoreBackend.allCases)
    func histogramsCountEveryScoreOnce(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, _) = try populated(fixture, count: 60)
        let (histograms, covered) = try fixture.store.scoreHistograms(SampleQuery(runID: run), bins: 5)
        #expect(covered == 60)
        let numbers = try #require(histograms.first { $0.filter == "numbers" })
        #expect(numbers.low == 0.2 && abs(numbers.high - 0.9) < 1e-9 && numbers.threshold == 0.5)
        // Naive twin: every score of the fixture, binned by hand over [0.2, 0.9] in 5 bins.
        var expected = [Int](repeating: 0, count: 5)
        for index in 0..<60 {
            let score = index % 3 == 2 ? 0.2 : 0.5 + Double(index % 6) / 10
            expected[min(4, Int((score - 0.2) / 0.7 * 5))] += 1
        }
        #expect(numbers.counts == expected && expected == [20, 0, 20, 0, 20])
        let leak = try #require(histograms.first { $0.filter == "leak" })
        #expect(leak.counts == [60, 0, 0, 0, 0], "a filter with one score value puts everything in one bin")
        let limited = try fixture.store.scoreHistograms(SampleQuery(runID: run, status: "rejected"), bins: 5, limit: 7)
        #expect(limited.covered == 7)
    }

    @Test(arguments: StoreBackend.allCases)
    func funnelBarsCountEachSampleOnce(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, _) = try populated(fixture, count: 30)
        let bars = try fixture.store.funnelBars(runID: run)
        #expect(bars.count == 1)
        #expect(bars[0].candidates == 30 && bars[0].accepted == 20 && bars[0].rejections.map(\.count).reduce(0, +) == 10)
        #expect(try fixture.store.rejectingFilters(runID: run) == ["numbers"])
    }
}

@Suite struct PreferencePairs {
    private func sample(_ leaf: Int64, _ seeds: [Int64], question: String, answer: String, context: String? = nil,
                        rejectedBy filter: String? = nil) -> NewSample {
        let verdict = filter.map { Verdict(filter: $0, filterVersion: "1", decision: .reject, reason: "wrong") }
            ?? Verdict(filter: "numbers", filterVersion: "1", decision: .accept, reason: "ok")
        return NewSample(leafID: leaf, responseID: nil, chunkID: nil, seedIDs: seeds, question: question, answer: answer, context: context,
                         verdicts: [verdict])
    }

    @Test(arguments: StoreBackend.allCases)
    func pairsAreAnAcceptedAndAContentRejectedAnswerToOneQuestionOrACuratorsEdit(backend: StoreBackend) throws {
        let fixture = try StoreFixture(backend)
        let (run, leaf, seeds) = try fixture.seeded()
        try fixture.store.completeUnit(runID: run, unitKey: "u0", samples: [
            sample(leaf, seeds, question: "What is the margin?", answer: "25%."),                                   // 0 accepted
            sample(leaf, seeds, question: "what is the margin? ", answer: "75%.", rejectedBy: "arithmetic"),       // 1 content: pair with 0
            sample(leaf, seeds, question: "What is the margin?", answer: "Answer: 25%", rejectedBy: "format"),     // 2 form: no pair
            sample(leaf, seeds, question: "What is the margin?", answer: "30%.", context: "another table", rejectedBy: "numbers"), // 3 other context
            sample(leaf, seeds, question: "What is EBITDA?", answer: "Earnings before interest, taxes, D&A."),    // 4 accepted, edited below
            sample(leaf, seeds, question: "What is a bond?", answer: "A loan to an issuer."),                      // 5 accepted
            sample(leaf, seeds, question: "What is a bond?", answer: "A share of a company."),                     // 6 accepted, curator rejects
        ])
        let ids = try fixture.store.samples(runID: run, limit: 100).map(\.id)
        try fixture.store.addReview(NewReview(sampleID: ids[4], decision: .accept, answer: "Earnings before interest, taxes, depreciation and amortization.", reviewer: "ann"))
        try fixture.store.addReview(NewReview(sampleID: ids[6], decision: .reject, reason: .incorrect, reviewer: "ann"))
        let pairs = try fixture.store.preferencePairs(runID: run, contentFilters: ["arithmetic", "numbers"])
        let described = pairs.map { "\($0.chosen.sampleID)>\($0.rejectedSampleID):\($0.rejectedBy)" }
        #expect(described == ["\(ids[0])>\(ids[1]):arithmetic", "\(ids[5])>\(ids[6]):curator", "\(ids[4])>\(ids[4]):curator_edit"])
        let edit = try #require(pairs.last)
        #expect(edit.chosen.answer.hasSuffix("depreciation and amortization.") && edit.rejectedAnswer == "Earnings before interest, taxes, D&A.")
    }
}

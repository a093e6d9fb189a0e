import LabCore
@testable import LabPipeline
import Testing

@Suite struct RougeLScores {
    @Test(arguments: [
        ("the cat sat on the mat", "the cat on the mat", 2 * 1.0 * (5.0 / 6) / (1 + 5.0 / 6)),
        ("What is the current ratio?", "what is the CURRENT ratio", 1.0),
        ("Net income rose 12%.", "Revenue fell 3%.", 0.0),
        ("a b c d", "d c b a", 2 * 0.25 * 0.25 / 0.5),
        ("", "anything", 0.0),
    ])
    func scoresMatchTheRougeScoreDefinition(candidate: String, reference: String, expected: Double) {
        #expect(abs(RougeL.fMeasure(candidate, reference) - expected) < 1e-12)
    }

    @Test func tokensAreLowercaseAlphanumericRuns() {
        #expect(RougeL.tokens("EBITDA-to-debt: 2.5x (FY2024)") == ["ebitda", "to", "debt", "2", "5x", "fy2024"])
    }
}

@Suite struct NearDuplicateSearch {
    @Test func aRephrasedQuestionIsCaughtAndADifferentOneIsNot() {
        let index = NearDuplicateIndex()
        index.insert("What is the current ratio of a company?", label: "seed 0")
        index.insert("How is free cash flow defined?", label: "seed 1")
        let match = index.bestMatch(for: "What is the current ratio of the company?")
        #expect(match?.label == "seed 0")
        #expect((match?.score ?? 0) >= 0.7)
        #expect(index.bestMatch(for: "Which Item of the 10-K lists risk factors?") == nil)
    }

    @Test func theIndexFindsExactlyWhatComparingEveryPairFinds() {
        var random = SeededRandom(seed: 99)
        let words = (0..<40).map { "w\($0)" } + Array(repeating: "the", count: 10) + Array(repeating: "of", count: 6)
        func sentence() -> String {
            let length = 3 + Int(random.next() % 14)
            return (0..<length).map { _ in words[Int(random.next() % UInt64(words.count))] }.joined(separator: " ")
        }
        let stored = (0..<200).map { _ in sentence() }
        // Queries: fresh sentences and mutated copies of stored ones (near duplicates).
        var queries = (0..<60).map { _ in sentence() }
        for i in 0..<60 {
            var tokens = stored[i].split(separator: " ").map(String.init)
            if !tokens.isEmpty { tokens[Int(random.next() % UInt64(tokens.count))] = "changed" }
            queries.append(tokens.joined(separator: " "))
        }
        for threshold in [0.5, 0.7, 0.9] {
            let index = NearDuplicateIndex(threshold: threshold)
            for (i, text) in stored.enumerated() { index.insert(text, label: "\(i)") }
            for query in queries {
                let brute = stored.map { RougeL.fMeasure(query, $0) }.max() ?? 0
                let found = index.bestMatch(for: query)
                if brute >= threshold {
                    #expect(found != nil && abs(found!.score - brute) < 1e-12, "missed \(query) at \(threshold): best \(brute)")
                } else {
                    #expect(found == nil, "false match for \(query) at \(threshold)")
                }
            }
        }
    }

    /// 100,000 stored questions (a run's worth for a large taxonomy): rephrasings of stored ones are
    /// found, fresh ones are not, and the index reads only the rare tokens' postings to get there.
    @Test func atHundredThousandQuestionsNearDuplicatesAreStillFoundExactly() {
        var random = SeededRandom(seed: 5)
        let vocabulary = (0..<6_000).map { "term\($0)" } + ["what", "is", "the", "of", "a", "how", "does", "in"]
        func question() -> [String] {
            (0..<(8 + Int(random.next() % 8))).map { position in
                // Common words at the start, like real questions; content words after.
                position < 2 ? ["what", "is", "how", "does"][Int(random.next() % 4)]
                    : vocabulary[Int(random.next() % UInt64(vocabulary.count))]
            }
        }
        let index = NearDuplicateIndex(threshold: 0.7)
        var stored: [[String]] = []
        for number in 0..<100_000 {
            let words = question()
            stored.append(words)
            index.insert(words.joined(separator: " "), label: "\(number)")
        }
        #expect(index.count == 100_000)
        for probe in 0..<200 {
            let target = Int(random.next() % 100_000)
            var words = stored[target]
            words[words.count - 1] = "changed"  // one word of ten or so: ROUGE-L ≈ 0.9
            let match = index.bestMatch(for: words.joined(separator: " "))
            #expect(match?.label == "\(target)", "probe \(probe)")
            #expect(index.bestMatch(for: question().joined(separator: " ")) == nil)
        }
    }

    @Test func exactDuplicatesIgnoreCasePunctuationAndSpacing() {
        var set = ExactDuplicateSet()
        #expect(set.insert("What is EBITDA?", label: "a") == nil)
        #expect(set.insert("  what is   ebitda ", label: "b") == "a")
        #expect(set.insert("What is EBIT?", label: "c") == nil)
    }
}

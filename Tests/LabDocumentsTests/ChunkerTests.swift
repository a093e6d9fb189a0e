import Foundation
import LabCore
import LabDocuments
import Testing

@Suite struct Chunking {
    /// Counts whitespace-separated words: exact and easy to reason about in tests.
    static let words: @Sendable (String) -> Int = { DocumentText.wordCount($0) }

    private func document(_ text: String) -> SourceDocument { SourceDocument(path: "d.md", text: text) }

    private func scalarSlice(_ text: String, _ chunk: DocumentChunk) -> String {
        let scalars = Array(text.unicodeScalars)
        return String(String.UnicodeScalarView(scalars[chunk.startOffset..<chunk.endOffset]))
    }

    @Test func aShortDocumentIsOneChunkWithItsHeadingPath() {
        let text = "# Ratios\n\n## Liquidity\n\nThe current ratio compares assets with liabilities.\n"
        let chunks = Chunker(tokenBudget: 100, overlap: 10, countTokens: Self.words).chunks(of: document(text))
        #expect(chunks.count == 1)
        #expect(chunks[0].text == "# Ratios\n\n## Liquidity\n\nThe current ratio compares assets with liabilities.")
        #expect(chunks[0].headingPath == ["Ratios"])
    }

    @Test func chunksBreakBeforeHeadingsAndCarryTheirSectionPath() {
        let paragraph = Array(repeating: "Revenue grew steadily over the year.", count: 4).joined(separator: " ")
        let text = "# Report\n\n## Part I\n\n\(paragraph)\n\n## Part II\n\n\(paragraph)\n"
        let chunks = Chunker(tokenBudget: 30, overlap: 0, countTokens: Self.words).chunks(of: document(text))
        #expect(chunks.count == 2)
        #expect(chunks[1].text.hasPrefix("## Part II"))
        #expect(chunks[1].headingPath == ["Report", "Part II"])
    }

    @Test func offsetsReproduceTheTextExactlyEvenWithMultibyteCharacters() {
        let text = "# Café €\n\nÜber 10 % growth — naïve forecasts failed. Second sentence here.\n\nAnother paragraph 𝄞 with music.\n"
        let chunks = Chunker(tokenBudget: 6, overlap: 2, countTokens: Self.words).chunks(of: document(text))
        #expect(chunks.count > 1)
        for chunk in chunks {
            #expect(scalarSlice(text, chunk) == chunk.text)
        }
    }

    @Test func anOverlongSentenceIsSplitBetweenWordsNeverInsideOne() {
        let sentence = (1...50).map { "word\($0)" }.joined(separator: " ")
        let chunks = Chunker(tokenBudget: 8, overlap: 0, countTokens: Self.words).chunks(of: document(sentence))
        #expect(chunks.count == 7)
        let words = Set(sentence.split(separator: " ").map(String.init))
        for chunk in chunks {
            #expect(chunk.tokenCount <= 8)
            for word in chunk.text.split(separator: " ") { #expect(words.contains(String(word)), "split inside a word: \(word)") }
        }
    }

    @Test func consecutiveChunksOverlap() {
        let text = (1...40).map { "Sentence number \($0) ends here." }.joined(separator: " ")
        let chunks = Chunker(tokenBudget: 25, overlap: 10, countTokens: Self.words).chunks(of: document(text))
        #expect(chunks.count > 2)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            #expect(next.startOffset < previous.endOffset, "no overlap between chunk \(previous.index) and \(next.index)")
            #expect(next.startOffset > previous.startOffset)
        }
    }

    @Test func idsAreStableAcrossRunsAndChangeWithTheText() {
        let chunker = Chunker(tokenBudget: 10, overlap: 2, countTokens: Self.words)
        let text = "# A\n\nOne two three four five. Six seven eight nine ten. Eleven twelve."
        let first = chunker.chunks(of: document(text)).map(\.id)
        let again = chunker.chunks(of: document(text)).map(\.id)
        let changed = chunker.chunks(of: document(text + " Thirteen.")).map(\.id)
        #expect(first == again)
        #expect(Set(first).count == first.count)
        #expect(first != changed)
    }

    @Test func randomDocumentsAlwaysRespectTheInvariants() {
        var random = SeededRandom(seed: 2024)
        let vocabulary = ["revenue", "grew", "12%", "in", "fiscal", "2024,", "while", "margins", "fell.", "Cash", "flow", "rose!", "Why?", "EBITDA"]
        for trial in 0..<60 {
            var lines: [String] = []
            for _ in 0..<(3 + Int(random.next() % 20)) {
                switch random.next() % 5 {
                case 0: lines.append(String(repeating: "#", count: 1 + Int(random.next() % 3)) + " Heading \(trial)")
                case 1: lines.append("")
                default:
                    let count = 1 + Int(random.next() % 60)
                    lines.append((0..<count).map { _ in vocabulary[Int(random.next() % UInt64(vocabulary.count))] }.joined(separator: " "))
                }
            }
            let text = lines.joined(separator: "\n")
            let budget = 5 + Int(random.next() % 40)
            let chunker = Chunker(tokenBudget: budget, overlap: budget / 4, countTokens: Self.words)
            let chunks = chunker.chunks(of: document(text))
            let allWords = text.split(whereSeparator: \.isWhitespace)
            // Coverage: every word of the text appears in order across the chunks' spans.
            if allWords.isEmpty { #expect(chunks.isEmpty); continue }
            #expect(chunks.first?.startOffset ?? -1 >= 0)
            var covered = 0
            for chunk in chunks {
                #expect(scalarSlice(text, chunk) == chunk.text)
                #expect(chunk.tokenCount <= budget, "trial \(trial): \(chunk.tokenCount) > \(budget)")
                // Only whitespace may fall between one chunk's end and the next one's start.
                let scalars = Array(text.unicodeScalars)
                let gap = covered < chunk.startOffset ? scalars[covered..<chunk.startOffset] : []
                #expect(gap.allSatisfy { $0.properties.isWhitespace }, "trial \(trial): text lost before chunk \(chunk.index)")
                covered = max(covered, chunk.endOffset)
            }
            let lastNonSpace = text.unicodeScalars.lastIndex { !$0.properties.isWhitespace }.map { text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: $0) + 1 }
            #expect(covered == lastNonSpace, "trial \(trial): text not fully covered")
        }
    }
}

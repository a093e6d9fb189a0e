import Foundation
import LabCore
import LabDocuments
import Testing

/// A document made from `text` the way the loader would make it.
func document(_ text: String, path: String = "documents/test.md") throws -> SourceDocument {
    try DocumentLoader.decode(Data(text.utf8), path: path)
}

/// `count` sentences of `wordsPerSentence` words each, words numbered so every word is distinct.
func prose(sentences count: Int, wordsPerSentence: Int = 10, tag: String = "w") -> String {
    (0..<count).map { sentence in
        (0..<wordsPerSentence).map { "\(tag)\(sentence)x\($0)" }.joined(separator: " ") + "."
    }.joined(separator: " ")
}

/// Checks the invariants every chunking must keep and records what differed.
func checkInvariants(_ chunks: [DocumentChunk], of document: SourceDocument, chunker: DocumentChunker) {
    let bytes = Array(document.text.utf8)
    func isSpace(_ offset: Int) -> Bool {
        // Words are split at Unicode whitespace; the generated texts use ASCII spaces and LF.
        bytes[offset] == 0x20 || bytes[offset] == 0x0A || bytes[offset] == 0x09
    }
    var previous: DocumentChunk?
    for chunk in chunks {
        #expect(document.slice(utf8Offsets: chunk.startOffset..<chunk.endOffset) == chunk.text,
                "chunk \(chunk.index) offsets do not reproduce its text")
        #expect(String(decoding: bytes[chunk.startOffset..<chunk.endOffset], as: UTF8.self) == chunk.text)
        #expect(chunk.startOffset == 0 || isSpace(chunk.startOffset - 1), "chunk \(chunk.index) starts mid-word: \(chunk.text.prefix(30))")
        #expect(chunk.endOffset == bytes.count || isSpace(chunk.endOffset), "chunk \(chunk.index) ends mid-word: \(chunk.text.suffix(30))")
        let words = chunk.text.split(whereSeparator: \.isWhitespace).count
        #expect(chunk.tokenCount <= chunker.maxTokens || words == 1,
                "chunk \(chunk.index) has \(chunk.tokenCount) tokens, budget \(chunker.maxTokens)")
        #expect(chunk.tokenCount == chunker.tokenCounter(chunk.text))
        #expect(chunk.id == DocumentChunk.identity(documentHash: document.contentHash, startOffset: chunk.startOffset,
                                                   endOffset: chunk.endOffset, text: chunk.text))
        if let previous {
            #expect(chunk.index == previous.index + 1)
            #expect(chunk.startOffset > previous.startOffset && chunk.endOffset > previous.endOffset,
                    "chunk \(chunk.index) does not advance")
            #expect(chunk.startOffset <= previous.endOffset + 1 || onlyWhitespace(bytes[previous.endOffset..<chunk.startOffset]),
                    "text between chunk \(previous.index) and \(chunk.index) is lost")
            if chunk.startOffset < previous.endOffset {
                let overlap = String(decoding: bytes[chunk.startOffset..<previous.endOffset], as: UTF8.self)
                #expect(chunker.tokenCounter(overlap) <= chunker.overlapTokens, "overlap too long: \(overlap)")
            }
        } else {
            #expect(onlyWhitespace(bytes[0..<chunk.startOffset]), "text before the first chunk is lost")
        }
        previous = chunk
    }
    if let last = chunks.last {
        #expect(onlyWhitespace(bytes[last.endOffset...]), "text after the last chunk is lost")
    } else {
        #expect(onlyWhitespace(bytes[...]))
    }
}

func onlyWhitespace(_ bytes: ArraySlice<UInt8>) -> Bool {
    String(decoding: bytes, as: UTF8.self).unicodeScalars.allSatisfy(\.properties.isWhitespace)
}

@Suite struct DocumentChunking {
    @Test func aShortDocumentIsOneChunkWithoutSurroundingWhitespace() throws {
        let source = try document("\n\n# Title\n\nOne short paragraph.\n\n")
        let chunks = try DocumentChunker().chunks(of: source)
        #expect(chunks.map(\.text) == ["# Title\n\nOne short paragraph."])
        #expect(chunks.first?.startOffset == 2)
        #expect(chunks.first?.headingPath == ["Title"])
        #expect(chunks.first?.documentPath == "documents/test.md")
    }

    @Test func theDefaultEstimateIsAboutOnePointThreeTokensPerWord() {
        #expect(TokenCounter.wordEstimate("") == 0)
        #expect(TokenCounter.wordEstimate("one") == 2)
        #expect(TokenCounter.wordEstimate("one two three four five six seven eight nine ten") == 13)
        #expect(TokenCounter.wordEstimate(" a\n\tb  ") == 3)
    }

    @Test func anOverlongParagraphIsCutAtSentenceEnds() throws {
        let source = try document(prose(sentences: 40))  // 400 words, one paragraph
        let chunker = try DocumentChunker(maxTokens: 100, overlapTokens: 20)
        let chunks = chunker.chunks(of: source)
        #expect(chunks.count > 4)
        for chunk in chunks {
            #expect(chunk.text.hasSuffix("."), "chunk \(chunk.index) does not end a sentence: …\(chunk.text.suffix(40))")
            #expect(chunk.text.hasPrefix("w"), "chunk \(chunk.index) does not start a sentence")
            #expect(chunk.text.split(separator: " ").first?.hasSuffix("x0") == true, "chunk \(chunk.index) starts mid-sentence")
        }
        checkInvariants(chunks, of: source, chunker: chunker)
    }

    @Test func consecutiveChunksOverlapWithinTheOverlapBudget() throws {
        let source = try document(prose(sentences: 60, wordsPerSentence: 5))
        let chunker = try DocumentChunker(maxTokens: 80, overlapTokens: 20)
        let chunks = chunker.chunks(of: source)
        #expect(chunks.count > 3)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            #expect(next.startOffset < previous.endOffset, "chunks \(previous.index) and \(next.index) do not overlap")
        }
        checkInvariants(chunks, of: source, chunker: chunker)

        let without = try DocumentChunker(maxTokens: 80, overlapTokens: 0).chunks(of: source)
        for (previous, next) in zip(without, without.dropFirst()) {
            #expect(next.startOffset > previous.endOffset)
        }
    }

    @Test func chunksBreakAtHeadingsAndCarryTheirHeadingPath() throws {
        let text = """
            # Form 10-K

            \(prose(sentences: 3, tag: "intro"))

            ## Part I

            \(prose(sentences: 4, tag: "one"))

            ## Part II

            ### Item 7

            \(prose(sentences: 12, tag: "seven"))

            # comment-like line in code is not a heading:

            ```
            # not a heading
            ```
            """
        let source = try document(text)
        let chunker = try DocumentChunker(maxTokens: 70, overlapTokens: 10)
        let chunks = chunker.chunks(of: source)
        checkInvariants(chunks, of: source, chunker: chunker)
        let partOne = try #require(chunks.first { $0.text.hasPrefix("## Part I\n") })
        #expect(partOne.headingPath == ["Form 10-K", "Part I"])
        let partTwo = try #require(chunks.first { $0.text.hasPrefix("## Part II\n") })
        #expect(partTwo.headingPath == ["Form 10-K", "Part II"])
        #expect(partTwo.text.hasPrefix("## Part II\n\n### Item 7\n\nseven0x0"), "a heading must stay with what follows it")
        let chunkInItem7 = try #require(chunks.first { $0.text.hasPrefix("seven") })
        #expect(chunkInItem7.headingPath == ["Form 10-K", "Part II", "Item 7"])
        let afterFence = try #require(chunks.last)
        #expect(afterFence.headingPath == ["comment-like line in code is not a heading:"])
        for chunk in chunks {
            let lastLine = chunk.text.split(separator: "\n").last.map(String.init) ?? ""
            #expect(!(lastLine.hasPrefix("#") && lastLine.contains(" ")) || lastLine.hasPrefix("# not"),
                    "chunk \(chunk.index) ends with a heading: \(lastLine)")
        }
    }

    static let headings: [(line: String, path: [String])] = [
        ("# Title", ["Title"]),
        ("#   Spaced   ", ["Spaced"]),
        ("## Closed ##", ["Closed"]),
        ("### C# notes", ["C# notes"]),
        ("   # Indented", ["Indented"]),
        ("    # Code", []),
        ("#NoSpace", []),
        ("####### Seven", []),
        ("#", []),
    ]

    @Test(arguments: headings)
    func atxHeadingsAreRecognisedAsCommonMarkDefinesThem(_ row: (line: String, path: [String])) throws {
        let source = try document("\(row.line)\nbody text")
        let chunks = try DocumentChunker().chunks(of: source)
        #expect(chunks.first?.headingPath == row.path)
    }

    @Test func idsAreStableAcrossRunsAndChangeWithTheText() throws {
        let text = "# Notes\n\n" + prose(sentences: 30)
        let chunker = try DocumentChunker(maxTokens: 60, overlapTokens: 10)
        let first = chunker.chunks(of: try document(text))
        let second = try DocumentChunker(maxTokens: 60, overlapTokens: 10).chunks(of: try document(text))
        #expect(first == second)
        #expect(Set(first.map(\.id)).count == first.count, "ids must be unique within a document")
        #expect(first.first?.id == ContentHash.sha256Hex(
            "\(ContentHash.sha256Hex(text))\n\(first.first?.startOffset ?? -1)\n\(first.first?.endOffset ?? -1)\n\(first.first?.text ?? "")"))

        let edited = chunker.chunks(of: try document(text.replacingOccurrences(of: "w29x9", with: "w29x9!")))
        #expect(edited.count == first.count)
        #expect(Set(edited.map(\.id)).isDisjoint(with: first.map(\.id)), "a changed document must give new ids")
        #expect(Array(edited.map(\.text).dropLast()) == Array(first.map(\.text).dropLast()))
    }

    @Test func aWordLongerThanTheBudgetBecomesAChunkOfItsOwn() throws {
        let giant = String(repeating: "x", count: 400)
        let source = try document("short start. \(giant) short end.")
        let counter = TokenCounter { ($0.unicodeScalars.count + 3) / 4 }
        let chunker = try DocumentChunker(maxTokens: 20, overlapTokens: 5, tokenCounter: counter)
        let chunks = chunker.chunks(of: source)
        #expect(chunks.map(\.text) == ["short start.", giant, "short end."])
        checkInvariants(chunks, of: source, chunker: chunker)
    }

    @Test func aPluggedInCounterSetsTheBudget() throws {
        let source = try document(prose(sentences: 50))
        let characters = TokenCounter { $0.unicodeScalars.count }
        let chunker = try DocumentChunker(maxTokens: 300, overlapTokens: 40, tokenCounter: characters)
        let chunks = chunker.chunks(of: source)
        #expect(chunks.allSatisfy { $0.text.unicodeScalars.count <= 300 })
        #expect(chunks.dropLast().allSatisfy { $0.text.unicodeScalars.count >= 150 }, "chunks should use the budget")
        checkInvariants(chunks, of: source, chunker: chunker)
    }

    @Test(arguments: [(0, 0), (-5, 0), (100, 100), (100, -1), (10, 50)])
    func impossibleOptionsAreRejected(_ row: (maxTokens: Int, overlapTokens: Int)) {
        #expect(throws: DocumentError.self) {
            _ = try DocumentChunker(maxTokens: row.maxTokens, overlapTokens: row.overlapTokens)
        }
    }

    @Test func multibyteTextGetsByteOffsets() throws {
        let text = "# Überblick\n\n" + (0..<200).map { "Größe\($0) 東京\($0) 🚀\($0)." }.joined(separator: " ")
        let source = try document(text)
        let chunker = try DocumentChunker(maxTokens: 50, overlapTokens: 10)
        let chunks = chunker.chunks(of: source)
        #expect(chunks.count > 5)
        #expect(chunks.allSatisfy { $0.headingPath == ["Überblick"] })
        checkInvariants(chunks, of: source, chunker: chunker)
    }
}

@Suite struct RandomDocumentChunking {
    static let vocabulary = ["revenue", "rose", "12%", "to", "$4.2", "billion", "the", "company's", "net", "income",
                             "Größe", "東京", "🚀", "EBITDA", "(see", "note)", "“quoted”", "a", "of", "margin"]

    /// A random Markdown document: headings of random levels, paragraphs of random sentences,
    /// lists, code fences and blank-line runs.
    static func randomDocument(_ random: inout SeededRandomForTests) -> String {
        var blocks: [String] = []
        for _ in 0..<random.int(1...25) {
            switch random.int(0...9) {
            case 0, 1:
                blocks.append(String(repeating: "#", count: random.int(1...4)) + " " + sentence(&random, words: 1...4, end: ""))
            case 2:
                blocks.append((0..<random.int(1...5)).map { _ in "- " + sentence(&random, words: 2...12, end: "") }.joined(separator: "\n"))
            case 3:
                blocks.append("```\n# code\n" + sentence(&random, words: 1...8, end: "") + "\n```")
            default:
                blocks.append((0..<random.int(1...12)).map { _ in sentence(&random, words: 1...25, end: random.pick([".", "!", "?", ".\"", ""])) }
                    .joined(separator: random.pick([" ", " ", "\n"])))
            }
        }
        return blocks.joined(separator: random.pick(["\n\n", "\n\n\n", "\n"]))
    }

    static func sentence(_ random: inout SeededRandomForTests, words: ClosedRange<Int>, end: String) -> String {
        (0..<random.int(words)).map { _ in random.pick(vocabulary) }.joined(separator: " ") + end
    }

    @Test(arguments: 0..<8)
    func everyRandomDocumentKeepsTheChunkingInvariants(_ batch: Int) throws {
        var random = SeededRandomForTests(seed: UInt64(1_000 + batch))
        for _ in 0..<25 {
            let text = Self.randomDocument(&random)
            guard let source = try? document(text) else { continue }
            let maxTokens = random.int(8...200)
            let chunker = try DocumentChunker(maxTokens: maxTokens, overlapTokens: random.int(0...(maxTokens / 2)))
            let chunks = chunker.chunks(of: source)
            checkInvariants(chunks, of: source, chunker: chunker)
            #expect(chunker.chunks(of: source) == chunks, "chunking is not deterministic")
        }
    }
}

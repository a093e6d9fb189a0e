import Foundation
import LabCore
import Testing

@Suite struct DiagnosticFormatting {
    @Test func anErrorPrintsPathLineColumnDocumentPathAndHint() {
        let diagnostic = Diagnostic(
            .error, at: SourceLocation(path: "taxonomy/knowledge/a/qna.yaml", line: 4, column: 3),
            documentPath: ".seed_examples", rule: "min-items",
            message: "Value must have at least 5 items", hint: "add 2 more seed examples")
        #expect(diagnostic.description
            == "taxonomy/knowledge/a/qna.yaml:4:3: error: [.seed_examples] Value must have at least 5 items (hint: add 2 more seed examples)")
    }

    @Test func unknownLineAndColumnAreLeftOut() {
        #expect(SourceLocation(path: "a.yaml").description == "a.yaml")
        #expect(SourceLocation(path: "a.yaml", line: 7).description == "a.yaml:7")
    }

    @Test func githubAnnotationsEscapeNewlinesAndPercent() {
        let diagnostic = Diagnostic(
            .warning, at: SourceLocation(path: "x.yaml", line: 2, column: 1),
            rule: "r", message: "50% of\nlines")
        #expect(diagnostic.githubAnnotation == "::warning file=x.yaml,line=2,col=1::50%25 of%0Alines")
    }
}

@Suite struct ContentHashing {
    @Test func sha256MatchesTheFIPSTestVector() {
        #expect(ContentHash.sha256Hex("abc")
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash.sha256Hex("")
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func fileHashEqualsInMemoryHash() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hash-\(UUID()).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = Data((0..<10_000).map { UInt8($0 % 251) })
        try bytes.write(to: url)
        #expect(try ContentHash.sha256Hex(fileAt: url) == ContentHash.sha256Hex(bytes))
    }
}

@Suite struct SeededRandomness {
    @Test func theSameSeedGivesTheSameSequence() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        let first = (0..<100).map { _ in a.next() }
        let second = (0..<100).map { _ in b.next() }
        #expect(first == second)
    }

    @Test func differentSeedsAndStreamsDiffer() {
        var a = SeededRandom(seed: 1)
        var b = SeededRandom(seed: 2)
        var c = SeededRandom(seed: 1, stream: "knowledge->finance")
        let x = a.next(), y = b.next(), z = c.next()
        #expect(x != y && x != z && y != z)
    }

    @Test func theFirstOutputIsPinnedSoSeedsStayMeaningfulAcrossReleases() {
        // xoshiro256** seeded through SplitMix64 with seed 0; a change here silently changes
        // every user's "reproducible" run, so it must be deliberate.
        var generator = SeededRandom(seed: 0)
        #expect(generator.next() == 0x99EC_5F36_CB75_F2B4)
    }

    @Test func unitFloatsStayInRangeAndCoverIt() {
        var generator = SeededRandom(seed: 7)
        let values = (0..<10_000).map { _ in generator.nextUnitFloat() }
        #expect(values.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(abs(mean - 0.5) < 0.02)
    }
}

@Suite struct HomeDirectory {
    @Test func synthlabHomeOverridesTheCacheFolder() {
        let home = SynthlabHome(environment: ["SYNTHLAB_HOME": "/data/s", "HOME": "/root"])
        #expect(home.defaultModel.path == "/data/s/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        let fallback = SynthlabHome(environment: ["HOME": "/home/u"])
        #expect(fallback.modelsDirectory.path == "/home/u/.cache/synthlab/models")
    }
}

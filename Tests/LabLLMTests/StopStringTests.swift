import Testing
@testable import LabLLM

@Suite("Stop strings")
struct StopStringTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pieces: [String]
        var stops: [String]
        var released: String
        var stopped: Bool
        var testDescription: String { "\(pieces) with \(stops)" }
    }

    /// Feeds the pieces and returns everything released, and whether a stop matched.
    private func run(_ pieces: [String], _ stops: [String]) -> (String, Bool) {
        var matcher = StopStringMatcher(stops)
        var out = ""
        for piece in pieces { out += matcher.append(piece) }
        out += matcher.finish()
        return (out, matcher.isStopped)
    }

    @Test("Text before the first stop string is released, the stop string and after are not", arguments: [
        Case(pieces: ["Hel", "lo ST", "OP more"], stops: ["STOP"], released: "Hello ", stopped: true),
        Case(pieces: ["STOP"], stops: ["STOP"], released: "", stopped: true),
        Case(pieces: ["a", "b", "c"], stops: ["x"], released: "abc", stopped: false),
        Case(pieces: ["xxENDyySTOP"], stops: ["STOP", "END"], released: "xx", stopped: true),
        Case(pieces: ["ab", "d"], stops: ["bc"], released: "abd", stopped: false),
        Case(pieces: ["Q:", " x\n", "\nA"], stops: ["\n\n"], released: "Q: x", stopped: true),
        Case(pieces: ["caf", "é", "!", "?"], stops: ["é!"], released: "caf", stopped: true),
        Case(pieces: ["tail S", "TO"], stops: ["STOP"], released: "tail STO", stopped: false),
        Case(pieces: ["abc"], stops: [""], released: "abc", stopped: false),
        Case(pieces: ["aaab"], stops: ["aab"], released: "a", stopped: true),
    ])
    func released(_ example: Case) {
        let (text, stopped) = run(example.pieces, example.stops)
        #expect(text == example.released)
        #expect(stopped == example.stopped)
    }

    @Test("Text that could begin a stop string is held back until the next piece decides")
    func holdsBack() {
        var matcher = StopStringMatcher(["<|end|>"])
        #expect(matcher.append("answer <|e") == "answer ")
        #expect(matcher.append("n") == "")
        #expect(matcher.append("x") == "<|enx")
        #expect(matcher.append("<|end|> ignored") == "")
        #expect(matcher.isStopped)
        #expect(matcher.append("later") == "")
    }

    @Test("Any split of the text gives the same result as matching the whole", arguments: 0..<40)
    func splitsDoNotMatter(seed: Int) {
        let text = "the cost rose 12% — to $4.5bn; END of the report. END again"
        let stops = ["END", "rose 13", "$4.5bn;"]
        let characters = Array(text)
        var pieces: [String] = []
        var index = 0
        var state = UInt64(seed) &* 6_364_136_223_846_793_005 &+ 1
        while index < characters.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = Int(state >> 61) + 1
            pieces.append(String(characters[index..<min(characters.count, index + length)]))
            index += length
        }
        let (released, stopped) = run(pieces, stops)
        #expect(released == "the cost rose 12% — to ", "pieces \(pieces)")
        #expect(stopped)
    }
}

import Foundation
@testable import LabReview
import LabStore
import Testing

/// The naive twin of `HTMLText.highlighted`: mark characters one by one, then escape run by run.
private func naiveHighlight(_ text: String, spans: [String]) -> String {
    let characters = Array(text)
    var marked = [Bool](repeating: false, count: characters.count)
    for span in spans where span.utf16.count >= 3 {
        let needle = Array(span)
        guard needle.count <= characters.count else { continue }
        for start in 0...(characters.count - needle.count) where Array(characters[start..<(start + needle.count)]) == needle {
            for index in start..<(start + needle.count) { marked[index] = true }
        }
    }
    var html = "", index = 0
    while index < characters.count {
        var end = index
        while end < characters.count && marked[end] == marked[index] { end += 1 }
        let piece = HTMLText.escape(String(characters[index..<end]))
        html += marked[index] ? "<mark>\(piece)</mark>" : piece
        index = end
    }
    return html
}

@Suite struct HTMLTextBehaviour {
    @Test func escapingLeavesNoMarkup() {
        let hostile = #"<script>alert("x")</script> & "><img src=x onerror=alert(1)> 'quoted'"#
        let escaped = HTMLText.escape(hostile)
        #expect(!escaped.contains("<") && !escaped.contains(">") && !escaped.contains("\"") && !escaped.contains("'"))
        #expect(escaped.contains("&lt;script&gt;") && escaped.contains("&amp;") && escaped.contains("&#39;quoted&#39;"))
    }

    @Test func highlightingMatchesItsNaiveTwin() {
        let cases: [(String, [String])] = [
            ("| Net sales | 2,418.6 | 2,301.2 |", ["2,418.6", "Net sales"]),
            ("Revenue <b>rose</b> to $1,204 million; revenue rose again.", ["revenue rose", "1,204", "<b>"]),
            ("aaaa", ["aaa"]),                      // overlapping occurrences merge
            ("emoji 📈 rose 12% 📈 then", ["📈 rose", "12%"]),  // surrogate pairs stay whole
            ("nothing here", ["absent", "xy"]),     // no match; spans under 3 units are ignored
            ("", ["abc"]),
        ]
        for (text, spans) in cases {
            #expect(HTMLText.highlighted(text, spans: spans) == naiveHighlight(text, spans: spans), "\(text)")
        }
        #expect(HTMLText.highlighted("x <script> y", spans: ["<script>"]) == "x <mark>&lt;script&gt;</mark> y")
    }

    @Test func formFieldsDecodeLikeABrowserSendsThem() {
        let fields = FormFields("decision=reject&reason=off_task&note=wrong+period%21&answer=a%26b%3Dc%0A%F0%9F%93%88&empty=&flag")
        #expect(fields["decision"] == "reject" && fields["reason"] == "off_task" && fields["note"] == "wrong period!")
        #expect(fields["answer"] == "a&b=c\n📈" && fields["empty"] == "" && fields["flag"] == "" && fields["missing"] == nil)
        #expect(HTMLText.queryComponent("knowledge->finance a&b") == "knowledge-%3Efinance%20a%26b")
    }

    @Test func evidenceGivesPiecesAndTheFiguresInThem() {
        #expect(ReviewPages.figures("$1,204 million in 2026, up 12.5%.") == ["1,204", "2026", "12.5"])
        let spans = ReviewPages.evidenceSpans([
            Verdict(filter: "numbers", filterVersion: "1", decision: .accept, reason: "", evidence: #"{"figures":"$1,204 million | 2026"}"#),
            Verdict(filter: "computed_answer", filterVersion: "1", decision: .accept, reason: "", evidence: #"{"inputs":"Diagnostics × Fiscal 2026","operation":"table_cell"}"#),
        ])
        #expect(Set(spans).isSuperset(of: ["$1,204 million", "1,204", "Diagnostics", "Fiscal 2026", "2026"]))
        #expect(!spans.contains("table_cell"))
    }

    @Test func chartsEscapeLeafAndFilterNames() {
        let bars = [LeafFunnelBar(leaf: "skills-><script>x</script>", candidates: 10, accepted: 3,
                                  rejections: [.init(filter: "a\"><b>", count: 7)])]
        let svg = Charts.funnel(runID: 1, bars: bars)
        #expect(!svg.contains("<script>") && !svg.contains("\"><b>") && svg.contains("&lt;script&gt;"))
        #expect(svg.contains("3 / 10"))
        let histogram = Charts.histogram(ScoreHistogram(filter: "<i>", low: 0, high: 1, counts: [1, 0, 2], threshold: 0.5))
        #expect(!histogram.contains("<i>") && histogram.contains("threshold 0.50"))
    }
}

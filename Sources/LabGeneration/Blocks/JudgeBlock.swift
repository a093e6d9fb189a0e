import Foundation
import LabCore
import LabPipeline

/// The scale a judge answers on: yes/no, or an integer range such as `0-2` (InstructLab's
/// relevancy judge) or `1-3` (its pair judge).
enum JudgeScale: Sendable, Equatable {
    case yesNo
    case range(ClosedRange<Int>)

    init?(_ text: String) {
        if text == "yes_no" {
            self = .yesNo
            return
        }
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] < parts[1] else { return nil }
        self = .range(parts[0]...parts[1])
    }

    /// The score in a judge's reply: the first yes/no word, or the first integer on the scale;
    /// nil when there is none (recorded as such, never silently a 0).
    func score(_ reply: String) -> Int? {
        let words = reply.lowercased().split { !($0.isLetter || $0.isNumber) }
        switch self {
        case .yesNo:
            for word in words {
                if word == "yes" { return 1 }
                if word == "no" { return 0 }
            }
            return nil
        case .range(let range):
            return words.lazy.compactMap { Int($0) }.first { range.contains($0) }
        }
    }
}

/// `judge`: asks the teacher to score each row (greedy, short) and writes the score into the
/// `output` column; an unreadable reply leaves the column empty, and the filter that reads it
/// rejects the row saying so, with the reply as evidence.
struct JudgeBlock: FlowBlock {
    let spec: BlockSpec
    let output: String
    let scale: JudgeScale
    let maxTokens: Int
    let stop: [String]

    var name: String { spec.name }

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        var judged: [Candidate] = []
        for row in rows {
            guard !row.isRejected else {
                judged.append(row)
                continue
            }
            let prompt = try spec.renderPrompt(row.columns)
            let request = GenerationRequest(input: .chat([ChatMessage(.user, prompt)]),
                                            parameters: SamplingParameters(maxTokens: maxTokens, stop: stop, seed: context.unit.requestSeed))
            let (_, result) = try await context.requireTeacher(name).generate(request)
            let reply = result.completions.first?.text ?? ""
            var row = row
            row.columns[output] = scale.score(reply).map(String.init) ?? ""
            row.columns[output + "_reply"] = String(reply.prefix(200))
            judged.append(row)
        }
        return judged
    }
}

import Foundation
import LabCore
import LabPipeline
import LabStore

/// `consistency`: asks the teacher the row's question `samples` more times at `temperature` and
/// measures how many of those answers agree with the candidate's — by final figure when the answer
/// has one (same figure within its written precision), else by ROUGE-L ≥ 0.5. The share is the
/// verdict's score; below `min_agreement` the row is rejected (0, the default, only records it:
/// a small teacher disagrees with itself too often for its majority to mean much).
///
/// With `keep_majority: true` (generation only), when most answers agree on a final figure other
/// than the candidate's, the candidate's answer is replaced by one of the majority's; the verdict
/// says so, and the verifiers after this block check the kept answer.
struct ConsistencyBlock: FlowBlock {
    let name: String
    let template: BlockSpec
    let templateText: String
    let samples: Int
    let temperature: Float
    let maxTokens: Int
    let minimumAgreement: Double
    let keepMajority: Bool
    let leaves: [LeafGlob]

    static let version = "1"

    func run(_ rows: [Candidate], context: BlockContext) async throws -> [Candidate] {
        guard leaves.isEmpty || leaves.contains(where: { $0.matches(context.leafPath) }), let teacher = context.teacher else { return rows }
        var output: [Candidate] = []
        for row in rows {
            guard !row.isRejected else {
                output.append(row)
                continue
            }
            var random = SeededRandom(seed: context.unit.requestSeed, stream: name + "#" + row.question)
            let prompt = try template.renderPrompt(row.columns)
            let request = GenerationRequest(input: .chat([ChatMessage(.user, prompt)]),
                                            parameters: SamplingParameters(temperature: temperature, maxTokens: maxTokens, seed: random.next()),
                                            count: samples)
            let (_, result) = try await teacher.generate(request)
            let others = result.completions.map { ReplyParser.answer.parse($0.text)?["answer"] ?? "" }.filter { !$0.isEmpty }
            var row = row
            let own = Self.finalFigure(row.answer)
            let agreeing = others.filter { Self.agree($0, row.answer, ownFigure: own) }
            let share = others.isEmpty ? 0 : Double(agreeing.count) / Double(others.count)
            var evidence = ["answers": String(others.count), "agreeing": String(agreeing.count)]
            if let own { evidence["final_figure"] = own.text }
            if keepMajority, let majority = Self.majority(others), own.map({ !$0.matches(majority.figure.value) }) ?? true,
               majority.count * 2 > others.count {
                evidence["replaced_with_majority"] = majority.figure.text
                row.columns["answer"] = majority.answer
            }
            let kept = share >= minimumAgreement
            row.verdicts.append(Verdict(filter: name, filterVersion: Self.version, score: share, threshold: minimumAgreement,
                                        decision: kept ? .accept : .reject,
                                        reason: kept ? "teacher's answers agree" : "teacher's answers disagree",
                                        evidence: GenerateBlock.json(evidence)))
            output.append(row)
        }
        return output
    }

    static func finalFigure(_ answer: String) -> Figure? {
        ArithmeticCheck.conclusionFigures(of: answer)?.first
    }

    static func agree(_ other: String, _ answer: String, ownFigure: Figure?) -> Bool {
        if let ownFigure {
            guard let theirs = finalFigure(other) else { return false }
            return ownFigure.matches(theirs.value) || theirs.matches(ownFigure.value)
        }
        return RougeL.fMeasure(other, answer) >= 0.5
    }

    /// The most common final figure among `answers`, with one answer that states it.
    static func majority(_ answers: [String]) -> (figure: Figure, answer: String, count: Int)? {
        var groups: [(figure: Figure, answer: String, count: Int)] = []
        for answer in answers {
            guard let figure = finalFigure(answer) else { continue }
            if let index = groups.firstIndex(where: { $0.figure.matches(figure.value) }) { groups[index].count += 1 } else { groups.append((figure, answer, 1)) }
        }
        return groups.max { $0.count < $1.count }
    }
}

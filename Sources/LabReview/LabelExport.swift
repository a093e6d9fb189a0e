public import LabStore
import Foundation

/// Curator decisions as a labelled set in the format of `bench/quality` (the input of `synthlab
/// verify` plus label, class and reason), so reviews become measurements of the filters.
public enum LabelExport {
    /// One JSON line per reviewed sample; an edited sample gives two: what was generated (bad: the
    /// curator had to change it) and the curator's revision (good).
    public static func lines(_ samples: [ReviewedSample]) -> [String] {
        var lines: [String] = []
        for sample in samples {
            let leaf = sample.leaf.replacingOccurrences(of: "->", with: "/")
            let review = sample.review
            let edited = sample.question != sample.originalQuestion || sample.answer != sample.originalAnswer
            func line(id: String, question: String, answer: String, label: String, kind: String, reason: String) -> String {
                let object: [String: Any] = [
                    "id": id, "leaf": leaf, "question": question, "answer": answer, "context": sample.context ?? NSNull(),
                    "label": label, "class": kind, "reason": reason, "reviewer": review.reviewer, "reviewed_at": review.createdAt,
                    "pipeline_status": sample.status, "run": sample.runID, "sample": sample.sampleID,
                ]
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                return String(decoding: data, as: UTF8.self)
            }
            let id = "review-\(sample.runID)-\(sample.sampleID)"
            if edited {
                lines.append(line(id: id + "-generated", question: sample.originalQuestion, answer: sample.originalAnswer, label: "bad",
                                  kind: "curator_edited", reason: review.note.isEmpty ? "a curator corrected the generated text" : review.note))
                if review.decision == .accept {
                    lines.append(line(id: id + "-edited", question: sample.question, answer: sample.answer, label: "good",
                                      kind: "good", reason: "curator's revision"))
                }
            } else if review.decision == .accept {
                lines.append(line(id: id, question: sample.question, answer: sample.answer, label: "good", kind: "good",
                                  reason: review.note.isEmpty ? "accepted by a curator" : review.note))
            } else {
                let kind = review.reason?.rawValue ?? ReviewReason.other.rawValue
                lines.append(line(id: id, question: sample.question, answer: sample.answer, label: "bad", kind: kind,
                                  reason: review.note.isEmpty ? (review.reason ?? .other).label : review.note))
            }
        }
        return lines
    }
}

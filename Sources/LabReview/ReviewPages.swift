import Foundation
import Hummingbird
import LabStore
import Mustache
import NIOCore

/// Renders the pages from the store. Values go into the templates as plain strings (escaped by
/// Mustache); the only raw HTML is what `Charts` and `HTMLText` built.
struct ReviewPages: Sendable {
    let store: SampleStore
    let readOnly: Bool
    let reviewer: String
    let csrfToken: String
    let library: MustacheLibrary
    static let pageSize = 50

    /// A page was asked for that does not exist.
    struct NotFound: Error { var message: String }

    init(store: SampleStore, readOnly: Bool, reviewer: String, csrfToken: String) throws {
        self.store = store
        self.readOnly = readOnly
        self.reviewer = reviewer
        self.csrfToken = csrfToken
        var library = MustacheLibrary()
        for (name, text) in [("layout", Templates.layout), ("runs", Templates.runs), ("samples", Templates.samples),
                             ("sample", Templates.sample), ("login", Templates.login), ("problem", Templates.problem)] {
            try library.register(text, named: name)
        }
        self.library = library
    }

    // MARK: Responses

    /// A page rendered by `body`, or the problem page for what went wrong.
    func respond(_ body: () throws -> (page: String, title: String, html: String)) -> Response {
        do {
            let rendered = try body()
            return html(.ok, page: rendered.page, title: rendered.title, body: rendered.html)
        } catch let error as NotFound {
            return notFound(error.message)
        } catch {
            return problem(.internalServerError, "The store could not be read", "\(error)")
        }
    }

    func notFound(_ message: String) -> Response { problem(.notFound, "Not found", message) }

    func problem(_ status: HTTPResponse.Status, _ heading: String, _ message: String) -> Response {
        let body = library.render(["heading": heading, "message": message], withTemplate: "problem") ?? ""
        return html(status, page: "problem", title: heading, body: body)
    }

    private func html(_ status: HTTPResponse.Status, page: String, title: String, body: String) -> Response {
        let document = library.render([
            "title": title, "page": page, "body": body, "readOnly": readOnly, "reviewer": reviewer, "storePath": store.path,
        ] as [String: Any], withTemplate: "layout") ?? body
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: document)))
    }

    // MARK: Pages

    func runs() throws -> (page: String, title: String, html: String) {
        let runs = try store.runs().reversed().map { run -> [String: Any] in
            let configuration = try? store.runConfiguration(run.id)
            let summary = try store.reviewSummary(runID: run.id)
            return Self.compact([
                "id": run.id, "status": run.status, "teacher": run.teacher, "createdAt": run.createdAt,
                "pipeline": configuration?.settings["pipeline"] ?? "", "seed": configuration.map { String($0.seed) } ?? "",
                "candidates": run.accepted + run.rejected, "accepted": run.accepted, "reviewed": summary.reviewed,
                "precision": summary.precision.map { String(format: "%.2f (%d of %d accepts reviewed were right as generated)", $0, summary.confirmedAccepted, summary.reviewedAccepted) },
                "rescued": summary.rescued > 0 ? String(summary.rescued) : "",
                "funnel": Charts.funnel(runID: run.id, bars: try store.funnelBars(runID: run.id)),
            ])
        }
        return ("runs", "Runs", library.render(["runs": runs], withTemplate: "runs") ?? "")
    }

    func samples(runID: Int64, query fields: FormFields) throws -> (page: String, title: String, html: String) {
        guard try store.runExists(runID) else { throw NotFound(message: "There is no run \(runID) in \(store.path).") }
        func nonEmpty(_ name: String) -> String? { fields[name].flatMap { $0.isEmpty ? nil : $0 } }
        let status = nonEmpty("status").flatMap { ["accepted", "rejected"].contains($0) ? $0 : nil }
        let curator = nonEmpty("curator").flatMap(SampleQuery.CuratorFilter.init(rawValue:))
        let page = max(1, Int(fields["page"] ?? "") ?? 1)
        let query = SampleQuery(runID: runID, leaf: nonEmpty("leaf"), status: status, rejectedBy: nonEmpty("rejected_by"), curator: curator,
                                text: nonEmpty("q"), page: page - 1, pageSize: Self.pageSize)
        let result = try store.samplePage(query)
        let (histograms, covered) = try store.scoreHistograms(query)
        let pages = max(1, (result.total + Self.pageSize - 1) / Self.pageSize)
        func link(page: Int) -> String {
            var parts: [String] = []
            for name in ["leaf", "status", "rejected_by", "curator", "q"] {
                if let value = nonEmpty(name) { parts.append(name + "=" + HTMLText.queryComponent(value)) }
            }
            parts.append("page=\(page)")
            return "/runs/\(runID)/samples?" + parts.joined(separator: "&")
        }
        func options(_ values: [(String, String)], selected: String?) -> [[String: Any]] {
            values.map { ["value": $0.0, "label": $0.1, "selected": $0.0 == (selected ?? "")] }
        }
        let context = Self.compact([
            "runID": runID, "total": result.total, "pageNumber": page, "pages": result.total > 0 ? String(pages) : "",
            "text": fields["q"] ?? "",
            "leaves": options(try store.leafPaths(runID: runID).map { ($0, $0) }, selected: query.leaf),
            "statuses": options([("", "any"), ("accepted", "accepted"), ("rejected", "rejected")], selected: status),
            "filters": options(try store.rejectingFilters(runID: runID).map { ($0, $0) }, selected: query.rejectedBy),
            "curators": options([("", "any")] + SampleQuery.CuratorFilter.allCases.map { ($0.rawValue, $0.rawValue) }, selected: curator?.rawValue),
            "hasRows": !result.rows.isEmpty,
            "rows": result.rows.map { row -> [String: Any] in
                Self.compact(["id": row.id, "leaf": Charts.shortLeaf(row.leaf), "status": row.status, "rejectedBy": row.rejectedBy ?? "",
                 "reason": row.reason ?? "", "curator": row.curator?.rawValue ?? "",
                 "curatorLabel": row.curator.map(Self.pastTense) ?? "", "edited": row.edited,
                 "question": Self.clip(row.question, 400), "answer": Self.clip(row.answer, 600)])
            },
            "previousPage": page > 1 ? link(page: page - 1) : "",
            "nextPage": page < pages ? link(page: page + 1) : "",
            "hasHistograms": !histograms.isEmpty, "covered": covered,
            "histograms": histograms.map { Self.compact(["filter": $0.filter, "svg": Charts.histogram($0), "threshold": $0.threshold.map { Charts.format($0) }]) },
        ])
        return ("samples", "Run \(runID) samples", library.render(context, withTemplate: "samples") ?? "")
    }

    func sample(id: Int64, message: String?) throws -> (page: String, title: String, html: String) {
        guard let lineage = try lineage(of: id) else { throw NotFound(message: "There is no sample \(id) in \(store.path).") }
        let neighbours = try store.neighbours(ofSample: id)
        // The answer itself is evidence too when it was lifted from its context (answer-first knowledge, table cells).
        let spans = Self.evidenceSpans(lineage.verdicts) + [lineage.answer.trimmingCharacters(in: .whitespacesAndNewlines)]
        let question = lineage.effectiveQuestion, answer = lineage.effectiveAnswer
        let context = Self.compact([
            "id": id, "runID": lineage.runID, "status": lineage.status, "curator": lineage.curatorDecision?.rawValue ?? "",
            "curatorLabel": lineage.curatorDecision.map(Self.pastTense) ?? "",
            "leaf": lineage.leafPath, "document": lineage.documentPath ?? "", "teacher": lineage.teacher ?? "",
            "message": message ?? "", "question": question, "answer": answer,
            "answerHTML": HTMLText.highlighted(answer, spans: spans),
            "originalQuestion": question == lineage.question ? "" : lineage.question,
            "originalAnswer": answer == lineage.answer ? "" : lineage.answer,
            "hasContext": !(lineage.context ?? "").isEmpty,
            "contextHTML": HTMLText.highlighted(lineage.context ?? "", spans: spans),
            "readOnly": readOnly, "csrf": csrfToken,
            "reasons": ReviewReason.allCases.map { ["value": $0.rawValue, "label": $0.label] },
            "previous": neighbours.previous.map(String.init) ?? "", "next": neighbours.next.map(String.init) ?? "",
            "verdicts": lineage.verdicts.map { verdict -> [String: Any] in
                Self.compact(["filter": verdict.filter, "decision": verdict.decision.rawValue, "reason": verdict.reason,
                 "score": verdict.score.map { Charts.format($0) } ?? "", "threshold": verdict.threshold.map { Charts.format($0) } ?? "",
                 "evidence": verdict.evidence ?? ""])
            },
            "reviews": lineage.reviews.map { review -> [String: Any] in
                let edited = [review.question != nil ? "question" : nil, review.answer != nil ? "answer" : nil].compactMap { $0 }
                return Self.compact(["decision": review.decision.rawValue, "reason": review.reason?.rawValue ?? "", "reviewer": review.reviewer,
                        "createdAt": review.createdAt, "note": review.note, "edited": edited.joined(separator: " and ")])
            },
            "seeds": lineage.seeds.map { ["question": $0.question, "answer": $0.answer] },
            "prompt": Self.promptTurns(lineage.requestInput),
            "reply": lineage.responseText ?? "",
        ])
        return ("sample", "Sample \(id)", library.render(context, withTemplate: "sample") ?? "")
    }

    func login(message: String?) throws -> (page: String, title: String, html: String) {
        ("login", "Sign in", library.render(Self.compact(["csrf": csrfToken, "message": message]), withTemplate: "login") ?? "")
    }

    // MARK: Helpers

    /// The context without nil values and empty strings: in Mustache a present key, even "", opens
    /// its `{{#section}}`, so absent things must be missing keys.
    static func compact(_ values: [String: Any?]) -> [String: Any] {
        values.compactMapValues { value in
            guard let value else { return nil }
            if let text = value as? String, text.isEmpty { return nil }
            return value
        }
    }

    private func lineage(of id: Int64) throws -> SampleLineage? {
        let result: Result<SampleLineage, StoreError>
        do { result = .success(try store.lineage(ofSample: id)) } catch { result = .failure(error) }
        switch result {
        case .success(let lineage): return lineage
        case .failure(let error) where error.kind == .notFound: return nil
        case .failure(let error): throw error
        }
    }

    static func pastTense(_ decision: ReviewDecision) -> String { decision == .accept ? "accepted" : "rejected" }

    static func clip(_ text: String, _ limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    /// The strings verifiers recorded as evidence (matched cells, sentences, figures), to mark in the text.
    static func evidenceSpans(_ verdicts: [Verdict]) -> [String] {
        var spans: [String] = []
        for verdict in verdicts {
            guard let json = verdict.evidence, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { continue }
            for (key, value) in object where !["hint", "reply", "closest_other", "answer_source", "operation", "expected"].contains(key) {
                guard let text = value as? String else { continue }
                // Pieces ("$1,204 million | 2026", "Diagnostics × Fiscal 2026"), and the figures inside
                // them as the context writes them ("1,204"), so a table cell is marked too.
                let pieces = text.components(separatedBy: " | ").flatMap { $0.components(separatedBy: " × ") }
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                spans += pieces.filter { $0.count >= 3 }
                spans += pieces.flatMap(Self.figures).filter { $0.count >= 3 }
            }
        }
        return spans
    }

    /// The numbers written in `text` ("1,204", "12.5"), as written.
    static func figures(_ text: String) -> [String] {
        var found: [String] = [], current = ""
        for character in text + " " {
            if character.isNumber || (!current.isEmpty && (character == "," || character == ".")) {
                current.append(character)
            } else {
                while let last = current.last, last == "," || last == "." { current.removeLast() }
                if !current.isEmpty { found.append(current) }
                current = ""
            }
        }
        return found
    }

    /// The rendered prompt of a teacher request as role/content turns (chat) or one turn (completion).
    static func promptTurns(_ input: String?) -> [[String: String]] {
        guard let input, let object = try? JSONSerialization.jsonObject(with: Data(input.utf8)) else { return [] }
        func turns(_ value: Any) -> [[String: String]]? {
            if let text = value as? String { return [["role": "prompt", "content": text]] }
            if let messages = value as? [[String: Any]], messages.allSatisfy({ $0["content"] != nil }) {
                return messages.map { ["role": ($0["role"] as? String) ?? "", "content": ($0["content"] as? String) ?? "\($0["content"] ?? "")"] }
            }
            if let dictionary = value as? [String: Any] {
                for key in dictionary.keys.sorted() { if let found = turns(dictionary[key]!) { return found } }
            }
            return nil
        }
        return turns(object) ?? [["role": "request", "content": input]]
    }
}

import Foundation
@testable import LabJinja
import Testing

/// llama.cpp's real chat templates (models/templates/*.jinja of the vendored tree) rendered by
/// LabJinja and compared byte for byte with Python's jinja2, whose renderings
/// scripts/render-chat-templates.py writes into the cache. Wrong output fails the test; a
/// template that needs what the interpreter lacks is counted, and the count of templates that
/// pass may not drop below `passingFloor`.
@Suite struct ChatTemplateCorpus {
    /// Measured: 70 of the 70 templates in llama-cpp-python 0.3.36 render identically.
    static let passingFloor = 70

    static let setUpHint = "run scripts/fetch-llama-cpp-vendor.sh && python3 scripts/render-chat-templates.py"

    /// `$SYNTHLAB_HOME/llama-cpp-python-0.3.36`, as the fetch and render scripts find it.
    static var cacheRoot: URL {
        let environment = ProcessInfo.processInfo.environment
        let home: URL
        if let explicit = environment["SYNTHLAB_HOME"], !explicit.isEmpty {
            home = URL(fileURLWithPath: explicit, isDirectory: true)
        } else {
            let user = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
                ?? FileManager.default.homeDirectoryForCurrentUser
            home = user.appendingPathComponent(".cache/synthlab", isDirectory: true)
        }
        return home.appendingPathComponent("llama-cpp-python-0.3.36", isDirectory: true)
    }

    static var templatesDirectory: URL {
        cacheRoot.appendingPathComponent("llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates", isDirectory: true)
    }

    static var expectedDirectory: URL {
        cacheRoot.appendingPathComponent("chat-template-expected", isDirectory: true)
    }

    struct Cases {
        var conversations: [String: [JinjaValue]]
        var bosToken: String
        var eosToken: String
        var now: JinjaDateTime
    }

    struct MissingSetUp: Error, CustomStringConvertible {
        var description: String
    }

    static func readJSON(_ url: URL) throws -> JinjaValue {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw MissingSetUp(description: "\(url.path) is missing (\(setUpHint))")
        }
        return try JinjaJSON.parse(String(decoding: data, as: UTF8.self))
    }

    static func loadCases() throws -> Cases {
        guard case .dict(let cases) = try readJSON(expectedDirectory.appendingPathComponent("cases.json")),
            case .dict(let conversations)? = cases["conversations"],
            let bos = cases["bos_token"]?.stringValue, let eos = cases["eos_token"]?.stringValue,
            let now = cases["now"]?.stringValue
        else {
            throw MissingSetUp(description: "cases.json has an unexpected layout (\(setUpHint))")
        }
        // "2026-01-15T10:30:00"
        let numbers = now.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        guard numbers.count == 6 else { throw MissingSetUp(description: "cases.json: bad date '\(now)'") }
        var byName: [String: [JinjaValue]] = [:]
        for (name, value) in conversations.pairs {
            guard let name = name.stringValue, case .list(let messages) = value else {
                throw MissingSetUp(description: "cases.json: bad conversation")
            }
            byName[name] = messages
        }
        return Cases(
            conversations: byName, bosToken: bos, eosToken: eos,
            now: JinjaDateTime(year: numbers[0], month: numbers[1], day: numbers[2], hour: numbers[3], minute: numbers[4], second: numbers[5]))
    }

    enum Outcome {
        case identical
        case wrong(String)
        case unsupported(String)
        case failed(String)
    }

    /// Renders one template's four cases and compares them with jinja2's.
    static func check(templateFile: URL, cases: Cases) throws -> Outcome {
        let name = templateFile.deletingPathExtension().lastPathComponent
        let source = try String(contentsOf: templateFile, encoding: .utf8)
        guard case .dict(let expected) = try readJSON(expectedDirectory.appendingPathComponent(name + ".json")),
            expected["source"]?.stringValue.map({ $0 == source }) == true,
            case .list(let renderings)? = expected["renderings"]
        else {
            throw MissingSetUp(description: "the expected renderings of \(name) are missing or stale (\(setUpHint))")
        }
        let template: JinjaTemplate
        do {
            template = try JinjaTemplate(source, name: templateFile.lastPathComponent)
        } catch let error as JinjaError {
            if error.kind == .unsupported { return .unsupported(error.description) }
            let allRaised = renderings.allSatisfy { if case .dict(let r) = $0 { r["error"] != nil } else { false } }
            return allRaised ? .identical : .failed(error.description)
        }
        var outcome = Outcome.identical
        for case .dict(let rendering) in renderings {
            guard let conversationName = rendering["conversation"]?.stringValue,
                let messages = cases.conversations[conversationName],
                case .bool(let addGenerationPrompt)? = rendering["add_generation_prompt"]
            else { throw MissingSetUp(description: "\(name).json has an unexpected layout (\(setUpHint))") }
            let label = "\(conversationName), add_generation_prompt=\(addGenerationPrompt)"
            let swiftResult = Result {
                try template.renderChat(
                    messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: cases.bosToken,
                    eosToken: cases.eosToken, now: cases.now)
            }
            switch (swiftResult, rendering["output"]?.stringValue, rendering["error"]?.stringValue) {
            case (.success(let output), let expectedOutput?, _):
                if output != expectedOutput {
                    return .wrong("\(label): \(firstDifference(output, expectedOutput))")
                }
            case (.success(let output), nil, let pythonError):
                return .wrong("\(label): jinja2 raised \(pythonError ?? "?") but LabJinja rendered \(output.debugDescription.prefix(200))")
            case (.failure(let error), nil, let pythonError):
                // Both raised. A raise_exception must carry the same message.
                if let error = error as? JinjaError, error.kind == .raised,
                    rendering["error_type"]?.stringValue == "TemplateError", error.message != pythonError
                {
                    return .wrong("\(label): raised '\(error.message)', jinja2 raised '\(pythonError ?? "")'")
                }
            case (.failure(let error), _?, _):
                if let error = error as? JinjaError, error.kind == .unsupported {
                    outcome = .unsupported("\(label): \(error.description)")
                } else if case .identical = outcome {
                    outcome = .failed("\(label): \(error)")
                }
            }
        }
        return outcome
    }

    static func firstDifference(_ actual: String, _ expected: String) -> String {
        let a = Array(actual.unicodeScalars)
        let b = Array(expected.unicodeScalars)
        var index = 0
        while index < a.count && index < b.count && a[index] == b[index] { index += 1 }
        func excerpt(_ scalars: [Unicode.Scalar]) -> String {
            let start = max(index - 40, 0)
            let end = min(index + 60, scalars.count)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[start..<end])
            return String(view).debugDescription
        }
        return "differs at scalar \(index) (lengths \(a.count) vs \(b.count)):\n    LabJinja: \(excerpt(a))\n    jinja2:   \(excerpt(b))"
    }

    @Test func everyTemplateRendersAsJinja2DoesOrNamesWhatItLacks() throws {
        let directory = Self.templatesDirectory
        let files = ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "jinja" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !files.isEmpty else {
            Issue.record("no chat templates at \(directory.path): \(Self.setUpHint)")
            return
        }
        let cases: Cases
        do {
            cases = try Self.loadCases()
        } catch {
            Issue.record("\(error)")
            return
        }
        var identical: [String] = []
        var unsupported: [String] = []
        var failed: [String] = []
        for file in files {
            let name = file.lastPathComponent
            switch try Self.check(templateFile: file, cases: cases) {
            case .identical: identical.append(name)
            case .wrong(let detail): Issue.record("\(name) renders differently from jinja2: \(detail)")
            case .unsupported(let detail): unsupported.append("\(name) (\(detail))")
            case .failed(let detail): failed.append("\(name) (\(detail))")
            }
        }
        var summary = "chat templates: \(identical.count)/\(files.count) byte-identical"
        if !unsupported.isEmpty { summary += ", \(unsupported.count) unsupported:\n  " + unsupported.joined(separator: "\n  ") }
        if !failed.isEmpty { summary += "\n\(failed.count) raised where jinja2 renders:\n  " + failed.joined(separator: "\n  ") }
        print(summary)
        #expect(identical.count >= Self.passingFloor, "\(summary)")
    }
}

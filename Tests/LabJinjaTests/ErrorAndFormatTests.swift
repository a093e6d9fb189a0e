import Foundation
@testable import LabJinja
import Testing

/// What LabJinja does where it cannot (or must not) match jinja2: constructs it lacks are errors
/// that name the construct and its place, never a guess.
@Suite struct UnsupportedConstructs {
    func error(_ template: String, variables: String = "{}") -> JinjaError? {
        do {
            _ = try renderLikeChatTemplate(template, variables: variables)
            return nil
        } catch {
            return error as? JinjaError
        }
    }

    @Test func aMissingFilterIsNamedWithItsLineAndColumn() throws {
        let found = try #require(error("first line\n  {{ 'x' | xmlattr }}"))
        #expect(found.kind == .unsupported)
        #expect(found.construct == "filter 'xmlattr'")
        #expect(found.position == SourcePosition(line: 2, column: 12))
        #expect(found.description.hasPrefix("case.jinja:2:12: error: unsupported filter 'xmlattr'"))
    }

    @Test func aMissingFilterInABranchNotTakenDoesNotMatter() throws {
        #expect(try renderLikeChatTemplate("{% if false %}{{ x|xmlattr }}{% endif %}ok") == "ok")
    }

    @Test(arguments: [
        ("{% include 'other.jinja' %}", "tag 'include'"),
        ("{% extends 'base.jinja' %}", "tag 'extends'"),
        ("{% for x in y recursive %}{% endfor %}", "recursive loop"),
        ("{{ [1]|select }}", "printing a generator ('select_or_reject')"),
        ("{{ 'a'.upper }}", "printing a function ('upper')"),
        ("{{ 10 ** 20 }}", "integer arithmetic beyond 64 bits"),
        ("{{ 'a'.casefold() }}", "string method 'casefold'"),
        ("{{ [1, 2]|groupby('x') }}", "filter 'groupby'"),
        ("{{ strftime_now('%G') }}", "strftime directive '%G'"),
        ("{{ cycler(1, 2) }}", "global function 'cycler'"),
    ])
    func constructsItLacksAreErrorsNamingThem(template: String, construct: String) throws {
        let found = try #require(error(template), "\(template) rendered")
        #expect(found.kind == .unsupported, "\(found)")
        #expect(found.construct == construct, "\(found)")
    }

    @Test func syntaxErrorsPointAtTheToken() throws {
        let found = try #require(error("a\n{{ 1 + }}"))
        #expect(found.kind == .syntax)
        #expect(found.position == SourcePosition(line: 2, column: 8))
        #expect(found.description == "case.jinja:2:8: error: unexpected '}}'")
    }

    @Test func raiseExceptionCarriesTheTemplatesMessage() throws {
        let found = try #require(error("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
            variables: #"{"messages": [{"role": "system", "content": "x"}]}"#))
        #expect(found.kind == .raised)
        #expect(found.message == "System role not supported")
        #expect(found.position.line == 1)
    }

    @Test func undefinedErrorsSayWhatIsMissing() throws {
        let found = try #require(error("{{ message.content }}"))
        #expect(found.kind == .undefined)
        #expect(found.message == "'message' is undefined")
    }
}

@Suite struct ChatRendering {
    @Test func bosAndEosAreUndefinedWhenNotGiven() throws {
        let template = try JinjaTemplate("{{ bos_token is defined }} {{ eos_token }}|{{ messages|length }} {{ add_generation_prompt }}")
        let output = try template.renderChat(
            messages: [.message(role: "user", content: "hi")], addGenerationPrompt: false, bosToken: nil, eosToken: "</s>")
        #expect(output == "False </s>|1 False")
    }

    @Test func strftimeNowUsesTheGivenMoment() throws {
        let template = try JinjaTemplate("{{ strftime_now('%d %B %Y, %a') }}")
        let output = try template.renderChat(
            messages: [], addGenerationPrompt: true, bosToken: nil, eosToken: nil,
            now: JinjaDateTime(year: 2024, month: 2, day: 29))
        #expect(output == "29 February 2024, Thu")
    }

    @Test func messagesKeepTheirKeyOrder() throws {
        let template = try JinjaTemplate("{{ messages[0]|tojson }} {{ messages[0] }}")
        let output = try template.renderChat(
            messages: [.message(role: "user", content: "é")], addGenerationPrompt: true, bosToken: nil, eosToken: nil)
        #expect(output == #"{"role": "user", "content": "é"} {'role': 'user', 'content': 'é'}"#)
    }
}

@Suite struct PythonFormatting {
    /// Each value with Python's `repr(float)` of it.
    @Test(arguments: [
        (1e16, "1e+16"), (9999999999999998.0, "9999999999999998.0"), (1e-05, "1e-05"), (0.0001, "0.0001"),
        (123456789012345680.0, "1.2345678901234568e+17"), (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-2.5, "-2.5"), (1e22, "1e+22"), (1234.5678, "1234.5678"), (100.0, "100.0"), (0.1, "0.1"), (-0.0, "-0.0"),
    ])
    func floatsPrintAsPythonReprDoes(value: Double, expected: String) {
        #expect(PythonText.floatRepr(value) == expected)
    }

    @Test func jsonReadingKeepsOrderAndTheIntFloatDistinction() throws {
        let value = try JinjaJSON.parse(#"{"b": 1, "a": [1.0, 2, -3e2, "\u00e9\ud83d\ude00", null, true]}"#)
        #expect(try PythonText.repr(value) == "{'b': 1, 'a': [1.0, 2, -300.0, 'é😀', None, True]}")
    }

    @Test(arguments: [
        ("[{\"a\": 1,}]", "expected a string key in double quotes at line 1, column 10"),
        ("[1, 2", "expected ',' or ']' in an array at line 1, column 6"),
        ("{\"a\":\n tru}", "expected 'true' at line 2, column 5"),
        ("[1] x", "unexpected text after the JSON value at line 1, column 5"),
    ])
    func malformedJSONIsReportedWithItsPlace(text: String, message: String) {
        #expect(throws: JinjaJSON.ParseError.self) { try JinjaJSON.parse(text) }
        do {
            _ = try JinjaJSON.parse(text)
        } catch {
            #expect("\(error)" == message)
        }
    }
}

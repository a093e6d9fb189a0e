/// A parsed Jinja template, rendered the way Python's jinja2 renders it in the environment
/// Hugging Face transformers uses for chat templates: `ImmutableSandboxedEnvironment` with
/// `trim_blocks`, `lstrip_blocks`, the loop controls (`break`, `continue`), `{% generation %}`,
/// and a `tojson` that is `json.dumps(…, ensure_ascii=False)`.
///
/// What this interpreter does not implement (a filter, tag, method or format it lacks) is a
/// `JinjaError` of kind `unsupported` naming the construct, raised when the template reaches
/// it, so a template renders exactly as jinja2 would or not at all.
public struct JinjaTemplate: Sendable {
    public let source: String
    /// A name for error messages (usually the file path).
    public let name: String?
    let body: [Statement]

    /// Parses `source`; throws `JinjaError` for syntax errors and for filter or test names jinja2
    /// does not know outside an `if` (jinja2 rejects those when it compiles the template).
    public init(_ source: String, name: String? = nil) throws {
        self.source = source
        self.name = name
        do {
            body = try Parser.parse(source)
            try CompileCheck.check(body)
        } catch var error as JinjaError {
            error.templateName = name
            throw error
        }
    }

    /// Renders with `variables` (plus jinja2's globals `range`, `dict`, `namespace`).
    public func render(_ variables: [String: JinjaValue]) throws -> String {
        let globals = Scope(parent: nil)
        for (key, value) in Globals.standard() { globals.set(key, value) }
        for (key, value) in variables { globals.set(key, value) }
        do {
            return try Interpreter().render(body, in: Scope(parent: globals))
        } catch var error as JinjaError {
            error.templateName = name
            throw error
        }
    }

    /// Renders a chat template as transformers' `apply_chat_template` does without tools:
    /// the variables `messages`, `add_generation_prompt`, `bos_token`, `eos_token` (left
    /// undefined when nil), and the functions `raise_exception` and `strftime_now` (formatting
    /// `now`, the current local time unless given).
    public func renderChat(
        messages: [JinjaValue], addGenerationPrompt: Bool, bosToken: String?, eosToken: String?,
        now: JinjaDateTime = .now()
    ) throws -> String {
        var variables: [String: JinjaValue] = [
            "messages": .list(messages),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "raise_exception": Globals.raiseException(),
            "strftime_now": Globals.strftimeNow(now),
        ]
        if let bosToken { variables["bos_token"] = .string(bosToken) }
        if let eosToken { variables["eos_token"] = .string(eosToken) }
        return try render(variables)
    }
}

/// jinja2's compile-time check of filter and test names: an unknown name is an error when
/// the template is compiled, except inside an `if` (or a conditional expression), where jinja2
/// defers it until the filter runs (compiler.py, `_filter_test_common` and soft frames). Loop,
/// macro and block bodies are ordinary frames again.
enum CompileCheck {
    static func check(_ body: [Statement]) throws {
        for statement in body { try check(statement, soft: false) }
    }

    private static func check(_ statements: [Statement], soft: Bool) throws {
        for statement in statements { try check(statement, soft: soft) }
    }

    private static func check(_ statement: Statement, soft: Bool) throws {
        switch statement.kind {
        case .text, .breakLoop, .continueLoop: break
        case .output(let expression): try check(expression, soft: soft)
        case .ifChain(let branches, let otherwise):
            for branch in branches {
                try check(branch.condition, soft: true)
                try check(branch.body, soft: true)
            }
            try check(otherwise, soft: true)
        case .forLoop(_, let iterable, let filter, let body, let otherwise):
            try check(iterable, soft: soft)
            if let filter { try check(filter, soft: false) }
            try check(body, soft: false)
            try check(otherwise, soft: false)
        case .set(_, let value): try check(value, soft: soft)
        case .setBlock(_, let filters, let body):
            for filter in filters { try check(filter, soft: false) }
            try check(body, soft: false)
        case .macro(let macro):
            for defaultValue in macro.parameters.compactMap(\.defaultValue) { try check(defaultValue, soft: false) }
            try check(macro.body, soft: false)
        case .callBlock(let caller, let call):
            try check(call, soft: soft)
            try check(caller.body, soft: false)
        case .filterBlock(let filters, let body):
            for filter in filters { try check(filter, soft: false) }
            try check(body, soft: false)
        case .with(let assignments, let body):
            for (_, value) in assignments { try check(value, soft: soft) }
            try check(body, soft: false)
        case .generation(let body): try check(body, soft: false)
        }
    }

    private static func check(_ filter: FilterCall, soft: Bool) throws {
        if !soft && !Filters.builtinNames.contains(filter.name) {
            throw JinjaError(.syntax, "no filter named '\(filter.name)'", at: filter.position)
        }
        try check(filter.arguments, soft: soft)
    }

    private static func check(_ arguments: ArgumentList, soft: Bool) throws {
        for argument in arguments.positional { try check(argument, soft: soft) }
        for keyword in arguments.keywords { try check(keyword.value, soft: soft) }
        if let spread = arguments.spreadPositional { try check(spread, soft: soft) }
        if let spread = arguments.spreadKeywords { try check(spread, soft: soft) }
    }

    private static func check(_ expression: Expression, soft: Bool) throws {
        switch expression.kind {
        case .literal, .name: break
        case .list(let items), .tuple(let items), .concat(let items):
            for item in items { try check(item, soft: soft) }
        case .dict(let pairs):
            for pair in pairs {
                try check(pair.key, soft: soft)
                try check(pair.value, soft: soft)
            }
        case .attribute(let target, _): try check(target, soft: soft)
        case .item(let target, let index):
            try check(target, soft: soft)
            try check(index, soft: soft)
        case .slice(let target, let start, let stop, let step):
            try check(target, soft: soft)
            for part in [start, stop, step].compactMap({ $0 }) { try check(part, soft: soft) }
        case .call(let callee, let arguments):
            try check(callee, soft: soft)
            try check(arguments, soft: soft)
        case .filter(let value, let filter):
            try check(value, soft: soft)
            try check(filter, soft: soft)
        case .test(let value, let name, let arguments, _):
            if !soft && !Tests.builtinNames.contains(name) {
                throw JinjaError(.syntax, "no test named '\(name)'", at: expression.position)
            }
            try check(value, soft: soft)
            try check(arguments, soft: soft)
        case .negate(let operand), .plus(let operand), .not(let operand): try check(operand, soft: soft)
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right):
            try check(left, soft: soft)
            try check(right, soft: soft)
        case .compare(let first, let rest):
            try check(first, soft: soft)
            for (_, operand) in rest { try check(operand, soft: soft) }
        case .conditional(let condition, let then, let otherwise):
            try check(condition, soft: true)
            try check(then, soft: true)
            if let otherwise { try check(otherwise, soft: true) }
        }
    }
}

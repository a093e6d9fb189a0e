/// Builds the syntax tree from tokens with jinja2's grammar (jinja2/parser.py, the "Template
/// Designer Documentation"): the same precedence from `if … else` down to filters and tests,
/// and the same statement tags (plus Hugging Face's `generation` and the loop controls).
struct Parser {
    private var tokens: [Token]
    private var index = 0
    /// How many `for` bodies enclose the current point (outside any macro): `break` and
    /// `continue` are only valid inside one.
    private var loopDepth = 0

    init(tokens: [Token]) {
        self.tokens = tokens
    }

    static func parse(_ source: String) throws -> [Statement] {
        var parser = Parser(tokens: try Lexer(source: source).tokenize())
        let (body, end) = try parser.parseBody(until: [])
        if let end {
            throw JinjaError(.syntax, "unexpected '\(end)' tag", at: parser.current.position)
        }
        return body
    }

    // MARK: Token stream

    private var current: Token { tokens[index] }

    private func peek(_ offset: Int = 1) -> Token {
        tokens[min(index + offset, tokens.count - 1)]
    }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(symbol) = current.kind { return true }
        return false
    }

    private func isName(_ name: String) -> Bool {
        if case .name(name) = current.kind { return true }
        return false
    }

    private mutating func skipSymbol(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        _ = advance()
        return true
    }

    private mutating func skipName(_ name: String) -> Bool {
        guard isName(name) else { return false }
        _ = advance()
        return true
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .text: "template text"
        case .variableBegin: "'{{'"
        case .variableEnd: "'}}'"
        case .blockBegin: "'{%'"
        case .blockEnd: "'%}'"
        case .name(let name): "'\(name)'"
        case .string: "string literal"
        case .integer(let value): "integer \(value)"
        case .float(let value): "float \(value)"
        case .symbol(let symbol): "'\(symbol)'"
        case .endOfInput: "end of template"
        }
    }

    private func failure(_ expected: String) -> JinjaError {
        JinjaError(.syntax, "expected \(expected), found \(describe(current))", at: current.position)
    }

    private mutating func expectSymbol(_ symbol: String) throws {
        guard skipSymbol(symbol) else { throw failure("'\(symbol)'") }
    }

    private mutating func expectName() throws -> String {
        guard case .name(let name) = current.kind else { throw failure("a name") }
        _ = advance()
        return name
    }

    private mutating func expectBlockEnd() throws {
        guard case .blockEnd = current.kind else { throw failure("'%}'") }
        _ = advance()
    }

    // MARK: Statements

    /// Statements up to a `{% tag %}` whose name is in `endTags`, or the end of input.
    /// Returns the end tag's name (its `{%` and name consumed, not the rest of the tag).
    private mutating func parseBody(until endTags: Set<String>) throws -> ([Statement], String?) {
        var body: [Statement] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                _ = advance()
                body.append(Statement(kind: .text(text), position: token.position))
            case .variableBegin:
                _ = advance()
                let expression = try parseTuple()
                guard case .variableEnd = current.kind else { throw failure("'}}'") }
                _ = advance()
                body.append(Statement(kind: .output(expression), position: token.position))
            case .blockBegin:
                _ = advance()
                if case .name(let name) = current.kind, endTags.contains(name) {
                    _ = advance()
                    return (body, name)
                }
                body.append(try parseStatement(at: token.position))
                try expectBlockEnd()
            case .endOfInput:
                if !endTags.isEmpty {
                    let names = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw JinjaError(.syntax, "unexpected end of template, expected \(names)", at: token.position)
                }
                return (body, nil)
            default:
                throw JinjaError(.syntax, "unexpected \(describe(token))", at: token.position)
            }
        }
    }

    /// The `%}` closing the current tag, then a body up to `{% endName` (the end tag's own `%}`
    /// is left for the enclosing body, as for every statement).
    private mutating func parseBlock(ending endName: String) throws -> [Statement] {
        try expectBlockEnd()
        let (body, _) = try parseBody(until: [endName])
        return body
    }

    private static let unsupportedTags: Set<String> = [
        "block", "extends", "include", "import", "from", "autoescape", "do", "trans", "pluralize", "debug",
    ]

    private mutating func parseStatement(at position: SourcePosition) throws -> Statement {
        let nameToken = current
        guard case .name(let tag) = nameToken.kind else {
            throw JinjaError(.syntax, "expected a tag name, found \(describe(nameToken))", at: nameToken.position)
        }
        _ = advance()
        switch tag {
        case "if": return Statement(kind: try parseIf(), position: position)
        case "for": return Statement(kind: try parseFor(), position: position)
        case "set": return Statement(kind: try parseSet(), position: position)
        case "macro":
            return Statement(kind: .macro(try parseMacro()), position: position)
        case "call": return Statement(kind: try parseCallBlock(), position: position)
        case "filter":
            let filters = try parseFilterChain(startInline: true)
            return Statement(kind: .filterBlock(filters, body: try parseBlock(ending: "endfilter")), position: position)
        case "with": return Statement(kind: try parseWith(), position: position)
        case "print":
            var expressions: [Expression] = []
            while !(current.kind == .blockEnd) {
                if !expressions.isEmpty { try expectSymbol(",") }
                expressions.append(try parseExpression())
            }
            // Several expressions print one after the other, as their texts joined.
            let output = expressions.count == 1
                ? expressions[0] : Expression(kind: .concat(expressions), position: position)
            return Statement(kind: .output(output), position: position)
        case "generation":
            return Statement(kind: .generation(try parseBlock(ending: "endgeneration")), position: position)
        case "break", "continue":
            guard loopDepth > 0 else {
                throw JinjaError(.syntax, "'\(tag)' outside of a loop", at: nameToken.position)
            }
            return Statement(kind: tag == "break" ? .breakLoop : .continueLoop, position: position)
        default:
            if Self.unsupportedTags.contains(tag) {
                throw JinjaError.unsupported("tag '\(tag)'", at: nameToken.position)
            }
            throw JinjaError(.syntax, "unknown tag '\(tag)'", at: nameToken.position)
        }
    }

    private mutating func parseIf() throws -> Statement.Kind {
        var branches: [(condition: Expression, body: [Statement])] = []
        var condition = try parseTuple(withConditional: false)
        while true {
            try expectBlockEnd()
            let (body, end) = try parseBody(until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(withConditional: false)
            case "else":
                let otherwise = try parseBlock(ending: "endif")
                return .ifChain(branches: branches, otherwise: otherwise)
            default:
                return .ifChain(branches: branches, otherwise: [])
            }
        }
    }

    private mutating func parseFor() throws -> Statement.Kind {
        let target = try parseAssignTarget(endNames: ["in"], allowNamespace: false)
        guard skipName("in") else { throw failure("'in'") }
        let iterable = try parseTuple(withConditional: false, endNames: ["recursive"])
        var filter: Expression?
        if skipName("if") { filter = try parseExpression() }
        if isName("recursive") { throw JinjaError.unsupported("recursive loop", at: current.position) }
        try expectBlockEnd()
        loopDepth += 1
        let (body, end) = try parseBody(until: ["endfor", "else"])
        loopDepth -= 1
        var otherwise: [Statement] = []
        if end == "else" { otherwise = try parseBlock(ending: "endfor") }
        return .forLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise)
    }

    private mutating func parseSet() throws -> Statement.Kind {
        let target = try parseAssignTarget(endNames: [], allowNamespace: true)
        if skipSymbol("=") {
            return .set(target, try parseTuple())
        }
        let filters = isSymbol("|") ? try parseFilterChain(startInline: false) : []
        return .setBlock(target, filters: filters, body: try parseBlock(ending: "endset"))
    }

    private mutating func parseWith() throws -> Statement.Kind {
        var assignments: [(AssignTarget, Expression)] = []
        while current.kind != .blockEnd {
            if !assignments.isEmpty { try expectSymbol(",") }
            let target = try parseAssignTarget(endNames: [], allowNamespace: false, allowTuple: false)
            try expectSymbol("=")
            assignments.append((target, try parseExpression()))
        }
        return .with(assignments, body: try parseBlock(ending: "endwith"))
    }

    private mutating func parseSignature() throws -> [(name: String, defaultValue: Expression?)] {
        var parameters: [(name: String, defaultValue: Expression?)] = []
        try expectSymbol("(")
        while !isSymbol(")") {
            if !parameters.isEmpty { try expectSymbol(",") }
            let nameToken = current
            let name = try expectName()
            if skipSymbol("=") {
                parameters.append((name, try parseExpression()))
            } else {
                if parameters.contains(where: { $0.defaultValue != nil }) {
                    throw JinjaError(.syntax, "non-default argument follows default argument", at: nameToken.position)
                }
                parameters.append((name, nil))
            }
        }
        try expectSymbol(")")
        return parameters
    }

    /// Parses a macro-like body with its own loop context (break/continue do not cross it).
    private mutating func parseIsolatedBody(ending endName: String) throws -> [Statement] {
        let savedDepth = loopDepth
        loopDepth = 0
        defer { loopDepth = savedDepth }
        return try parseBlock(ending: endName)
    }

    private mutating func parseMacro() throws -> MacroDefinition {
        let name = try expectName()
        let parameters = try parseSignature()
        let body = try parseIsolatedBody(ending: "endmacro")
        return Self.macro(name: name, parameters: parameters, body: body)
    }

    private static func macro(
        name: String, parameters: [(name: String, defaultValue: Expression?)], body: [Statement]
    ) -> MacroDefinition {
        let names = NameCollector.namesRead(in: body)
        return MacroDefinition(
            name: name, parameters: parameters, body: body, readsVarargs: names.contains("varargs"),
            readsKwargs: names.contains("kwargs"), readsCaller: names.contains("caller"))
    }

    private mutating func parseCallBlock() throws -> Statement.Kind {
        let parameters = isSymbol("(") ? try parseSignature() : []
        let callToken = current
        let call = try parseExpression()
        guard case .call = call.kind else {
            throw JinjaError(.syntax, "expected a call after 'call'", at: callToken.position)
        }
        let body = try parseIsolatedBody(ending: "endcall")
        return .callBlock(caller: Self.macro(name: "caller", parameters: parameters, body: body), call: call)
    }

    private mutating func parseAssignTarget(
        endNames: Set<String>, allowNamespace: Bool, allowTuple: Bool = true
    ) throws -> AssignTarget {
        var targets: [AssignTarget] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expectSymbol(",") }
            if isTupleEnd(endNames) { break }
            targets.append(try parseAssignItem(allowNamespace: allowNamespace))
            guard allowTuple, isSymbol(",") else { break }
            isTuple = true
        }
        if !isTuple, let only = targets.first { return only }
        if targets.isEmpty { throw failure("an assignment target") }
        return .tuple(targets)
    }

    /// One assignment target: a name, `namespace.attribute`, or a parenthesised target list.
    private mutating func parseAssignItem(allowNamespace: Bool) throws -> AssignTarget {
        if skipSymbol("(") {
            let inner = try parseAssignTarget(endNames: [], allowNamespace: allowNamespace)
            try expectSymbol(")")
            return inner
        }
        let token = current
        let name = try expectName()
        if ["true", "false", "none", "True", "False", "None"].contains(name) {
            throw JinjaError(.syntax, "can't assign to a constant", at: token.position)
        }
        if allowNamespace && skipSymbol(".") {
            return .namespaceAttribute(name, try expectName())
        }
        return .name(name)
    }

    // MARK: Expressions

    private func isTupleEnd(_ endNames: Set<String>) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd: return true
        case .symbol(")"): return true
        case .name(let name): return endNames.contains(name)
        default: return false
        }
    }

    /// Expressions separated by commas: one expression, or a tuple when there is a comma.
    private mutating func parseTuple(
        withConditional: Bool = true, endNames: Set<String> = [], explicitParentheses: Bool = false
    ) throws -> Expression {
        let position = current.position
        var items: [Expression] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expectSymbol(",") }
            if isTupleEnd(endNames) { break }
            items.append(withConditional ? try parseExpression() : try parseOr())
            guard isSymbol(",") else { break }
            isTuple = true
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw failure("an expression") }
        }
        return Expression(kind: .tuple(items), position: position)
    }

    mutating func parseExpression() throws -> Expression {
        var expression = try parseOr()
        while isName("if") {
            let position = current.position
            _ = advance()
            let condition = try parseOr()
            let otherwise = skipName("else") ? try parseExpression() : nil
            expression = Expression(kind: .conditional(condition: condition, then: expression, otherwise: otherwise), position: position)
        }
        return expression
    }

    private mutating func parseOr() throws -> Expression {
        var left = try parseAnd()
        while isName("or") {
            let position = advance().position
            left = Expression(kind: .or(left, try parseAnd()), position: position)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expression {
        var left = try parseNot()
        while isName("and") {
            let position = advance().position
            left = Expression(kind: .and(left, try parseNot()), position: position)
        }
        return left
    }

    private mutating func parseNot() throws -> Expression {
        if isName("not") {
            let position = advance().position
            return Expression(kind: .not(try parseNot()), position: position)
        }
        return try parseCompare()
    }

    private static let comparisonSymbols: [String: ComparisonOperator] = [
        "==": .equal, "!=": .notEqual, "<": .less, "<=": .lessOrEqual, ">": .greater, ">=": .greaterOrEqual,
    ]

    private mutating func parseCompare() throws -> Expression {
        let position = current.position
        let first = try parseMath1()
        var operations: [(ComparisonOperator, Expression)] = []
        while true {
            if case .symbol(let symbol) = current.kind, let comparison = Self.comparisonSymbols[symbol] {
                _ = advance()
                operations.append((comparison, try parseMath1()))
            } else if isName("in") {
                _ = advance()
                operations.append((.contains, try parseMath1()))
            } else if isName("not"), case .name("in") = peek().kind {
                _ = advance()
                _ = advance()
                operations.append((.notContains, try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? first : Expression(kind: .compare(first, operations), position: position)
    }

    private mutating func parseMath1() throws -> Expression {
        var left = try parseConcat()
        while isSymbol("+") || isSymbol("-") {
            let token = advance()
            let operation: BinaryOperator = token.kind == .symbol("+") ? .add : .subtract
            left = Expression(kind: .binary(operation, left, try parseConcat()), position: token.position)
        }
        return left
    }

    private mutating func parseConcat() throws -> Expression {
        let position = current.position
        var operands = [try parseMath2()]
        while skipSymbol("~") { operands.append(try parseMath2()) }
        return operands.count == 1 ? operands[0] : Expression(kind: .concat(operands), position: position)
    }

    private mutating func parseMath2() throws -> Expression {
        var left = try parsePower()
        while true {
            let operation: BinaryOperator
            switch current.kind {
            case .symbol("*"): operation = .multiply
            case .symbol("/"): operation = .divide
            case .symbol("//"): operation = .floorDivide
            case .symbol("%"): operation = .modulo
            default: return left
            }
            let position = advance().position
            left = Expression(kind: .binary(operation, left, try parsePower()), position: position)
        }
    }

    private mutating func parsePower() throws -> Expression {
        var left = try parseUnary()
        while isSymbol("**") {
            let position = advance().position
            left = Expression(kind: .binary(.power, left, try parseUnary()), position: position)
        }
        return left
    }

    /// `-x`, `+x` bind tighter than filters apply to them: `-x|abs` is `(-x)|abs`.
    private mutating func parseUnary(withFilters: Bool = true) throws -> Expression {
        var expression: Expression
        if isSymbol("-") {
            let position = advance().position
            expression = Expression(kind: .negate(try parseUnary(withFilters: false)), position: position)
        } else if isSymbol("+") {
            let position = advance().position
            expression = Expression(kind: .plus(try parseUnary(withFilters: false)), position: position)
        } else {
            expression = try parsePrimary()
        }
        expression = try parsePostfix(expression)
        if withFilters { expression = try parseFilterExpression(expression) }
        return expression
    }

    private mutating func parsePrimary() throws -> Expression {
        let token = current
        switch token.kind {
        case .name(let name):
            _ = advance()
            switch name {
            case "true", "True": return Expression(kind: .literal(.bool(true)), position: token.position)
            case "false", "False": return Expression(kind: .literal(.bool(false)), position: token.position)
            case "none", "None": return Expression(kind: .literal(.none), position: token.position)
            default: return Expression(kind: .name(name), position: token.position)
            }
        case .string(let value):
            _ = advance()
            var text = value
            // Adjacent string literals are joined, as in Python.
            while case .string(let next) = current.kind {
                text += next
                _ = advance()
            }
            return Expression(kind: .literal(.string(text)), position: token.position)
        case .integer(let value):
            _ = advance()
            return Expression(kind: .literal(.int(value)), position: token.position)
        case .float(let value):
            _ = advance()
            return Expression(kind: .literal(.double(value)), position: token.position)
        case .symbol("("):
            _ = advance()
            let expression = try parseTuple(explicitParentheses: true)
            try expectSymbol(")")
            return expression
        case .symbol("["):
            _ = advance()
            var items: [Expression] = []
            while !isSymbol("]") {
                if !items.isEmpty { try expectSymbol(",") }
                if isSymbol("]") { break }
                items.append(try parseExpression())
            }
            try expectSymbol("]")
            return Expression(kind: .list(items), position: token.position)
        case .symbol("{"):
            _ = advance()
            var pairs: [(key: Expression, value: Expression)] = []
            while !isSymbol("}") {
                if !pairs.isEmpty { try expectSymbol(",") }
                if isSymbol("}") { break }
                let key = try parseExpression()
                try expectSymbol(":")
                pairs.append((key, try parseExpression()))
            }
            try expectSymbol("}")
            return Expression(kind: .dict(pairs), position: token.position)
        default:
            throw JinjaError(.syntax, "unexpected \(describe(token))", at: token.position)
        }
    }

    private mutating func parsePostfix(_ start: Expression) throws -> Expression {
        var expression = start
        while true {
            if isSymbol(".") || isSymbol("[") {
                expression = try parseSubscript(expression)
            } else if isSymbol("(") {
                let position = current.position
                expression = Expression(kind: .call(expression, try parseCallArguments()), position: position)
            } else {
                return expression
            }
        }
    }

    private mutating func parseFilterExpression(_ start: Expression) throws -> Expression {
        var expression = start
        while true {
            if isSymbol("|") {
                for filter in try parseFilterChain(startInline: false) {
                    expression = Expression(kind: .filter(expression, filter), position: filter.position)
                }
            } else if isName("is") {
                expression = try parseTest(expression)
            } else if isSymbol("(") {
                let position = current.position
                expression = Expression(kind: .call(expression, try parseCallArguments()), position: position)
            } else {
                return expression
            }
        }
    }

    private mutating func parseSubscript(_ target: Expression) throws -> Expression {
        let token = advance()
        if token.kind == .symbol(".") {
            let attribute = advance()
            switch attribute.kind {
            case .name(let name):
                return Expression(kind: .attribute(target, name), position: token.position)
            case .integer(let value):
                let index = Expression(kind: .literal(.int(value)), position: attribute.position)
                return Expression(kind: .item(target, index), position: token.position)
            default:
                throw JinjaError(.syntax, "expected a name or number after '.'", at: attribute.position)
            }
        }
        // `[`: an index, a slice, or several (a tuple index).
        var arguments: [Expression] = []
        var slice: (Expression?, Expression?, Expression?)?
        while !isSymbol("]") {
            if !arguments.isEmpty || slice != nil { try expectSymbol(",") }
            let (argument, sliceParts) = try parseSubscribed()
            if let sliceParts {
                guard arguments.isEmpty && slice == nil else {
                    throw JinjaError.unsupported("multi-dimensional subscript", at: token.position)
                }
                slice = sliceParts
            } else {
                guard slice == nil else { throw JinjaError.unsupported("multi-dimensional subscript", at: token.position) }
                arguments.append(argument!)
            }
        }
        try expectSymbol("]")
        if let slice {
            return Expression(kind: .slice(target, start: slice.0, stop: slice.1, step: slice.2), position: token.position)
        }
        guard !arguments.isEmpty else { throw JinjaError(.syntax, "expected a subscript", at: token.position) }
        let index = arguments.count == 1 ? arguments[0] : Expression(kind: .tuple(arguments), position: token.position)
        return Expression(kind: .item(target, index), position: token.position)
    }

    /// One subscript: an expression, or `start:stop:step` with any part left out.
    private mutating func parseSubscribed() throws -> (Expression?, (Expression?, Expression?, Expression?)?) {
        var start: Expression?
        if isSymbol(":") {
            _ = advance()
        } else {
            let expression = try parseExpression()
            guard skipSymbol(":") else { return (expression, nil) }
            start = expression
        }
        var stop: Expression?
        if !isSymbol(":") && !isSymbol("]") && !isSymbol(",") { stop = try parseExpression() }
        var step: Expression?
        if skipSymbol(":") {
            if !isSymbol("]") && !isSymbol(",") { step = try parseExpression() }
        }
        return (nil, (start, stop, step))
    }

    private mutating func parseCallArguments() throws -> ArgumentList {
        let open = current.position
        try expectSymbol("(")
        var arguments = ArgumentList()
        var needsComma = false
        func invalid() -> JinjaError { JinjaError(.syntax, "invalid syntax for function call expression", at: open) }
        while !isSymbol(")") {
            if needsComma {
                try expectSymbol(",")
                if isSymbol(")") { break }
            }
            if isSymbol("*") {
                guard arguments.spreadPositional == nil && arguments.spreadKeywords == nil else { throw invalid() }
                _ = advance()
                arguments.spreadPositional = try parseExpression()
            } else if isSymbol("**") {
                guard arguments.spreadKeywords == nil else { throw invalid() }
                _ = advance()
                arguments.spreadKeywords = try parseExpression()
            } else if case .name(let name) = current.kind, peek().kind == .symbol("=") {
                guard arguments.spreadKeywords == nil else { throw invalid() }
                _ = advance()
                _ = advance()
                arguments.keywords.append((name, try parseExpression()))
            } else {
                guard arguments.spreadPositional == nil && arguments.spreadKeywords == nil && arguments.keywords.isEmpty else {
                    throw invalid()
                }
                arguments.positional.append(try parseExpression())
            }
            needsComma = true
        }
        try expectSymbol(")")
        return arguments
    }

    /// `|name(args)|name…`; with `startInline` the first `|` is absent (`{% filter name %}`).
    private mutating func parseFilterChain(startInline: Bool) throws -> [FilterCall] {
        var filters: [FilterCall] = []
        var inline = startInline
        while isSymbol("|") || inline {
            if !inline { _ = advance() }
            inline = false
            let position = current.position
            var name = try expectName()
            while skipSymbol(".") { name += "." + (try expectName()) }
            let arguments = isSymbol("(") ? try parseCallArguments() : ArgumentList()
            filters.append(FilterCall(name: name, arguments: arguments, position: position))
        }
        return filters
    }

    private mutating func parseTest(_ value: Expression) throws -> Expression {
        let position = advance().position  // `is`
        let negated = skipName("not")
        var name = try expectName()
        while skipSymbol(".") { name += "." + (try expectName()) }
        var arguments = ArgumentList()
        switch current.kind {
        case .symbol("("):
            arguments = try parseCallArguments()
        case .name("else"), .name("or"), .name("and"):
            break
        case .name("is"):
            throw JinjaError(.syntax, "you cannot chain multiple tests with 'is'", at: current.position)
        case .name, .string, .integer, .float, .symbol("["), .symbol("{"):
            // A single argument without parentheses: `x is divisibleby 3`.
            arguments.positional = [try parsePostfix(try parsePrimary())]
        default:
            break
        }
        return Expression(kind: .test(value, name: name, arguments, negated: negated), position: position)
    }
}

/// The names a macro body reads, to learn whether it uses `varargs`, `kwargs` or `caller`.
enum NameCollector {
    static func namesRead(in body: [Statement]) -> Set<String> {
        var names: Set<String> = []
        for statement in body { collect(statement, into: &names) }
        return names
    }

    private static func collect(_ statement: Statement, into names: inout Set<String>) {
        switch statement.kind {
        case .text, .breakLoop, .continueLoop: break
        // jinja2 looks into nested macro and call-block bodies too (compiler.find_undeclared).
        case .macro(let macro): macro.body.forEach { collect($0, into: &names) }
        case .output(let expression): collect(expression, into: &names)
        case .ifChain(let branches, let otherwise):
            for branch in branches {
                collect(branch.condition, into: &names)
                branch.body.forEach { collect($0, into: &names) }
            }
            otherwise.forEach { collect($0, into: &names) }
        case .forLoop(_, let iterable, let filter, let body, let otherwise):
            collect(iterable, into: &names)
            if let filter { collect(filter, into: &names) }
            (body + otherwise).forEach { collect($0, into: &names) }
        case .set(_, let value): collect(value, into: &names)
        case .setBlock(_, let filters, let body):
            filters.forEach { collect($0.arguments, into: &names) }
            body.forEach { collect($0, into: &names) }
        case .callBlock(let caller, let call):
            collect(call, into: &names)
            caller.parameters.compactMap(\.defaultValue).forEach { collect($0, into: &names) }
            caller.body.forEach { collect($0, into: &names) }
        case .filterBlock(let filters, let body):
            filters.forEach { collect($0.arguments, into: &names) }
            body.forEach { collect($0, into: &names) }
        case .with(let assignments, let body):
            assignments.forEach { collect($0.1, into: &names) }
            body.forEach { collect($0, into: &names) }
        case .generation(let body): body.forEach { collect($0, into: &names) }
        }
    }

    private static func collect(_ arguments: ArgumentList, into names: inout Set<String>) {
        arguments.positional.forEach { collect($0, into: &names) }
        arguments.keywords.forEach { collect($0.value, into: &names) }
        if let spread = arguments.spreadPositional { collect(spread, into: &names) }
        if let spread = arguments.spreadKeywords { collect(spread, into: &names) }
    }

    private static func collect(_ expression: Expression, into names: inout Set<String>) {
        switch expression.kind {
        case .literal: break
        case .name(let name): names.insert(name)
        case .list(let items), .tuple(let items), .concat(let items): items.forEach { collect($0, into: &names) }
        case .dict(let pairs):
            for pair in pairs {
                collect(pair.key, into: &names)
                collect(pair.value, into: &names)
            }
        case .attribute(let target, _): collect(target, into: &names)
        case .item(let target, let index):
            collect(target, into: &names)
            collect(index, into: &names)
        case .slice(let target, let start, let stop, let step):
            collect(target, into: &names)
            for part in [start, stop, step].compactMap({ $0 }) { collect(part, into: &names) }
        case .call(let callee, let arguments):
            collect(callee, into: &names)
            collect(arguments, into: &names)
        case .filter(let value, let filter):
            collect(value, into: &names)
            collect(filter.arguments, into: &names)
        case .test(let value, _, let arguments, _):
            collect(value, into: &names)
            collect(arguments, into: &names)
        case .negate(let operand), .plus(let operand), .not(let operand): collect(operand, into: &names)
        case .binary(_, let left, let right), .and(let left, let right), .or(let left, let right):
            collect(left, into: &names)
            collect(right, into: &names)
        case .compare(let first, let rest):
            collect(first, into: &names)
            rest.forEach { collect($0.1, into: &names) }
        case .conditional(let condition, let then, let otherwise):
            collect(condition, into: &names)
            collect(then, into: &names)
            if let otherwise { collect(otherwise, into: &names) }
        }
    }
}

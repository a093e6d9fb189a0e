/// Variables visible at one point of a template, chained to the enclosing scope.
///
/// jinja2's scoping (checked against jinja2 3.1): a `for` body gets a fresh scope for every
/// iteration (a `set` inside does not survive the iteration, let alone the loop); macros,
/// `{% set %}…{% endset %}`, `{% filter %}`, `{% with %}` and call/generation bodies get their
/// own scope; `if` does not. A macro reads names from the scope it was defined in, at the time
/// it is called.
final class Scope {
    private var variables: [String: JinjaValue] = [:]
    let parent: Scope?

    init(parent: Scope?) {
        self.parent = parent
    }

    func lookup(_ name: String) -> JinjaValue? {
        if let value = variables[name] { return value }
        return parent?.lookup(name)
    }

    func set(_ name: String, _ value: JinjaValue) {
        variables[name] = value
    }
}

/// Evaluated arguments of a call: `f(1, 2, key=3)`.
struct CallArguments {
    var positional: [JinjaValue] = []
    var keywords: [(name: String, value: JinjaValue)] = []

    /// Binds the arguments to a Python signature: parameter names in order, the first
    /// `required` of them without default. Returns one slot per parameter (nil when not given).
    func bind(_ function: String, _ parameters: [String], required: Int = 0) throws -> [JinjaValue?] {
        guard positional.count <= parameters.count else {
            throw JinjaError.type("\(function)() takes at most \(parameters.count) argument(s) (\(positional.count) given)")
        }
        var slots: [JinjaValue?] = positional.map { $0 } + Array(repeating: nil, count: parameters.count - positional.count)
        for (name, value) in keywords {
            guard let index = parameters.firstIndex(of: name) else {
                throw JinjaError.type("\(function)() got an unexpected keyword argument '\(name)'")
            }
            guard slots[index] == nil else {
                throw JinjaError.type("\(function)() got multiple values for argument '\(name)'")
            }
            slots[index] = value
        }
        for index in 0..<required where slots[index] == nil {
            throw JinjaError.type("\(function)() missing required argument '\(parameters[index])'")
        }
        return slots
    }
}

/// How a statement list ended: normally, or at `{% break %}` / `{% continue %}`.
enum Flow {
    case normal, breakLoop, continueLoop
}

/// Runs a parsed template. One instance per render; not shared between threads.
final class Interpreter {
    private var macroDepth = 0
    private static let maximumMacroDepth = 200

    init() {}

    // MARK: Statements

    func render(_ statements: [Statement], in scope: Scope) throws -> String {
        var output = ""
        _ = try execute(statements, in: scope, into: &output)
        return output
    }

    func execute(_ statements: [Statement], in scope: Scope, into output: inout String) throws -> Flow {
        for statement in statements {
            let flow: Flow
            do {
                flow = try execute(statement, in: scope, into: &output)
            } catch let error as JinjaError {
                throw error.located(statement.position)
            }
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ statement: Statement, in scope: Scope, into output: inout String) throws -> Flow {
        switch statement.kind {
        case .text(let text):
            output += text
        case .output(let expression):
            output += try PythonText.str(try evaluate(expression, in: scope))
        case .ifChain(let branches, let otherwise):
            for branch in branches {
                if try evaluate(branch.condition, in: scope).isTruthy {
                    return try execute(branch.body, in: scope, into: &output)
                }
            }
            return try execute(otherwise, in: scope, into: &output)
        case .forLoop(let target, let iterable, let filter, let body, let otherwise):
            try executeLoop(target, iterable, filter, body, otherwise, in: scope, into: &output)
        case .set(let target, let expression):
            try assign(try evaluate(expression, in: scope), to: target, in: scope)
        case .setBlock(let target, let filters, let body):
            var value = JinjaValue.string(try render(body, in: Scope(parent: scope)))
            for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
            try assign(value, to: target, in: scope)
        case .macro(let definition):
            scope.set(definition.name, .macro(JinjaMacro(definition: definition, scope: scope)))
        case .callBlock(let caller, let call):
            guard case .call(let calleeExpression, let argumentList) = call.kind else { return .normal }
            let callee = try evaluate(calleeExpression, in: scope)
            var arguments = try evaluate(argumentList, in: scope)
            arguments.keywords.append(("caller", .macro(JinjaMacro(definition: caller, scope: scope))))
            output += try PythonText.str(try self.call(callee, arguments))
        case .filterBlock(let filters, let body):
            var value = JinjaValue.string(try render(body, in: Scope(parent: scope)))
            for filter in filters { value = try applyFilter(filter, to: value, in: scope) }
            output += try PythonText.str(value)
        case .with(let assignments, let body):
            let inner = Scope(parent: scope)
            for (target, expression) in assignments {
                try assign(try evaluate(expression, in: scope), to: target, in: inner)
            }
            return try execute(body, in: inner, into: &output)
        case .generation(let body):
            output += try render(body, in: Scope(parent: scope))
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private func executeLoop(
        _ target: AssignTarget, _ iterableExpression: Expression, _ filter: Expression?, _ body: [Statement],
        _ otherwise: [Statement], in scope: Scope, into output: inout String
    ) throws {
        var items = try Operations.iterate(try evaluate(iterableExpression, in: scope))
        if let filter {
            // `for x in items if condition`: the loop (and loop.length, loop.last) sees only
            // the items that pass.
            items = try items.filter { item in
                let probe = Scope(parent: scope)
                try assign(item, to: target, in: probe)
                return try evaluate(filter, in: probe).isTruthy
            }
        }
        if items.isEmpty {
            _ = try execute(otherwise, in: Scope(parent: scope), into: &output)
            return
        }
        let loop = LoopContext(items: items, index0: 0)
        for (index, item) in items.enumerated() {
            let iteration = Scope(parent: scope)
            try assign(item, to: target, in: iteration)
            loop.index0 = index
            iteration.set("loop", .loop(loop))
            if try execute(body, in: iteration, into: &output) == .breakLoop { break }
        }
    }

    private func assign(_ value: JinjaValue, to target: AssignTarget, in scope: Scope) throws {
        switch target {
        case .name(let name):
            scope.set(name, value)
        case .tuple(let targets):
            let items = try Operations.iterate(value)
            guard items.count == targets.count else {
                throw JinjaError.type(
                    items.count > targets.count
                        ? "too many values to unpack (expected \(targets.count))"
                        : "not enough values to unpack (expected \(targets.count), got \(items.count))")
            }
            for (item, inner) in zip(items, targets) { try assign(item, to: inner, in: scope) }
        case .namespaceAttribute(let name, let attribute):
            guard case .namespace(let namespace) = scope.lookup(name) ?? .undefined(name: name) else {
                throw JinjaError(.type, "cannot assign attribute on non-namespace object")
            }
            namespace.attributes[attribute] = value
        }
    }

    // MARK: Expressions

    func evaluate(_ expression: Expression, in scope: Scope) throws -> JinjaValue {
        do {
            return try evaluateUnlocated(expression, in: scope)
        } catch let error as JinjaError {
            throw error.located(expression.position)
        }
    }

    private func evaluateUnlocated(_ expression: Expression, in scope: Scope) throws -> JinjaValue {
        switch expression.kind {
        case .literal(let literal):
            switch literal {
            case .none: return .none
            case .bool(let value): return .bool(value)
            case .int(let value): return .int(value)
            case .double(let value): return .double(value)
            case .string(let value): return .string(value)
            }
        case .name(let name):
            return scope.lookup(name) ?? .undefined(name: name)
        case .list(let items):
            return .list(try items.map { try evaluate($0, in: scope) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, in: scope) })
        case .dict(let pairs):
            var dictionary = JinjaDictionary()
            for pair in pairs {
                let key = try evaluate(pair.key, in: scope)
                try dictionary.set(try evaluate(pair.value, in: scope), for: key)
            }
            return .dict(dictionary)
        case .attribute(let target, let name):
            return try Operations.attribute(of: try evaluate(target, in: scope), name)
        case .item(let target, let index):
            return try Operations.item(of: try evaluate(target, in: scope), try evaluate(index, in: scope))
        case .slice(let target, let start, let stop, let step):
            let value = try evaluate(target, in: scope)
            func bound(_ part: Expression?) throws -> JinjaValue { try part.map { try evaluate($0, in: scope) } ?? .none }
            return try Operations.slice(value, start: try bound(start), stop: try bound(stop), step: try bound(step))
        case .call(let calleeExpression, let argumentList):
            let callee = try evaluate(calleeExpression, in: scope)
            return try call(callee, try evaluate(argumentList, in: scope))
        case .filter(let value, let filter):
            return try applyFilter(filter, to: try evaluate(value, in: scope), in: scope)
        case .test(let value, let name, let argumentList, let negated):
            let subject = try evaluate(value, in: scope)
            let arguments = try evaluate(argumentList, in: scope)
            let result = try Tests.apply(name, to: subject, arguments, interpreter: self)
            return .bool(negated ? !result : result)
        case .negate(let operand):
            return try Operations.negate(try evaluate(operand, in: scope))
        case .plus(let operand):
            return try Operations.plus(try evaluate(operand, in: scope))
        case .not(let operand):
            return .bool(!(try evaluate(operand, in: scope).isTruthy))
        case .binary(let operation, let left, let right):
            return try Operations.binary(operation, try evaluate(left, in: scope), try evaluate(right, in: scope))
        case .concat(let operands):
            // jinja2 joins `str()` of each operand: the result is a plain str, never Markup.
            return .string(try operands.map { try PythonText.str(try evaluate($0, in: scope)) }.joined())
        case .and(let left, let right):
            let first = try evaluate(left, in: scope)
            return first.isTruthy ? try evaluate(right, in: scope) : first
        case .or(let left, let right):
            let first = try evaluate(left, in: scope)
            return first.isTruthy ? first : try evaluate(right, in: scope)
        case .compare(let first, let rest):
            var left = try evaluate(first, in: scope)
            for (operation, rightExpression) in rest {
                let right = try evaluate(rightExpression, in: scope)
                guard try Operations.compare(operation, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, in: scope).isTruthy { return try evaluate(then, in: scope) }
            if let otherwise { return try evaluate(otherwise, in: scope) }
            return .undefined(UndefinedReason("the inline if-expression evaluated to false and no else section was defined"))
        }
    }

    func evaluate(_ list: ArgumentList, in scope: Scope) throws -> CallArguments {
        var arguments = CallArguments()
        arguments.positional = try list.positional.map { try evaluate($0, in: scope) }
        if let spread = list.spreadPositional {
            arguments.positional += try Operations.iterate(try evaluate(spread, in: scope))
        }
        for keyword in list.keywords {
            arguments.keywords.append((keyword.name, try evaluate(keyword.value, in: scope)))
        }
        if let spread = list.spreadKeywords {
            guard case .dict(let dictionary) = try evaluate(spread, in: scope) else {
                throw JinjaError.type("argument after ** must be a mapping")
            }
            for (key, value) in dictionary.pairs {
                guard let name = key.stringValue else { throw JinjaError.type("keywords must be strings") }
                arguments.keywords.append((name, value))
            }
        }
        return arguments
    }

    func applyFilter(_ filter: FilterCall, to value: JinjaValue, in scope: Scope) throws -> JinjaValue {
        let arguments = try evaluate(filter.arguments, in: scope)
        do {
            return try Filters.apply(filter.name, to: value, arguments, interpreter: self)
        } catch let error as JinjaError {
            throw error.located(filter.position)
        }
    }

    // MARK: Calls

    func call(_ callee: JinjaValue, _ arguments: CallArguments) throws -> JinjaValue {
        switch callee {
        case .macro(let macro): return try callMacro(macro, arguments)
        case .function(let function): return try function.body(arguments, self)
        case .undefined: throw callee.undefinedError()
        default: throw JinjaError.type("'\(callee.typeName)' object is not callable")
        }
    }

    /// Runs a macro the way jinja2's `Macro.__call__` binds arguments: positionally, then by
    /// keyword; missing ones take their default (evaluated in the macro's scope) or are
    /// undefined; extras go to `varargs`/`kwargs` only when the body reads those names.
    private func callMacro(_ macro: JinjaMacro, _ arguments: CallArguments) throws -> JinjaValue {
        let definition = macro.definition
        let scope = Scope(parent: macro.scope)
        let parameters = definition.parameters
        var bound: [String: JinjaValue] = [:]
        for (index, value) in arguments.positional.enumerated() where index < parameters.count {
            bound[parameters[index].name] = value
        }
        var extraPositional: [JinjaValue] = []
        if arguments.positional.count > parameters.count {
            guard definition.readsVarargs else {
                throw JinjaError.type("macro '\(definition.name)' takes not more than \(parameters.count) argument(s)")
            }
            extraPositional = Array(arguments.positional[parameters.count...])
        }
        var extraKeywords = JinjaDictionary()
        var caller: JinjaValue?
        for (name, value) in arguments.keywords {
            if parameters.contains(where: { $0.name == name }) {
                guard bound[name] == nil else {
                    throw JinjaError.type("macro '\(definition.name)' got multiple values for argument '\(name)'")
                }
                bound[name] = value
            } else if name == "caller" && definition.readsCaller {
                caller = value
            } else if definition.readsKwargs {
                extraKeywords[name] = value
            } else {
                throw JinjaError.type("macro '\(definition.name)' takes no keyword argument '\(name)'")
            }
        }
        for parameter in parameters {
            if let value = bound[parameter.name] {
                scope.set(parameter.name, value)
            } else if let defaultValue = parameter.defaultValue {
                scope.set(parameter.name, try evaluate(defaultValue, in: scope))
            } else {
                scope.set(parameter.name, .undefined(UndefinedReason("parameter '\(parameter.name)' was not provided")))
            }
        }
        if definition.readsVarargs { scope.set("varargs", .tuple(extraPositional)) }
        if definition.readsKwargs { scope.set("kwargs", .dict(extraKeywords)) }
        if definition.readsCaller {
            scope.set("caller", caller ?? .undefined(UndefinedReason("No caller defined")))
        }
        macroDepth += 1
        defer { macroDepth -= 1 }
        guard macroDepth <= Self.maximumMacroDepth else {
            throw JinjaError(.type, "macro '\(definition.name)' recursed more than \(Self.maximumMacroDepth) levels deep")
        }
        return .string(try render(definition.body, in: scope))
    }
}

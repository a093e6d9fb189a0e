/// The syntax tree of a template: statements (text, output, tags) holding expressions.
///
/// The shapes follow jinja2's node classes (jinja2/nodes.py) so the evaluation rules can be
/// checked against its documentation one node at a time.

/// A constant written in the template.
enum Literal: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
}

/// Arguments of a call, filter or test as written: `f(a, b, *rest, key=c, **more)`.
struct ArgumentList: Sendable {
    var positional: [Expression] = []
    var keywords: [(name: String, value: Expression)] = []
    var spreadPositional: Expression?
    var spreadKeywords: Expression?
}

/// One `|name(args)` of a filter chain.
struct FilterCall: Sendable {
    var name: String
    var arguments: ArgumentList
    var position: SourcePosition
}

enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%", power = "**"
}

enum ComparisonOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case contains = "in", notContains = "not in"
}

struct Expression: Sendable {
    indirect enum Kind: Sendable {
        case literal(Literal)
        case name(String)
        case list([Expression])
        case tuple([Expression])
        case dict([(key: Expression, value: Expression)])
        /// `value.name`
        case attribute(Expression, String)
        /// `value[index]`
        case item(Expression, Expression)
        /// `value[start:stop:step]`
        case slice(Expression, start: Expression?, stop: Expression?, step: Expression?)
        case call(Expression, ArgumentList)
        case filter(Expression, FilterCall)
        /// `value is [not] name(args)`
        case test(Expression, name: String, ArgumentList, negated: Bool)
        case negate(Expression)
        case plus(Expression)
        case not(Expression)
        case binary(BinaryOperator, Expression, Expression)
        /// `a ~ b ~ c`: the texts of the operands joined.
        case concat([Expression])
        case and(Expression, Expression)
        case or(Expression, Expression)
        /// `a < b <= c`: each comparison with the previous operand, all must hold.
        case compare(Expression, [(ComparisonOperator, Expression)])
        /// `then if condition else otherwise` (`otherwise` nil: undefined when false)
        case conditional(condition: Expression, then: Expression, otherwise: Expression?)
    }

    var kind: Kind
    var position: SourcePosition
}

/// What `{% set %}` and `{% for %}` assign to.
indirect enum AssignTarget: Sendable {
    case name(String)
    case tuple([AssignTarget])
    /// `namespace_name.attribute` (only in `set`)
    case namespaceAttribute(String, String)
}

struct MacroDefinition: Sendable {
    var name: String
    var parameters: [(name: String, defaultValue: Expression?)]
    var body: [Statement]
    /// Whether the body reads `varargs`, `kwargs`, `caller`: jinja2 accepts extra positional
    /// arguments, unknown keyword arguments and a caller only then.
    var readsVarargs: Bool
    var readsKwargs: Bool
    var readsCaller: Bool
}

struct Statement: Sendable {
    indirect enum Kind: Sendable {
        case text(String)
        /// `{{ expression }}`, or `{% print expression %}`
        case output(Expression)
        case ifChain(branches: [(condition: Expression, body: [Statement])], otherwise: [Statement])
        case forLoop(
            target: AssignTarget, iterable: Expression, filter: Expression?, body: [Statement], otherwise: [Statement])
        case set(AssignTarget, Expression)
        /// `{% set name | filters %}body{% endset %}`
        case setBlock(AssignTarget, filters: [FilterCall], body: [Statement])
        case macro(MacroDefinition)
        /// `{% call(parameters) callee(args) %}body{% endcall %}`: `caller` is a macro of the body.
        case callBlock(caller: MacroDefinition, call: Expression)
        case filterBlock([FilterCall], body: [Statement])
        /// `{% with a = 1 %}body{% endwith %}`
        case with([(AssignTarget, Expression)], body: [Statement])
        /// Hugging Face's `{% generation %}…{% endgeneration %}`: renders its body in its own scope.
        case generation([Statement])
        case breakLoop
        case continueLoop
    }

    var kind: Kind
    var position: SourcePosition
}

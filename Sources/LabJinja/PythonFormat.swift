import Foundation

/// Python's string formatting as templates reach it: `text % args` (and the `format` filter),
/// `text.format(...)`, and `datetime.strftime` behind `strftime_now`. The common conversions
/// are implemented; any other is an `unsupported` error rather than a guess.
enum PythonFormat {
    // MARK: printf-style: text % args

    /// `format % operand`: a tuple gives the positional arguments, a dict the named ones
    /// (`%(name)s`), anything else is the single argument. `escaping` (a Markup format)
    /// HTML-escapes the text of arguments that are not Markup.
    static func percent(_ format: String, _ operand: JinjaValue, escaping: Bool) throws -> String {
        let scalars = PythonText.scalars(format)
        var positional: [JinjaValue]
        var mapping: JinjaDictionary?
        switch operand {
        case .tuple(let items): positional = items
        case .dict(let dictionary):
            positional = [operand]
            mapping = dictionary
        default: positional = [operand]
        }
        var nextArgument = 0
        var out = ""
        var index = 0
        func take() throws -> JinjaValue {
            guard nextArgument < positional.count else { throw JinjaError.type("not enough arguments for format string") }
            defer { nextArgument += 1 }
            return positional[nextArgument]
        }
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "%" else {
                out.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            index += 1
            guard index < scalars.count else { throw JinjaError.type("incomplete format") }
            var argument: JinjaValue?
            if scalars[index] == "(" {
                guard let mapping else { throw JinjaError.type("format requires a mapping") }
                guard let close = scalars[index...].firstIndex(of: ")") else { throw JinjaError.type("incomplete format key") }
                let key = PythonText.string(scalars[(index + 1)..<close])
                guard let value = mapping[key] else { throw JinjaError.type("KeyError: '\(key)'") }
                argument = value
                index = close + 1
            }
            var flags = Set<Unicode.Scalar>()
            while index < scalars.count, "-+ #0".unicodeScalars.contains(scalars[index]) {
                flags.insert(scalars[index])
                index += 1
            }
            var width = 0
            while index < scalars.count, let digit = scalars[index].properties.numericType == .decimal ? Int(String(scalars[index])) : nil {
                width = width * 10 + digit
                index += 1
            }
            var precision: Int?
            if index < scalars.count, scalars[index] == "." {
                index += 1
                var value = 0
                while index < scalars.count, let digit = scalars[index].properties.numericType == .decimal ? Int(String(scalars[index])) : nil {
                    value = value * 10 + digit
                    index += 1
                }
                precision = value
            }
            guard index < scalars.count else { throw JinjaError.type("incomplete format") }
            let conversion = scalars[index]
            index += 1
            if conversion == "%" {
                out += "%"
                continue
            }
            if flags.contains("#") { throw JinjaError.unsupported("printf-style format flag '#'") }
            let value = try argument ?? take()
            var text: String
            switch conversion {
            case "s", "r":
                text = conversion == "s" ? try PythonText.str(value) : try PythonText.repr(value)
                if let precision { text = PythonText.string(PythonText.scalars(text).prefix(precision)) }
                if escaping, !value.isMarkup { text = PythonText.htmlEscape(text) }
            case "d", "i", "x", "X", "o":
                guard let number = Operations.number(value) else {
                    throw JinjaError.type("%\(conversion) format: a real number is required, not \(value.typeName)")
                }
                var integer: Int
                switch number {
                case .int(let whole): integer = whole
                case .double(let double):
                    guard double.isFinite, let whole = Int(exactly: double.rounded(.towardZero)) else {
                        throw JinjaError.unsupported("%\(conversion) of \(double)")
                    }
                    integer = whole
                }
                let radix = conversion == "x" || conversion == "X" ? 16 : conversion == "o" ? 8 : 10
                var digits = String(integer.magnitude, radix: radix, uppercase: conversion == "X")
                if let precision, digits.count < precision { digits = String(repeating: "0", count: precision - digits.count) + digits }
                text = signed(digits, negative: integer < 0, flags: flags, width: width)
            case "f", "F", "e", "E", "g", "G":
                guard let number = Operations.number(value) else {
                    throw JinjaError.type("must be real number, not \(value.typeName)")
                }
                let double = number.doubleValue
                guard double.isFinite else { throw JinjaError.unsupported("%\(conversion) of \(double)") }
                let digits = String(format: "%.\(precision ?? 6)\(conversion)", abs(double))
                text = signed(digits, negative: double.sign == .minus, flags: flags, width: width)
            case "c":
                if case .int(let code) = value, let character = Unicode.Scalar(UInt32(clamping: code)) {
                    text = String(character)
                } else if let character = value.stringValue, PythonText.length(character) == 1 {
                    text = character
                } else {
                    throw JinjaError.type("%c requires an int or a unicode character")
                }
            default:
                throw JinjaError.unsupported("printf-style conversion '%\(conversion)'")
            }
            out += pad(text, width: width, leftAlign: flags.contains("-"))
        }
        // Python does not complain about unused mapping arguments, only positional ones.
        if mapping == nil, nextArgument < positional.count {
            throw JinjaError.type("not all arguments converted during string formatting")
        }
        return out
    }

    /// Digits with sign and zero padding (`%+05d`).
    private static func signed(_ digits: String, negative: Bool, flags: Set<Unicode.Scalar>, width: Int) -> String {
        let sign = negative ? "-" : flags.contains("+") ? "+" : flags.contains(" ") ? " " : ""
        if flags.contains("0") && !flags.contains("-") {
            let zeros = max(width - sign.count - digits.count, 0)
            return sign + String(repeating: "0", count: zeros) + digits
        }
        return sign + digits
    }

    private static func pad(_ text: String, width: Int, leftAlign: Bool) -> String {
        let length = PythonText.length(text)
        guard width > length else { return text }
        let padding = String(repeating: " ", count: width - length)
        return leftAlign ? text + padding : padding + text
    }

    // MARK: str.format

    /// `text.format(*args, **kwargs)` (PEP 3101) with fields `{}`, `{0}`, `{name}`, attribute
    /// and index lookups (`{0.name}`, `{0[key]}`), conversions `!s`/`!r`, and the format spec
    /// `[[fill]align][sign][0][width][,][.precision][type]` for strings and numbers.
    static func format(_ text: String, _ arguments: CallArguments, escaping: Bool) throws -> String {
        let scalars = PythonText.scalars(text)
        var out = ""
        var index = 0
        var automatic = 0
        var numbering: Bool?  // true: automatic, false: manual
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "}" {
                guard index + 1 < scalars.count, scalars[index + 1] == "}" else {
                    throw JinjaError.type("Single '}' encountered in format string")
                }
                out += "}"
                index += 2
                continue
            }
            guard scalar == "{" else {
                out.unicodeScalars.append(scalar)
                index += 1
                continue
            }
            if index + 1 < scalars.count, scalars[index + 1] == "{" {
                out += "{"
                index += 2
                continue
            }
            // A replacement field up to its matching '}' (nested braces only in the spec).
            var depth = 1
            var end = index + 1
            while end < scalars.count {
                if scalars[end] == "{" { depth += 1 }
                if scalars[end] == "}" {
                    depth -= 1
                    if depth == 0 { break }
                }
                end += 1
            }
            guard end < scalars.count else { throw JinjaError.type("expected '}' before end of string") }
            let field = Array(scalars[(index + 1)..<end])
            index = end + 1
            var fieldName = field
            var conversion: Unicode.Scalar?
            var spec = ""
            if let colon = field.firstIndex(of: ":") {
                fieldName = Array(field[..<colon])
                spec = PythonText.string(field[(colon + 1)...])
            }
            if let bang = fieldName.firstIndex(of: "!") {
                guard bang + 1 < fieldName.count else { throw JinjaError.type("end of string while looking for conversion specifier") }
                conversion = fieldName[bang + 1]
                fieldName = Array(fieldName[..<bang])
            }
            if spec.contains("{") { throw JinjaError.unsupported("nested replacement field in a format spec") }
            // The first part names the argument; `.attr` and `[key]` follow.
            let nameEnd = fieldName.firstIndex { $0 == "." || $0 == "[" } ?? fieldName.count
            let first = PythonText.string(fieldName[..<nameEnd])
            var value: JinjaValue
            if first.isEmpty {
                if numbering == false { throw JinjaError.type("cannot switch from manual field specification to automatic field numbering") }
                numbering = true
                guard automatic < arguments.positional.count else {
                    throw JinjaError.type("Replacement index \(automatic) out of range for positional args tuple")
                }
                value = arguments.positional[automatic]
                automatic += 1
            } else if let position = Int(first) {
                if numbering == true { throw JinjaError.type("cannot switch from automatic field numbering to manual field specification") }
                numbering = false
                guard position < arguments.positional.count else {
                    throw JinjaError.type("Replacement index \(position) out of range for positional args tuple")
                }
                value = arguments.positional[position]
            } else {
                guard let named = arguments.keywords.last(where: { $0.name == first }) else { throw JinjaError.type("KeyError: '\(first)'") }
                value = named.value
            }
            var rest = fieldName[nameEnd...]
            while let head = rest.first {
                if head == "." {
                    let tail = rest.dropFirst()
                    let stop = tail.firstIndex { $0 == "." || $0 == "[" } ?? tail.endIndex
                    value = try Operations.attribute(of: value, PythonText.string(tail[..<stop]))
                    rest = tail[stop...]
                } else {
                    guard let close = rest.firstIndex(of: "]") else { throw JinjaError.type("Missing ']' in format string") }
                    let key = PythonText.string(rest[(rest.startIndex + 1)..<close])
                    value = try Operations.item(of: value, Int(key).map { .int($0) } ?? .string(key))
                    rest = rest[(close + 1)...]
                }
                if value.isUndefined { throw value.undefinedError() }
            }
            switch conversion {
            case nil: break
            case "s": value = .string(try PythonText.str(value))
            case "r": value = .string(try PythonText.repr(value))
            default: throw JinjaError.unsupported("format conversion '!\(conversion!)'")
            }
            var piece = try formatValue(value, spec: spec)
            if escaping, !value.isMarkup {
                piece = PythonText.htmlEscape(piece)
            }
            out += piece
        }
        return out
    }

    /// `format(value, spec)` for the spec mini-language's common part.
    private static func formatValue(_ value: JinjaValue, spec: String) throws -> String {
        if spec.isEmpty { return try PythonText.str(value) }
        var scalars = PythonText.scalars(spec)[...]
        var fill: Unicode.Scalar = " "
        var align: Unicode.Scalar?
        if scalars.count >= 2, "<>^=".unicodeScalars.contains(scalars[scalars.startIndex + 1]) {
            fill = scalars.removeFirst()
            align = scalars.removeFirst()
        } else if let first = scalars.first, "<>^=".unicodeScalars.contains(first) {
            align = scalars.removeFirst()
        }
        var sign: Unicode.Scalar = "-"
        if let first = scalars.first, "+- ".unicodeScalars.contains(first) { sign = scalars.removeFirst() }
        if scalars.first == "0" {
            scalars.removeFirst()
            if align == nil {
                fill = "0"
                align = "="
            }
        }
        var width = 0
        while let first = scalars.first, let digit = Int(String(first)) {
            width = width * 10 + digit
            scalars.removeFirst()
        }
        var grouping = false
        if scalars.first == "," {
            grouping = true
            scalars.removeFirst()
        }
        var precision: Int?
        if scalars.first == "." {
            scalars.removeFirst()
            var digits = 0
            var any = false
            while let first = scalars.first, let digit = Int(String(first)) {
                digits = digits * 10 + digit
                any = true
                scalars.removeFirst()
            }
            guard any else { throw JinjaError.type("Format specifier missing precision") }
            precision = digits
        }
        let type = scalars.popFirst()
        guard scalars.isEmpty else { throw JinjaError.unsupported("format spec '\(spec)'") }

        var body: String
        var negative = false
        var isNumber = false
        switch (value, type) {
        case (.string(let text), nil), (.string(let text), "s"?), (.markup(let text), nil), (.markup(let text), "s"?):
            guard sign == "-", !grouping, align != "=" else { throw JinjaError.type("Sign not allowed in string format specifier") }
            body = precision.map { PythonText.string(PythonText.scalars(text).prefix($0)) } ?? text
        // A bool with a non-empty spec formats as the int it is (Python's bool.__format__).
        case (.int, "d"?), (.bool, "d"?), (.int, "x"?), (.bool, "x"?), (.int, "X"?), (.bool, "X"?), (.int, "o"?), (.bool, "o"?),
            (.int, "b"?), (.bool, "b"?), (.int, nil), (.bool, nil):
            guard precision == nil else { throw JinjaError.type("Precision not allowed in integer format specifier") }
            guard case .int(let integer) = Operations.number(value) else { return "" }
            let radix = switch type {
            case "x"?, "X"?: 16
            case "o"?: 8
            case "b"?: 2
            default: 10
            }
            negative = integer < 0
            body = String(integer.magnitude, radix: radix, uppercase: type == "X")
            if grouping {
                guard radix == 10 else { throw JinjaError.type("Cannot specify ',' with '\(type!)'.") }
                body = grouped(body)
            }
            isNumber = true
        case (_, "f"?), (_, "F"?), (_, "e"?), (_, "E"?), (_, "g"?), (_, "G"?), (_, "%"?), (.double, nil):
            guard let number = Operations.number(value) else {
                throw JinjaError.type("Unknown format code for object of type '\(value.typeName)'")
            }
            let double = number.doubleValue
            guard double.isFinite else { throw JinjaError.unsupported("format of \(double)") }
            negative = double.sign == .minus
            switch type {
            case nil:
                guard precision == nil else { throw JinjaError.unsupported("format spec '\(spec)' for a number without a type") }
                body = PythonText.floatRepr(abs(double))
            case "%"?: body = String(format: "%.\(precision ?? 6)f", abs(double) * 100) + "%"
            default: body = String(format: "%.\(precision ?? 6)\(type!)", abs(double))
            }
            if grouping {
                let parts = body.split(separator: ".", maxSplits: 1)
                body = grouped(String(parts[0])) + (parts.count > 1 ? "." + parts[1] : "")
            }
            isNumber = true
        default:
            throw JinjaError.unsupported("format spec '\(spec)' for a \(value.typeName)")
        }
        if isNumber {
            let signText = negative ? "-" : sign == "+" ? "+" : sign == " " ? " " : ""
            if (align ?? ">") == "=" {
                let zeros = max(width - signText.count - PythonText.length(body), 0)
                return signText + String(repeating: String(fill), count: zeros) + body
            }
            return pad(signText + body, width, fill, align ?? ">")
        }
        return pad(body, width, fill, align ?? "<")
    }

    private static func grouped(_ digits: String) -> String {
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out += "," }
            out.append(character)
        }
        return out
    }

    private static func pad(_ text: String, _ width: Int, _ fill: Unicode.Scalar, _ align: Unicode.Scalar) -> String {
        let missing = width - PythonText.length(text)
        guard missing > 0 else { return text }
        let fillText = String(fill)
        switch align {
        case "<": return text + String(repeating: fillText, count: missing)
        case "^":
            let left = missing / 2
            return String(repeating: fillText, count: left) + text + String(repeating: fillText, count: missing - left)
        default: return String(repeating: fillText, count: missing) + text
        }
    }

    // MARK: strftime

    private static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]

    /// `datetime.strftime(format)` in the C locale (what Python's `strftime` gives on Linux),
    /// with glibc's `-` flag (`%-d`: no padding). Time zones are naive: `%Z` and `%z` are empty.
    static func strftime(_ format: String, _ date: JinjaDateTime) throws -> String {
        var out = ""
        var scalars = format.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "%" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            guard var directive = scalars.next() else {
                out += "%"
                break
            }
            var padded = true
            if directive == "-" {
                padded = false
                guard let next = scalars.next() else { throw JinjaError.unsupported("strftime directive '%-'") }
                directive = next
            }
            func number(_ value: Int, _ width: Int) -> String {
                let digits = String(value)
                return padded && digits.count < width ? String(repeating: "0", count: width - digits.count) + digits : digits
            }
            let hour12 = date.hour % 12 == 0 ? 12 : date.hour % 12
            switch directive {
            case "a": out += String(weekdayNames[date.weekday].prefix(3))
            case "A": out += weekdayNames[date.weekday]
            case "b", "h": out += String(monthNames[date.month - 1].prefix(3))
            case "B": out += monthNames[date.month - 1]
            case "d": out += number(date.day, 2)
            case "e": out += padded && date.day < 10 ? " \(date.day)" : String(date.day)
            case "m": out += number(date.month, 2)
            case "y": out += number(date.year % 100, 2)
            case "Y": out += String(date.year)
            case "H": out += number(date.hour, 2)
            case "I": out += number(hour12, 2)
            case "M": out += number(date.minute, 2)
            case "S": out += number(date.second, 2)
            case "p": out += date.hour < 12 ? "AM" : "PM"
            case "j": out += number(date.dayOfYear, 3)
            case "w": out += String((date.weekday + 1) % 7)
            case "u": out += String(date.weekday + 1)
            case "F": out += "\(date.year)-\(number(date.month, 2))-\(number(date.day, 2))"
            case "D": out += "\(number(date.month, 2))/\(number(date.day, 2))/\(number(date.year % 100, 2))"
            case "T": out += "\(number(date.hour, 2)):\(number(date.minute, 2)):\(number(date.second, 2))"
            case "R": out += "\(number(date.hour, 2)):\(number(date.minute, 2))"
            case "Z", "z": break
            case "%": out += "%"
            default: throw JinjaError.unsupported("strftime directive '%\(directive)'")
            }
        }
        return out
    }
}

/// A calendar date and time of day for `strftime_now` (naive, like Python's `datetime.now()`).
public struct JinjaDateTime: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The local date and time now, as Python's `datetime.now()`.
    public static func now() -> JinjaDateTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date())
        return JinjaDateTime(
            year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1, hour: parts.hour ?? 0,
            minute: parts.minute ?? 0, second: parts.second ?? 0)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    private var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = (month + 9) % 12
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    var weekday: Int { ((daysSinceEpoch % 7) + 7 + 3) % 7 }

    /// 1-based day of the year.
    var dayOfYear: Int {
        daysSinceEpoch - JinjaDateTime(year: year, month: 1, day: 1).daysSinceEpoch + 1
    }
}

import Foundation

/// Text made safe for HTML (element content and quoted attribute values). Everything the page shows
/// that came from the store goes through a Mustache `{{…}}` tag (escaped) or through this, never raw.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A query-string component (RFC 3986 unreserved characters kept).
    static func queryComponent(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `text`, escaped, with every occurrence of each of `spans` wrapped in `<mark>` (the evidence a
    /// verifier matched). Overlapping spans merge; matching is exact and case-sensitive.
    static func highlighted(_ text: String, spans: [String]) -> String {
        let utf16 = Array(text.utf16)
        var marked = [Bool](repeating: false, count: utf16.count)
        let source = text as NSString
        for span in Set(spans) where span.utf16.count >= 3 {
            var searchRange = NSRange(location: 0, length: source.length)
            while true {
                let found = source.range(of: span, options: [.literal], range: searchRange)
                if found.location == NSNotFound { break }
                for index in found.location..<(found.location + found.length) { marked[index] = true }
                let next = found.location + 1  // overlapping occurrences are marked too
                if next >= source.length { break }
                searchRange = NSRange(location: next, length: source.length - next)
            }
        }
        var html = ""
        var start = 0
        while start < utf16.count {
            var end = start
            while end < utf16.count && marked[end] == marked[start] { end += 1 }
            // Keep surrogate pairs whole: a run never ends between the two halves of one character.
            if end < utf16.count, UTF16.isTrailSurrogate(utf16[end]) { end += 1 }
            let piece = String(decoding: utf16[start..<min(end, utf16.count)], as: UTF16.self)
            html += marked[start] ? "<mark>" + escape(piece) + "</mark>" : escape(piece)
            start = end
        }
        return html
    }
}

/// An `application/x-www-form-urlencoded` body or query string, decoded.
struct FormFields {
    private(set) var values: [String: String] = [:]

    init(_ encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.map({ Self.decode(String($0)) }), !name.isEmpty else { continue }
            values[name] = parts.count > 1 ? Self.decode(String(parts[1])) : ""
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    private static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }
}

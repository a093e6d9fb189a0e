/// Finds stop strings in text that arrives in pieces, across piece boundaries.
///
/// Text that could still be the start of a stop string is held back until the next piece
/// settles it; text from the first stop string on is never released. Matching is on UTF-8
/// bytes, so it is exact (no Unicode normalisation), and because pieces and stop strings are
/// whole characters, every cut falls on a character boundary.
public struct StopStringMatcher: Sendable {
    private let stops: [[UInt8]]
    private var held: [UInt8] = []
    /// Whether a stop string has matched; nothing more is released after that.
    public private(set) var isStopped = false

    /// A matcher for `stops`; empty strings are ignored.
    public init(_ stops: [String]) {
        self.stops = stops.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// Adds `piece` and returns the text that can now be released (possibly empty).
    public mutating func append(_ piece: String) -> String {
        guard !isStopped else { return "" }
        held.append(contentsOf: piece.utf8)
        if let start = earliestMatch() {
            isStopped = true
            let text = String(decoding: held[..<start], as: UTF8.self)
            held.removeAll()
            return text
        }
        let keep = longestSuffixThatStartsAStop()
        let release = held.count - keep
        let text = String(decoding: held[..<release], as: UTF8.self)
        held.removeFirst(release)
        return text
    }

    /// Releases whatever is held back (the generation ended without completing a stop string).
    public mutating func finish() -> String {
        defer { held.removeAll() }
        return isStopped ? "" : String(decoding: held, as: UTF8.self)
    }

    /// The byte offset in `held` where the earliest complete stop string begins.
    private func earliestMatch() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= held.count {
            for start in 0...(held.count - stop.count) where best.map({ start < $0 }) ?? true {
                if held[start..<(start + stop.count)].elementsEqual(stop) {
                    best = start
                    break
                }
            }
        }
        return best
    }

    /// The length of the longest suffix of `held` that is a proper prefix of some stop string.
    private func longestSuffixThatStartsAStop() -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, held.count)
            while length > longest {
                if held[(held.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}

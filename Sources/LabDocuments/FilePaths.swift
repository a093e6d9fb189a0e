import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Path arithmetic on plain `/`-separated strings, so containment checks are exact and do not
/// depend on how `URL` spells a path.
enum FilePaths {
    /// `base` joined with the relative `path`, with `.` and `..` resolved lexically (no file access).
    /// `..` above `/` stays at `/`; an absolute `path` ignores `base`.
    static func lexicallyJoined(_ base: String, _ path: String) -> String {
        var parts = path.hasPrefix("/") ? [] : components(of: base)
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The components of an absolute path after lexical normalisation.
    static func components(of path: String) -> [String] {
        var parts: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        return parts
    }

    /// Whether `path` is `root` or lies inside it (both absolute and normalised).
    static func isInside(_ path: String, root: String) -> Bool {
        let pathParts = components(of: path)
        let rootParts = components(of: root)
        return pathParts.starts(with: rootParts)
    }

    /// `path` relative to `base` when it lies inside it, else `path` unchanged.
    static func relative(_ path: String, to base: String) -> String {
        let pathParts = components(of: path)
        let baseParts = components(of: base)
        guard pathParts.starts(with: baseParts) else { return "/" + pathParts.joined(separator: "/") }
        let rest = pathParts.dropFirst(baseParts.count)
        return rest.isEmpty ? "." : rest.joined(separator: "/")
    }

    /// The absolute path with every symlink resolved, or nil when it does not exist (or dangles).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What is at `path`, without following a final symlink.
    enum Kind { case file, directory, symlink, other, missing }

    static func kind(atPath path: String) -> Kind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }
}

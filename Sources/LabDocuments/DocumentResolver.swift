public import Foundation
public import LabCore

/// Finds and loads the files a `document` block names, local or in git, reporting every problem
/// per field instead of throwing.
///
/// A resolver lists each local folder once and reuses the listing for every later reference
/// (a taxonomy check resolves hundreds of leaves over a few folders); make a new resolver to see
/// files added since.
public struct DocumentResolver: Sendable {
    /// The folder local `repo` paths are relative to (the parent of the taxonomy root).
    public var projectRoot: URL
    /// The folder local references must stay inside.
    public var documentsRoot: URL
    /// Where bare clones of git document repositories are cached.
    public var cacheDirectory: URL
    /// Whether git repositories may be cloned or fetched (network); false resolves only from cache.
    public var allowFetch: Bool
    /// The environment `git` is looked up in (`PATH`) and run with.
    public var environment: [String: String]
    /// Folder listings shared by every reference this resolver resolves: a taxonomy often has
    /// hundreds of leaves citing files in the same few folders.
    private let listings = FolderListingCache()

    /// A resolver; `documentsRoot`: the folder local references must stay inside; `projectRoot`:
    /// what local `repo` paths are relative to.
    public init(
        projectRoot: URL, documentsRoot: URL, cacheDirectory: URL, allowFetch: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.projectRoot = projectRoot
        self.documentsRoot = documentsRoot
        self.cacheDirectory = cacheDirectory
        self.allowFetch = allowFetch
        self.environment = environment
    }

    /// `$SYNTHLAB_HOME/documents`, where git document repositories are cached by default.
    public static func defaultCacheDirectory(home: SynthlabHome = SynthlabHome()) -> URL {
        home.root.appendingPathComponent("documents", isDirectory: true)
    }

    /// Resolves every pattern; never throws: problems are returned per field so a checker can
    /// point at `.document.patterns[i]`.
    public func resolve(_ reference: DocumentReference) -> DocumentResolution {
        if reference.isLocal {
            let base = FileManager.default.currentDirectoryPath
            return LocalDocumentSource(
                projectRoot: FilePaths.lexicallyJoined(base, projectRoot.path),
                documentsRoot: FilePaths.lexicallyJoined(base, documentsRoot.path),
                listings: listings
            ).resolve(reference)
        }
        return GitDocumentSource(cacheDirectory: cacheDirectory, allowFetch: allowFetch, environment: environment)
            .resolve(reference)
    }

    /// The cache folder that holds (or would hold) the bare clone of `repo`.
    public func cacheFolder(for repo: String) -> URL {
        GitDocumentSource(cacheDirectory: cacheDirectory, allowFetch: allowFetch, environment: environment)
            .cacheFolder(for: repo)
    }
}

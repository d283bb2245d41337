import Foundation

/// Everything `estuary.toml` says, validated. Specified in docs/config.md.
public struct Config: Sendable, Equatable {
    /// The file the configuration was read from, as given.
    public var file: String
    /// Where the SQLite state lives (`[estuary] state_dir`).
    public var stateDirectory: String
    /// Where outputs are written (`[estuary] output_dir`).
    public var outputDirectory: String
    /// How long a source waits between fetches unless it says otherwise (`[estuary] interval`).
    public var interval: Duration
    /// Bounds on every source's interval (`[estuary] min_interval`, `max_interval`).
    public var minInterval: Duration = Config.defaultMinInterval
    public var maxInterval: Duration = Config.defaultMaxInterval
    /// A cold start spreads the first fetches of never-fetched sources over this (`[estuary] cold_start_spread`);
    /// nil means one interval.
    public var coldStartSpread: Duration?
    /// The daemon writes the outputs this long after the first change of a burst (`[estuary] output_delay`).
    public var outputDelay: Duration = .seconds(10)
    /// On SIGTERM, fetches under way get this long to finish before they are cancelled (`[estuary] stop_timeout`).
    public var stopTimeout: Duration = .seconds(10)
    /// The largest feed accepted, in bytes: fetches stop past it, the parser refuses it (`[estuary] max_feed_bytes`).
    public var maxFeedBytes: Int = Config.defaultMaxFeedBytes
    /// `[fetch]`: how sources are fetched.
    public var fetch = FetchConfig()
    /// `[estuary] dedupe`: which sources' items can be the same article.
    public var dedupe = DedupeScope.all
    /// `[estuary] normalize_ids`: ids and links differing only by http/https, `www.` or a trailing slash are one item.
    public var normalizeIDs = true
    /// `[estuary] max_state_bytes`: a cap on the state database (SQLite's max_page_count); nil for none.
    public var maxStateBytes: Int?
    /// The least severe log level written (`[estuary] log_level`, swift-log's names); nil means info.
    public var logLevel: String?
    /// swift-log's levels, least severe first.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    /// `[metrics]`: the Prometheus listener and textfile (docs/metrics.md).
    public var metrics = MetricsConfig()
    public var sources: [SourceConfig]
    public var outputs: [OutputConfig]

    /// The matching context for each source's new items, by source id (computed once per cycle:
    /// per source it would be quadratic in the number of sources).
    public func dedupeContexts() -> [String: DedupeContext] {
        let rank = Dictionary(uniqueKeysWithValues: sources.enumerated().map { ($1.id, $0) })
        var byTag: [String: [String]] = [:]
        if dedupe == .tags {
            for source in sources { for tag in Set(source.tags) { byTag[tag, default: []].append(source.id) } }
        }
        // One set per combination of tags, shared by the sources that have it: a set per source
        // would be quadratic (20,000 sources under one tag held 6 GB).
        var scopes: [[String]: Set<String>] = [:]
        var contexts: [String: DedupeContext] = [:]
        for source in sources {
            let scope: Set<String>?
            switch dedupe {
            case .off: scope = []
            case .all: scope = nil
            case .tags:
                let tags = Set(source.tags).sorted()
                if let known = scopes[tags] {
                    scope = known
                } else {
                    let made = Set(tags.flatMap { byTag[$0] ?? [] })
                    scopes[tags] = made
                    scope = made
                }
            }
            contexts[source.id] = DedupeContext(scope: scope, rank: rank, normalizeKeys: normalizeIDs)
        }
        return contexts
    }

    public init(
        file: String, stateDirectory: String, outputDirectory: String, interval: Duration,
        sources: [SourceConfig], outputs: [OutputConfig]
    ) {
        self.file = file
        self.stateDirectory = stateDirectory
        self.outputDirectory = outputDirectory
        self.interval = interval
        self.sources = sources
        self.outputs = outputs
    }

    public static let defaultPath = "/etc/estuary/estuary.toml"
    public static let defaultStateDirectory = "/var/lib/estuary"
    public static let defaultOutputDirectory = "/var/lib/estuary/output"
    public static let defaultInterval = Duration.seconds(30 * 60)
    public static let defaultMinInterval = Duration.seconds(5 * 60)
    public static let defaultMaxInterval = Duration.seconds(24 * 3600)
    public static let defaultMaxFeedBytes = 16 << 20
}

/// Which sources can carry the same article.
public enum DedupeScope: String, Sendable, CaseIterable {
    /// Any two sources.
    case all
    /// Only sources sharing a tag.
    case tags
    /// No cross-source matching.
    case off
}

/// `[fetch]`: the global fetch settings.
public struct FetchConfig: Sendable, Equatable {
    /// Transfers under way at once.
    public var concurrency = 16
    /// Transfers under way at once to one host group (registrable domain).
    public var perHost = 2
    /// Minimum time between request starts to one host group.
    public var hostSpacing: Duration = .seconds(1)
    /// Replaces the default `Estuary/<version> (+<project url>)`.
    public var userAgent: String?
    /// Lifts the address guard (loopback, private, link-local, ...): for intranet feeds, tests and the demo.
    public var allowPrivateAddresses = false
    public var connectTimeout: Duration = .seconds(10)
    public var timeout: Duration = .seconds(60)
    public var maxRedirects = 5
    /// Fetches in a row that must see the same permanent redirect before the source moves.
    public var moveAfterRedirects = 3

    public init() {}
}

/// A secret read from a file or the environment; never printed.
public struct Secret: Sendable, Equatable, CustomStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<secret>" }
}

/// One `[[source]]`: a feed to follow.
public struct SourceConfig: Sendable, Equatable {
    /// Short, unique, stable name; the key for everything stored about the source.
    public var id: String
    /// http, https or file URL; a relative file path is already resolved against the config folder.
    public var url: URL
    public var title: String?
    public var tags: [String]
    /// Extra request headers, sorted by name.
    public var headers: [Header] = []
    /// HTTP basic auth: the user, and the password read from `password_file` or `password_env`.
    public var username: String?
    public var password: Secret?
    /// False only with an explicit `tls_verify = false`; every fetch then logs a warning.
    public var verifyTLS = true
    /// `ca_file`: the certificate authorities (a PEM file, absolute path) this source's server
    /// certificates are checked against, instead of the system's: for a feed on an intranet whose
    /// certificates a private authority signs. Verification stays on.
    public var caFile: String?
    /// This source's own interval (`interval`), within the global bounds; nil for `[estuary] interval`.
    public var interval: Duration?
    /// Retention: at most this many items are kept (the newest)...
    public var maxItems = 1000
    /// ...and none older than this. Removed items leave a tombstone so they never return as new.
    public var maxAge: Duration = .seconds(365 * 86_400)

    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(id: String, url: URL, title: String? = nil, tags: [String] = []) {
        self.id = id
        self.url = url
        self.title = title
        self.tags = tags
    }
}

/// One `[[output]]`: a merged feed and its index.
public struct OutputConfig: Sendable, Equatable {
    /// Base name of the files written: `<output_dir>/<name>.atom`, `.rss`, `.feed.json`, `.json`, `.opml`.
    public var name: String
    public var formats: [OutputFormat]
    public var maxItems: Int
    /// The merged feed's title; the name when absent.
    public var title: String?
    public var subtitle: String?
    /// The merged feed's id (Atom `id`); a stable URN from the name when absent.
    public var id: String?
    /// Where the output's files are published: the address of their folder, or of one of them.
    /// Each format's own address (its `rel="self"` link, JSON Feed's `feed_url`) is ``selfLink(for:)``.
    public var link: String?
    /// The site the merged feed stands for (RSS channel `link`, Atom `rel="alternate"`, JSON Feed `home_page_url`).
    public var homePage: String?
    /// Whether the JSON index carries each item's full content (`index_content`; the summary is always there).
    public var indexContent = true
    /// The merged feed's author (Atom feed-level `author`).
    public var author: String?
    /// Only these sources (by id); every source when nil.
    public var sources: [String]?
    /// Only sources with one of these tags; no tag filter when nil.
    public var tags: [String]?
    /// A Mustache template for the HTML page, replacing the built-in one (path already resolved).
    public var template: String?
    /// Only items whose title, body or categories match (a regular expression, case-insensitive).
    public var include: String?
    /// No item whose title, body or categories match.
    public var exclude: String?
    /// Only items whose date is at most this old.
    public var maxAge: Duration?

    /// The published address of this output's file in `format`: ``link``'s folder (the link itself
    /// when it ends in `/`, else the link without its last segment when that names a file, with a
    /// dot) and the file's name.
    public func selfLink(for format: OutputFormat) -> String? {
        guard var folder = link else { return nil }
        if !folder.hasSuffix("/") {
            let last = folder.split(separator: "/").last ?? ""
            if last.contains("."), !folder.hasSuffix("//" + last) {
                folder.removeLast(last.count)
            } else {
                folder += "/"
            }
        }
        return folder + "\(name).\(format.fileExtension)"
    }

    /// The most items an output may list: a file any reader can still load.
    public static let maxItemsLimit = 100_000

    /// Whether the include, exclude or age filters are set.
    public var filters: Bool { include != nil || exclude != nil || maxAge != nil }

    /// Whether `article` belongs in this output by the include, exclude and age filters.
    public func admits(_ article: StoredArticle, now: Date) -> Bool {
        if let maxAge, article.sortDate < now.addingTimeInterval(-Double(maxAge.components.seconds)) { return false }
        guard include != nil || exclude != nil else { return true }
        let item = article.item
        let text = ([item.title, item.summary, item.content].compactMap { $0 } + item.categories).joined(separator: "\n")
        func matches(_ pattern: String) -> Bool {
            text.range(of: pattern, options: [.regularExpression, .caseInsensitive]) != nil
        }
        if let include, !matches(include) { return false }
        if let exclude, matches(exclude) { return false }
        return true
    }

    public init(name: String, formats: [OutputFormat] = OutputConfig.defaultFormats, maxItems: Int = 100, title: String? = nil) {
        self.name = name
        self.formats = formats
        self.maxItems = maxItems
        self.title = title
    }

    public static let defaultMaxItems = 100
    public static let defaultFormats: [OutputFormat] = [.atom, .json]

    /// The configured sources this output merges, in config order.
    public func selectedSources(from all: [SourceConfig]) -> [SourceConfig] {
        all.filter { source in
            (sources.map { $0.contains(source.id) } ?? true) && (tags.map { !Set($0).isDisjoint(with: source.tags) } ?? true)
        }
    }
}

/// The file formats an output can be written in.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// Merged Atom 1.0, `<name>.atom`.
    case atom
    /// Merged RSS 2.0, `<name>.rss`.
    case rss
    /// Merged JSON Feed 1.1, `<name>.feed.json`.
    case jsonfeed
    /// A self-contained river page, `<name>.html`.
    case html
    /// The JSON index, `<name>.json` (docs/json-index.md).
    case json
    /// The output's sources as OPML 2.0, `<name>.opml`.
    case opml

    public var fileExtension: String {
        switch self {
        case .atom: "atom"
        case .rss: "rss"
        case .jsonfeed: "feed.json"
        case .html: "html"
        case .json: "json"
        case .opml: "opml"
        }
    }
}

import Foundation

// The stages the cycle drives. Core holds no C library: libcurl, libxml2 and
// SQLite live in EstuaryFetch, EstuaryParse and EstuaryStore, which implement
// these protocols, and the executable hands them to ``Cycle``.

/// One source to fetch.
public struct FetchRequest: Sendable, Equatable {
    public var sourceID: String
    public var url: URL
    /// Sent as If-None-Match and If-Modified-Since, both when both are known.
    public var validators: Validators
    /// Extra headers, basic auth and the TLS opt-out from the source's config.
    public var headers: [SourceConfig.Header] = []
    public var username: String?
    public var password: Secret?
    public var verifyTLS = true
    /// The certificate authorities to check the server against instead of the system's (``SourceConfig/caFile``).
    public var caFile: String?
    /// A `file:` URL is read only when this is set: for a source whose config names that file,
    /// never for a URL a server chose (a redirect's Location, a page's feed link).
    public var readsFile = false

    public init(sourceID: String, url: URL, validators: Validators = Validators()) {
        self.sourceID = sourceID
        self.url = url
        self.validators = validators
    }

    /// A request for `source` at `url`, with everything the source's config says about access.
    public init(source: SourceConfig, url: URL, validators: Validators) {
        self.init(sourceID: source.id, url: url, validators: validators)
        headers = source.headers
        username = source.username
        password = source.password
        verifyTLS = source.verifyTLS
        caFile = source.caFile
        readsFile = url.isFileURL && url == source.url
    }

    /// A request for the feed a page fetched for `source` names. The source's password, extra
    /// headers and TLS opt-out go along only to the origin (scheme, host and port) of the source's
    /// own url: a page must not be able to send them anywhere it likes. A file is never read.
    public init(discoveredFor source: SourceConfig, url: URL) {
        let sameOrigin = Self.origin(of: url) != nil && Self.origin(of: url) == Self.origin(of: source.url)
        self.init(source: sameOrigin ? source : SourceConfig(id: source.id, url: source.url), url: url, validators: Validators())
        readsFile = false
    }

    /// Scheme, host and port (the scheme's default when none is written), nil for a URL without a host.
    public static func origin(of url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        let port = url.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : -1)
        return "\(scheme)://\(host):\(port)"
    }
}

/// What a fetch came to.
public enum FetchResult: Sendable {
    /// A 2xx response with its body.
    case body(FetchedBody)
    /// 304: nothing changed since the validators sent.
    case notModified(NotModified)
    case failure(FetchFailure)
}

/// A 304 response.
public struct NotModified: Sendable {
    public var validators: Validators
    /// Where a permanent redirect (301, 308) on the way pointed, if the chain began with one.
    public var permanentTarget: URL?
    public var elapsed: Duration
    /// How long the server says the feed stays fresh (`Cache-Control: max-age`, or `Expires` minus `Date`).
    public var cacheLifetime: TimeInterval?

    public init(
        validators: Validators, permanentTarget: URL? = nil, elapsed: Duration = .zero, cacheLifetime: TimeInterval? = nil
    ) {
        self.validators = validators
        self.permanentTarget = permanentTarget
        self.elapsed = elapsed
        self.cacheLifetime = cacheLifetime
    }
}

/// A server's Retry-After: seconds from the answer, or a time.
public enum RetryAfter: Sendable, Equatable {
    case seconds(Int)
    case date(Date)

    /// The time it names, for an answer received at `now`.
    public func date(from now: Date) -> Date {
        switch self {
        case .seconds(let seconds): now.addingTimeInterval(TimeInterval(seconds))
        case .date(let date): date
        }
    }
}

/// A response worth parsing.
public struct FetchedBody: Sendable {
    /// The HTTP status (200 for a `file:` source).
    public var status: Int
    public var body: [UInt8]
    /// The URL the body came from after redirects: relative links resolve against it.
    public var effectiveURL: URL
    /// The Content-Type header, when the server sent one.
    public var contentType: String?
    /// How long the transfer took, from its start to its last byte.
    public var elapsed: Duration
    /// The Content-Location header, when the server sent one: the document's own address.
    public var contentLocation: String?
    /// ETag and Last-Modified of the response.
    public var validators: Validators
    /// Where a permanent redirect (301, 308) on the way pointed, if the chain began with one.
    public var permanentTarget: URL?
    /// How long the server says the feed stays fresh (`Cache-Control: max-age`, or `Expires` minus `Date`).
    public var cacheLifetime: TimeInterval?

    public init(
        status: Int, body: [UInt8], effectiveURL: URL, contentType: String? = nil, elapsed: Duration = .zero,
        contentLocation: String? = nil, validators: Validators = Validators(), permanentTarget: URL? = nil,
        cacheLifetime: TimeInterval? = nil
    ) {
        self.cacheLifetime = cacheLifetime
        self.status = status
        self.body = body
        self.effectiveURL = effectiveURL
        self.contentType = contentType
        self.elapsed = elapsed
        self.contentLocation = contentLocation
        self.validators = validators
        self.permanentTarget = permanentTarget
    }

    /// What relative links in the body resolve against: Content-Location (itself
    /// relative to the URL fetched), else the URL the body came from.
    public var documentURL: URL {
        contentLocation.flatMap { URL(string: $0, relativeTo: effectiveURL)?.absoluteURL } ?? effectiveURL
    }
}

/// Why a fetch produced nothing to parse, in words an operator can act on.
public struct FetchFailure: Error, Sendable, CustomStringConvertible {
    /// The HTTP status when the server answered, nil for network, DNS, TLS or file errors.
    public var status: Int?
    /// Where it failed: dns, connect, tls, http, body, read (a file), guard (the address guard).
    public var stage: String
    public var message: String
    /// How long the attempt took.
    public var elapsed: Duration
    /// A 429 or 503's Retry-After.
    public var retryAfter: RetryAfter?

    public init(
        status: Int? = nil, stage: String = "http", message: String, elapsed: Duration = .zero, retryAfter: RetryAfter? = nil
    ) {
        self.status = status
        self.stage = stage
        self.message = message
        self.elapsed = elapsed
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// The stage of a transfer cancelled because estuary is stopping: not the server's fault, not recorded.
    public static let cancelledStage = "cancelled"
}

/// Fetches sources.
public protocol FeedFetching: Sendable {
    /// Fetches every request concurrently and yields each outcome as soon as it is known. An
    /// `urgent` fetch (feed autodiscovery, which a task the caller of a larger fetch may be waiting
    /// for makes) goes ahead of the requests waiting for the same host and is never held back.
    func fetch(_ requests: [FetchRequest], urgent: Bool) -> FetchResults
    /// Starts no new transfer from now on (a daemon stopping): requests still waiting come back
    /// failed at stage ``FetchFailure/cancelledStage``; transfers under way go on.
    func stopStarting()
}

extension FeedFetching {
    /// A fetch that takes its turn.
    public func fetch(_ requests: [FetchRequest]) -> FetchResults { fetch(requests, urgent: false) }

    /// A fetcher whose requests all start at once has nothing waiting to drop.
    public func stopStarting() {}
}

/// The outcomes of one fetch, each as soon as it is known. Taking one tells the fetcher it has
/// been read: a fetcher may hold back new transfers while too much of what it fetched waits unread.
public struct FetchResults: AsyncSequence, Sendable {
    public typealias Element = (FetchRequest, FetchResult)

    private let stream: AsyncStream<Element>
    private let onRead: @Sendable (Element) -> Void

    public init(_ stream: AsyncStream<Element>, onRead: @escaping @Sendable (Element) -> Void = { _ in }) {
        self.stream = stream
        self.onRead = onRead
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<Element>.Iterator
        let onRead: @Sendable (Element) -> Void

        public mutating func next() async -> Element? {
            guard let element = await base.next() else { return nil }
            onRead(element)
            return element
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator(), onRead: onRead) }
}

/// Why a body could not be read as a feed.
public struct ParseFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The body is a web page: worth looking for the feed it links to.
    public var isHTMLPage: Bool

    public init(_ message: String, isHTMLPage: Bool = false) {
        self.message = message
        self.isHTMLPage = isHTMLPage
    }

    public var description: String { message }
}

/// Turns bytes into a ``FeedDocument``.
public protocol FeedParsing: Sendable {
    /// Parses `body`; `documentURL` is where it came from (relative URLs resolve against it),
    /// `contentType` the HTTP Content-Type header, whose charset counts in encoding detection.
    func parse(_ body: [UInt8], documentURL: URL?, contentType: String?) -> Result<FeedDocument, ParseFailure>
    /// The feed a web page links to (`<link rel="alternate" type="application/rss+xml" href=...>`), if any.
    func discoverFeed(in body: [UInt8], documentURL: URL?) -> URL?
}

/// An item as stored, with what the store knows about it.
public struct StoredArticle: Sendable, Equatable {
    public var sourceID: String
    /// The item's identity within its source (see ``ItemKey``).
    public var key: String
    public var item: FeedItem
    /// When Estuary first stored the item.
    public var firstSeen: Date
    /// The same article as other sources carry it.
    public var alternates: [Alternate]
    /// The id, link and key the item was first stored with, when they have changed since (a site
    /// moving to https keeps its items under new ids; a feed starting to reuse an id re-keys
    /// them); nil while they are the item's own. Outputs derive the id they publish from these,
    /// so that it never changes.
    public var firstIdentity: Identity?

    /// An item's id and link as its feed gave them, and its key then.
    public struct Identity: Sendable, Equatable {
        public var id: String?
        public var link: String?
        /// Nil when saved before keys were (the key has not changed since).
        public var key: String?
        public init(id: String?, link: String?, key: String? = nil) {
            self.id = id
            self.link = link
            self.key = key
        }
    }

    public struct Alternate: Sendable, Equatable {
        public var sourceID: String
        public var key: String
        public var link: String?
        public init(sourceID: String, key: String, link: String?) {
            self.sourceID = sourceID
            self.key = key
            self.link = link
        }
    }

    public init(
        sourceID: String, key: String, item: FeedItem, firstSeen: Date, alternates: [Alternate] = [],
        firstIdentity: Identity? = nil
    ) {
        self.sourceID = sourceID
        self.key = key
        self.item = item
        self.firstSeen = firstSeen
        self.alternates = alternates
        self.firstIdentity = firstIdentity
    }

    /// The date outputs sort by: published, else updated, else first seen; a date more
    /// than 24 hours after the item was first seen is not believed, first seen is used.
    public var sortDate: Date { Self.sortDate(published: item.published, updated: item.updated, firstSeen: firstSeen) }

    public static func sortDate(published: Date?, updated: Date?, firstSeen: Date) -> Date {
        guard let date = published ?? updated, date <= firstSeen.addingTimeInterval(86_400) else { return firstSeen }
        return date
    }
}

/// What the store knows about a source, for outputs and status.
public struct SourceStatus: Sendable, Equatable {
    public var id: String
    public var url: String
    /// The feed's own title, as last fetched.
    public var feedTitle: String?
    /// The feed's home page, as last fetched.
    public var feedLink: String?
    /// The feed's id (Atom), as last fetched.
    public var feedID: String?
    public var feedUpdated: Date?
    /// "ok" or the failed stage ("fetch", "parse", "store").
    public var lastResult: String?
    public var lastStatus: Int?
    public var lastError: String?
    public var lastFetch: Date?
    public var itemCount: Int

    public init(
        id: String, url: String, feedTitle: String? = nil, feedLink: String? = nil, feedID: String? = nil,
        feedUpdated: Date? = nil, lastResult: String? = nil, lastStatus: Int? = nil, lastError: String? = nil,
        lastFetch: Date? = nil, itemCount: Int = 0
    ) {
        self.id = id
        self.url = url
        self.feedTitle = feedTitle
        self.feedLink = feedLink
        self.feedID = feedID
        self.feedUpdated = feedUpdated
        self.lastResult = lastResult
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.lastFetch = lastFetch
        self.itemCount = itemCount
    }
}

/// What storing a document changed.
public struct StoreOutcome: Sendable, Equatable {
    public var items: Int
    public var new: Int
    /// Items already stored whose title or body changed, updated in place.
    public var updated: Int
    /// New items found to be the same article as another source's (stored as its alternates).
    public var duplicates: Int

    public init(items: Int, new: Int, updated: Int = 0, duplicates: Int = 0) {
        self.items = items
        self.new = new
        self.updated = updated
        self.duplicates = duplicates
    }
}

/// How a source's new items are matched against other sources' (cross-source dedupe).
public struct DedupeContext: Sendable, Equatable {
    /// The sources whose items count as the same article; nil for every source, empty for none.
    /// It may hold the source itself (sources sharing their tags share one set), whose own items
    /// are never its duplicates.
    public var scope: Set<String>?
    /// Position of each source in the config: between items first seen in the same cycle, the earlier source wins.
    public var rank: [String: Int]
    /// Whether ids and links differing only by http/https, `www.` and a trailing slash are one item.
    public var normalizeKeys: Bool

    public init(scope: Set<String>? = [], rank: [String: Int] = [:], normalizeKeys: Bool = true) {
        self.scope = scope
        self.rank = rank
        self.normalizeKeys = normalizeKeys
    }

    /// No cross-source matching.
    public static let none = DedupeContext()
}

/// A document made ready for the store; what it holds is the store's business.
public struct PreparedDocument: Sendable {
    public let payload: any Sendable

    public init(_ payload: any Sendable) { self.payload = payload }
}

extension ArticleStore {
    /// One `.record` write (see ``write(_:)``).
    public func record(
        source: SourceConfig, document: FeedDocument, prepared: PreparedDocument, status: Int, fetchState: FetchState,
        dedupe: DedupeContext, at time: Date
    ) throws -> StoreOutcome {
        try write([
            .record(
                source: source, document: document, prepared: prepared, status: status, fetchState: fetchState,
                dedupe: dedupe, at: time)
        ])[0].get()
    }

    /// Notes answers without new items (304, or the same body again) and the sources' new fetch
    /// states, all in one transaction.
    public func recordUnchanged(_ answers: [UnchangedAnswer], at time: Date) throws {
        guard !answers.isEmpty else { return }
        _ = try write([.unchanged(answers, at: time)])[0].get()
    }

    /// Notes that a source failed at `stage`, keeping everything already stored.
    public func recordFailure(
        source: SourceConfig, stage: String, status: Int?, message: String, fetchState: FetchState, at time: Date
    ) throws {
        _ = try write([
            .failure(source: source, stage: stage, status: status, message: message, fetchState: fetchState, at: time)
        ])[0].get()
    }

    /// Prepares and stores a document in one call.
    public func record(
        source: SourceConfig, document: FeedDocument, status: Int, fetchState: FetchState, dedupe: DedupeContext,
        at time: Date
    ) throws -> StoreOutcome {
        try record(
            source: source, document: document, prepared: prepare(document, dedupe: dedupe, at: time), status: status,
            fetchState: fetchState, dedupe: dedupe, at: time)
    }

    /// ``record(source:document:status:fetchState:dedupe:at:)`` without cross-source matching.
    public func record(source: SourceConfig, document: FeedDocument, status: Int, fetchState: FetchState, at time: Date)
        throws -> StoreOutcome
    {
        try record(source: source, document: document, status: status, fetchState: fetchState, dedupe: .none, at: time)
    }
}

/// A source that answered without new items, and its new fetch state.
public struct UnchangedAnswer: Sendable {
    public var source: SourceConfig
    public var status: Int
    public var fetchState: FetchState

    public init(source: SourceConfig, status: Int, fetchState: FetchState) {
        self.source = source
        self.status = status
        self.fetchState = fetchState
    }
}

/// One write to the state, for ``ArticleStore/write(_:)``: what `record`, `recordUnchanged` and
/// `recordFailure` do, as a value that can wait in a queue.
public enum StoreWrite: Sendable {
    case record(
        source: SourceConfig, document: FeedDocument, prepared: PreparedDocument, status: Int, fetchState: FetchState,
        dedupe: DedupeContext, at: Date)
    case unchanged([UnchangedAnswer], at: Date)
    case failure(source: SourceConfig, stage: String, status: Int?, message: String, fetchState: FetchState, at: Date)
}

/// Keeps sources and items across runs.
public protocol ArticleStore: Sendable {
    /// What `record` needs from a document, computed without the database (keys, canonical links,
    /// encoded columns): callers run it in parallel, outside the one writer's turn.
    func prepare(_ document: FeedDocument, dedupe: DedupeContext, at time: Date) throws -> PreparedDocument
    /// Runs several writes together, each with the effect it would have alone: all or nothing for
    /// each, in order, and one that fails costs the others nothing. The outcomes in the same order
    /// (an empty outcome for the writes other than `record`). A `.record` stores a prepared
    /// document's items and the source's new fetch state: new items inserted, changed ones updated
    /// in place, and each new item checked against the other sources in `dedupe`'s scope.
    func write(_ writes: [StoreWrite]) -> [Result<StoreOutcome, any Error>]
    /// What is remembered about fetching each source, by id (sources never fetched are absent).
    func fetchStates(of sources: [SourceConfig]) throws -> [String: FetchState]
    /// The newest articles of the given sources, newest first.
    func articles(sourceIDs: [String], limit: Int) throws -> [StoredArticle]
    /// What is known about the given sources, in the order given.
    func statuses(of sources: [SourceConfig]) throws -> [SourceStatus]
    /// A value that changes with everything outputs show from the state: a generation bumped in
    /// the same transaction as any item added, updated or removed, and which sources are failing
    /// or gone. Outputs written at one version need no rewrite at it.
    func outputVersion() throws -> String
}

import Foundation

/// A feed as the parser read it: the feed's own metadata and its items, in document order.
public struct FeedDocument: Sendable, Equatable {
    /// The format detected from the content.
    public var format: FeedFormat
    /// The character encoding the document was read in (lowercase IANA name).
    public var encoding: String
    /// False when the parser had to recover from errors to read the document.
    public var wellFormed: Bool
    public var metadata: FeedMetadata
    public var items: [FeedItem]

    public init(
        format: FeedFormat, encoding: String = "utf-8", wellFormed: Bool = true,
        metadata: FeedMetadata = FeedMetadata(), items: [FeedItem] = []
    ) {
        self.format = format
        self.encoding = encoding
        self.wellFormed = wellFormed
        self.metadata = metadata
        self.items = items
    }
}

/// The formats Estuary detects. Raw values are the names used in the parse record.
public enum FeedFormat: String, Sendable, Codable, CaseIterable {
    case rss20, rss10, rss090, rss091, rss092, rss093, rss094
    case atom10, atom03
    case json10, json11
}

/// Feed-level fields.
public struct FeedMetadata: Sendable, Equatable {
    public var title: String?
    /// The feed's home page (RSS `link`, Atom `link rel="alternate"`).
    public var link: String?
    /// The feed's own identifier (Atom `id`); nil for RSS.
    public var id: String?
    /// HTML.
    public var subtitle: String?
    /// A small square image (Atom `icon`, JSON Feed `icon`).
    public var icon: String?
    /// A larger image (Atom `logo`, RSS `image/url`).
    public var logo: String?
    public var language: String?
    public var updated: Date?
    /// The scheduling hints a feed may carry, kept for the scheduler.
    public var hints: SchedulingHints

    public init(
        title: String? = nil, link: String? = nil, id: String? = nil, subtitle: String? = nil,
        icon: String? = nil, logo: String? = nil, language: String? = nil, updated: Date? = nil,
        hints: SchedulingHints = SchedulingHints()
    ) {
        self.title = title
        self.link = link
        self.id = id
        self.subtitle = subtitle
        self.icon = icon
        self.logo = logo
        self.language = language
        self.updated = updated
        self.hints = hints
    }
}

/// What a feed says about how often to fetch it.
public struct SchedulingHints: Sendable, Equatable {
    /// RSS `ttl`, in minutes.
    public var ttlMinutes: Int?
    /// `sy:updatePeriod` (hourly, daily, weekly, monthly, yearly).
    public var updatePeriod: String?
    /// `sy:updateFrequency`: how many times per period.
    public var updateFrequency: Int?
    /// RSS `skipHours`: hours of the day (0-23, GMT) not to fetch.
    public var skipHours: Set<Int>
    /// RSS `skipDays`: days not to fetch, lowercased English names (`monday`).
    public var skipDays: Set<String>

    public init(
        ttlMinutes: Int? = nil, updatePeriod: String? = nil, updateFrequency: Int? = nil,
        skipHours: Set<Int> = [], skipDays: Set<String> = []
    ) {
        self.ttlMinutes = ttlMinutes
        self.updatePeriod = updatePeriod
        self.updateFrequency = updateFrequency
        self.skipHours = skipHours
        self.skipDays = skipDays
    }
}

/// One item (RSS `item`, Atom `entry`).
public struct FeedItem: Sendable, Equatable, Codable {
    /// The id the feed gives (RSS `guid`, Atom `id`), nil when it gives none.
    public var id: String?
    public var link: String?
    /// Plain text.
    public var title: String?
    /// Plain text.
    public var author: String?
    public var published: Date?
    public var updated: Date?
    /// HTML.
    public var summary: String?
    /// HTML.
    public var content: String?
    public var enclosures: [Enclosure]
    public var categories: [String]

    public init(
        id: String? = nil, link: String? = nil, title: String? = nil, author: String? = nil,
        published: Date? = nil, updated: Date? = nil, summary: String? = nil, content: String? = nil,
        enclosures: [Enclosure] = [], categories: [String] = []
    ) {
        self.id = id
        self.link = link
        self.title = title
        self.author = author
        self.published = published
        self.updated = updated
        self.summary = summary
        self.content = content
        self.enclosures = enclosures
        self.categories = categories
    }
}

/// A media file attached to an item.
public struct Enclosure: Sendable, Equatable, Codable {
    public var url: String
    public var type: String?
    public var length: Int?

    public init(url: String, type: String? = nil, length: Int? = nil) {
        self.url = url
        self.type = type
        self.length = length
    }
}

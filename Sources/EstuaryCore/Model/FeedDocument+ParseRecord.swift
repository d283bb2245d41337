import Foundation

/// The record `estuary parse` prints for one input (specified in docs/parse-record.md).
public struct ParseRecord: Encodable, Sendable {
    public var source: String
    public var result: Result<FeedDocument, ParseFailure>

    public init(source: String, result: Result<FeedDocument, ParseFailure>) {
        self.source = source
        self.result = result
    }

    private enum Key: String, CodingKey {
        case source, error, format, encoding, wellFormed, feed, items
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(source, forKey: .source)
        switch result {
        case .failure(let failure):
            try c.encode(failure.message, forKey: .error)
        case .success(let doc):
            try c.encode(doc.format.rawValue, forKey: .format)
            try c.encode(doc.encoding, forKey: .encoding)
            try c.encode(doc.wellFormed, forKey: .wellFormed)
            try c.encode(FeedRecord(doc.metadata), forKey: .feed)
            try c.encode(doc.items.map { ItemRecord($0) }, forKey: .items)
        }
    }

    /// One line of JSON, keys sorted so the output is stable. Written by hand:
    /// it is the hot path of `estuary parse --jsonl` over large corpora.
    public func jsonLine() -> String {
        var w = JSONLine()
        w.beginObject()
        switch result {
        case .failure(let failure):
            w.key("error")
            w.string(failure.message)
            w.key("source")
            w.string(source)
        case .success(let doc):
            w.key("encoding")
            w.string(doc.encoding)
            w.key("feed")
            w.beginObject()
            w.key("id")
            w.string(doc.metadata.id)
            w.key("link")
            w.string(doc.metadata.link)
            w.key("title")
            w.string(doc.metadata.title)
            w.key("updated")
            w.string(doc.metadata.updated.map(CivilTime.rfc3339))
            w.endObject()
            w.key("format")
            w.string(doc.format.rawValue)
            w.key("items")
            w.beginArray()
            for item in doc.items { Self.write(item, to: &w) }
            w.endArray()
            w.key("source")
            w.string(source)
            w.key("wellFormed")
            w.bool(doc.wellFormed)
        }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private static func write(_ item: FeedItem, to w: inout JSONLine) {
        w.beginObject()
        w.key("author")
        w.string(item.author)
        w.key("categories")
        w.beginArray()
        for category in item.categories { w.string(category) }
        w.endArray()
        w.key("content")
        w.string(item.content)
        w.key("enclosures")
        w.beginArray()
        for enclosure in item.enclosures {
            w.beginObject()
            w.key("length")
            w.int(enclosure.length)
            w.key("type")
            w.string(enclosure.type)
            w.key("url")
            w.string(enclosure.url)
            w.endObject()
        }
        w.endArray()
        w.key("id")
        w.string(item.id)
        w.key("link")
        w.string(item.link)
        w.key("published")
        w.string(item.published.map(CivilTime.rfc3339))
        w.key("summary")
        w.string(item.summary)
        w.key("title")
        w.string(item.title)
        w.key("updated")
        w.string(item.updated.map(CivilTime.rfc3339))
        w.endObject()
    }

    /// Indented JSON, for people.
    public func prettyJSON() throws -> String {
        try json([.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
    }

    private func json(_ formatting: JSONEncoder.OutputFormatting) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

private struct FeedRecord: Encodable {
    let meta: FeedMetadata
    init(_ meta: FeedMetadata) { self.meta = meta }

    enum Key: String, CodingKey { case title, link, id, updated }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(meta.title, forKey: .title)
        try c.encode(meta.link, forKey: .link)
        try c.encode(meta.id, forKey: .id)
        try c.encode(meta.updated.map(CivilTime.rfc3339), forKey: .updated)
    }
}

/// An item as JSON: the parse record's item, and with the store's fields the JSON index's.
struct ItemRecord: Encodable {
    let item: FeedItem
    /// Present in the JSON index: the item's key, source and first-seen time.
    let stored: StoredArticle?

    init(_ item: FeedItem) {
        self.item = item
        self.stored = nil
    }

    init(_ article: StoredArticle) {
        self.item = article.item
        self.stored = article
    }

    enum Key: String, CodingKey {
        case key, source, firstSeen
        case id, link, title, author, published, updated, summary, content, enclosures, categories
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        if let stored {
            try c.encode(stored.key, forKey: .key)
            try c.encode(stored.sourceID, forKey: .source)
            try c.encode(CivilTime.rfc3339(stored.firstSeen), forKey: .firstSeen)
        }
        try c.encode(item.id, forKey: .id)
        try c.encode(item.link, forKey: .link)
        try c.encode(item.title, forKey: .title)
        try c.encode(item.author, forKey: .author)
        try c.encode(item.published.map(CivilTime.rfc3339), forKey: .published)
        try c.encode(item.updated.map(CivilTime.rfc3339), forKey: .updated)
        try c.encode(item.summary, forKey: .summary)
        try c.encode(item.content, forKey: .content)
        try c.encode(item.enclosures.map(EnclosureRecord.init), forKey: .enclosures)
        try c.encode(item.categories, forKey: .categories)
    }
}

/// An enclosure as JSON, every key present.
struct EnclosureRecord: Encodable {
    let enclosure: Enclosure
    init(_ enclosure: Enclosure) { self.enclosure = enclosure }

    enum Key: String, CodingKey { case url, type, length }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(enclosure.url, forKey: .url)
        try c.encode(enclosure.type, forKey: .type)
        try c.encode(enclosure.length, forKey: .length)
    }
}

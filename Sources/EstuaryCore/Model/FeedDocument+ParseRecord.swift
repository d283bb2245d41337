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

    /// One line of JSON, keys sorted so the output is stable.
    public func jsonLine() -> String {
        String(decoding: jsonLineBytes(), as: UTF8.self)
    }

    /// ``jsonLine()`` as UTF-8 bytes, without a newline.
    public func jsonLineBytes() -> [UInt8] {
        var out: [UInt8] = []
        var writer = ParseRecordWriter(source: source) { out += $0 }
        if case .success(let doc) = result {
            writer.start(format: doc.format, encoding: doc.encoding)
            for item in doc.items { writer.item(item) }
        }
        writer.finish(result)
        return out
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
        case key, source, firstSeen, alternates
        case id, link, title, author, published, updated, summary, content, enclosures, categories
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        if let stored {
            try c.encode(stored.key, forKey: .key)
            try c.encode(stored.sourceID, forKey: .source)
            try c.encode(CivilTime.rfc3339(stored.firstSeen), forKey: .firstSeen)
            try c.encode(stored.alternates.map(AlternateRecord.init), forKey: .alternates)
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

/// Another source's copy of the same article, in the JSON index.
struct AlternateRecord: Encodable {
    let alternate: StoredArticle.Alternate
    init(_ alternate: StoredArticle.Alternate) { self.alternate = alternate }

    enum Key: String, CodingKey { case source, key, link }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(alternate.sourceID, forKey: .source)
        try c.encode(alternate.key, forKey: .key)
        try c.encode(alternate.link, forKey: .link)
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

/// Writes one parse record as JSON, item by item, so a large feed never needs
/// all its items, nor all its JSON, in memory at once (`estuary parse --jsonl`).
///
/// Keys come in the order they become known: `encoding`, `format`, `items`,
/// then `feed`, `source` and `wellFormed`; an error record is `error`, `source`.
public struct ParseRecordWriter {
    private var json = JSONLine()
    private var started = false
    private let source: String
    private let output: ([UInt8]) -> Void

    /// `output` receives the bytes in order, in pieces of about 1 MiB at most.
    public init(source: String, output: @escaping ([UInt8]) -> Void) {
        self.source = source
        self.output = output
    }

    public mutating func start(format: FeedFormat, encoding: String) {
        guard !started else { return }
        started = true
        json.beginObject()
        json.key("encoding")
        json.string(encoding)
        json.key("format")
        json.string(format.rawValue)
        json.key("items")
        json.beginArray()
    }

    public mutating func item(_ item: FeedItem) {
        json.beginObject()
        json.key("author")
        json.string(item.author)
        json.key("categories")
        json.beginArray()
        for category in item.categories { json.string(category) }
        json.endArray()
        json.key("content")
        json.string(item.content)
        json.key("enclosures")
        json.beginArray()
        for enclosure in item.enclosures {
            json.beginObject()
            json.key("length")
            json.int(enclosure.length)
            json.key("type")
            json.string(enclosure.type)
            json.key("url")
            json.string(enclosure.url)
            json.endObject()
        }
        json.endArray()
        json.key("id")
        json.string(item.id)
        json.key("link")
        json.string(item.link)
        json.key("published")
        json.string(item.published.map(CivilTime.rfc3339))
        json.key("summary")
        json.string(item.summary)
        json.key("title")
        json.string(item.title)
        json.key("updated")
        json.string(item.updated.map(CivilTime.rfc3339))
        json.endObject()
        if json.bytes.count >= 1 << 20 { output(json.takeBytes()) }
    }

    /// Ends the record: the feed's fields on success, the error otherwise.
    public mutating func finish(_ result: Result<FeedDocument, ParseFailure>) {
        switch result {
        case .success(let doc):
            start(format: doc.format, encoding: doc.encoding)
            json.endArray()
            json.key("feed")
            json.beginObject()
            json.key("id")
            json.string(doc.metadata.id)
            json.key("link")
            json.string(doc.metadata.link)
            json.key("title")
            json.string(doc.metadata.title)
            json.key("updated")
            json.string(doc.metadata.updated.map(CivilTime.rfc3339))
            json.endObject()
            json.key("source")
            json.string(source)
            json.key("wellFormed")
            json.bool(doc.wellFormed)
            json.endObject()
        case .failure(let failure):
            if started {
                // Not reached with Estuary's parser (failures come before the format is known); kept valid JSON anyway.
                json.endArray()
            } else {
                json.beginObject()
            }
            json.key("error")
            json.string(failure.message)
            json.key("source")
            json.string(source)
            json.endObject()
        }
        output(json.takeBytes())
    }
}

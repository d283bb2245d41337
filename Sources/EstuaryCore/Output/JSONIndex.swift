import Foundation

/// The JSON index of an output: its sources and merged items (docs/json-index.md).
struct JSONIndex: Encodable {
    static let formatVersion = 1

    let output: OutputConfig
    let sources: [SourceConfig]
    let statuses: [String: SourceStatus]
    let articles: [StoredArticle]
    let generated: Date

    enum Key: String, CodingKey {
        case version, generator, generated, output, title, sources, items
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(Self.formatVersion, forKey: .version)
        try c.encode(Estuary.product, forKey: .generator)
        try c.encode(CivilTime.rfc3339(generated), forKey: .generated)
        try c.encode(output.name, forKey: .output)
        try c.encode(output.title ?? output.name, forKey: .title)
        try c.encode(sources.map { SourceEntry(source: $0, status: statuses[$0.id]) }, forKey: .sources)
        try c.encode(
            articles.map { article in
                var article = article
                // `index_content = false`: the summary only, for a small index.
                if !output.indexContent { article.item.content = nil }
                return ItemRecord(article)
            }, forKey: .items)
    }

    func bytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
}

private struct SourceEntry: Encodable {
    let source: SourceConfig
    let status: SourceStatus?

    enum Key: String, CodingKey {
        case id, title, url, tags, feedTitle, link, lastResult, lastStatus, lastError, lastFetch, itemCount
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(source.id, forKey: .id)
        try c.encode(source.title ?? status?.feedTitle, forKey: .title)
        try c.encode(source.url.absoluteString, forKey: .url)
        try c.encode(source.tags, forKey: .tags)
        try c.encode(status?.feedTitle, forKey: .feedTitle)
        try c.encode(status?.feedLink, forKey: .link)
        try c.encode(status?.lastResult, forKey: .lastResult)
        try c.encode(status?.lastStatus, forKey: .lastStatus)
        try c.encode(status?.lastError, forKey: .lastError)
        try c.encode(status?.lastFetch.map(CivilTime.rfc3339), forKey: .lastFetch)
        try c.encode(status?.itemCount ?? 0, forKey: .itemCount)
    }
}

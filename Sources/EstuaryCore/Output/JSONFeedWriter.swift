import Foundation

/// Writes the merged JSON Feed 1.1 of an output (https://jsonfeed.org/version/1.1).
struct JSONFeedWriter {
    let output: OutputConfig
    let sources: [String: SourceConfig]
    let statuses: [String: SourceStatus]

    struct Feed: Encodable {
        var version = "https://jsonfeed.org/version/1.1"
        var title: String
        var description: String?
        var home_page_url: String?
        var feed_url: String?
        var authors: [Author]?
        var items: [Item]
    }

    struct Author: Encodable {
        var name: String
    }

    struct Attachment: Encodable {
        var url: String
        var mime_type: String
        var size_in_bytes: Int?
    }

    struct Item: Encodable {
        var id: String
        var url: String?
        var title: String?
        var content_html: String?
        var summary: String?
        var date_published: String?
        var date_modified: String?
        var authors: [Author]?
        var tags: [String]?
        var attachments: [Attachment]?
        /// Estuary's extension: where the item came from, and its copies in other sources.
        var _estuary: Extension
    }

    struct Extension: Encodable {
        var source: String
        var source_title: String?
        var source_url: String?
        var alternates: [String]?
    }

    func bytes(_ articles: [StoredArticle]) throws -> [UInt8] {
        let feed = Feed(
            title: output.title ?? output.name, description: output.subtitle, home_page_url: nil, feed_url: output.link,
            authors: output.author.map { [Author(name: $0)] }, items: articles.map(item))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(feed)) + [0x0A]
    }

    private func item(_ article: StoredArticle) -> Item {
        let item = article.item
        let source = sources[article.sourceID]
        return Item(
            id: item.id ?? item.link ?? StableID.urn("estuary-item", article.sourceID + "\u{0}" + article.key),
            url: item.link, title: item.title,
            // JSON Feed needs content_html or content_text; a summary-only item carries its summary.
            content_html: item.content ?? item.summary ?? "",
            summary: item.summary.map { HTMLPlain.text($0) },
            date_published: item.published.map(CivilTime.rfc3339), date_modified: item.updated.map(CivilTime.rfc3339),
            authors: item.author.map { [Author(name: $0)] }, tags: item.categories.isEmpty ? nil : item.categories,
            attachments: item.enclosures.isEmpty
                ? nil
                : item.enclosures.map {
                    Attachment(url: $0.url, mime_type: $0.type ?? "application/octet-stream", size_in_bytes: $0.length)
                },
            _estuary: Extension(
                source: article.sourceID, source_title: source?.title ?? statuses[article.sourceID]?.feedTitle,
                source_url: source.map(\.url).flatMap { $0.isFileURL ? nil : $0.absoluteString },
                alternates: article.alternates.isEmpty ? nil : article.alternates.map(\.sourceID)))
    }
}

/// Tags dropped and the common entities decoded: JSON Feed's `summary` is plain text.
enum HTMLPlain {
    static func text(_ html: String) -> String {
        var out = ""
        var inTag = false
        for ch in html {
            if ch == "<" { inTag = true } else if ch == ">" && inTag { inTag = false } else if !inTag { out.append(ch) }
        }
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: character)
        }
        return out.trimmed
    }
}

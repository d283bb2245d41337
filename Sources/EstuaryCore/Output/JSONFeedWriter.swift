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
        var homePageURL: String?
        var feedURL: String?
        var authors: [Author]?
        var items: [Item]

        enum CodingKeys: String, CodingKey {
            case version, title, description, authors, items
            case homePageURL = "home_page_url"
            case feedURL = "feed_url"
        }
    }

    struct Author: Encodable {
        var name: String
    }

    struct Attachment: Encodable {
        var url: String
        var mimeType: String
        var sizeInBytes: Int?

        enum CodingKeys: String, CodingKey {
            case url
            case mimeType = "mime_type"
            case sizeInBytes = "size_in_bytes"
        }
    }

    struct Item: Encodable {
        var id: String
        var url: String?
        var title: String?
        var contentHTML: String?
        var summary: String?
        var datePublished: String?
        var dateModified: String?
        var authors: [Author]?
        var tags: [String]?
        var attachments: [Attachment]?
        /// Estuary's extension: where the item came from, and its copies in other sources.
        var estuary: Extension

        enum CodingKeys: String, CodingKey {
            case id, url, title, summary, authors, tags, attachments
            case contentHTML = "content_html"
            case datePublished = "date_published"
            case dateModified = "date_modified"
            case estuary = "_estuary"
        }
    }

    struct Extension: Encodable {
        var source: String
        var sourceTitle: String?
        var sourceURL: String?
        var alternates: [String]?

        enum CodingKeys: String, CodingKey {
            case source, alternates
            case sourceTitle = "source_title"
            case sourceURL = "source_url"
        }
    }

    func bytes(_ articles: [StoredArticle]) throws -> [UInt8] {
        let feed = Feed(
            title: output.title ?? output.name, description: output.subtitle, homePageURL: output.homePage,
            feedURL: output.selfLink(for: .jsonfeed),
            authors: output.author.map { [Author(name: $0)] }, items: articles.map(item))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(feed)) + [0x0A]
    }

    private func item(_ article: StoredArticle) -> Item {
        let item = article.item
        let source = sources[article.sourceID]
        return Item(
            id: StableID.item(article, orLink: true),
            url: item.link, title: item.title,
            // JSON Feed needs content_html or content_text; a summary-only item carries its summary.
            contentHTML: item.content ?? item.summary ?? "",
            summary: item.summary.map { HTMLPlain.text($0) },
            datePublished: item.published.map(CivilTime.rfc3339), dateModified: item.updated.map(CivilTime.rfc3339),
            authors: item.author.map { [Author(name: $0)] }, tags: item.categories.isEmpty ? nil : item.categories,
            attachments: item.enclosures.isEmpty
                ? nil
                : item.enclosures.map {
                    Attachment(url: $0.url, mimeType: $0.type ?? "application/octet-stream", sizeInBytes: $0.length)
                },
            estuary: Extension(
                source: article.sourceID, sourceTitle: source?.title ?? statuses[article.sourceID]?.feedTitle,
                sourceURL: source.map(\.url).flatMap { $0.isFileURL ? nil : $0.absoluteString },
                alternates: article.alternates.isEmpty ? nil : article.alternates.map(\.sourceID)))
    }
}

/// Tags dropped and the common entities decoded: JSON Feed's `summary` is plain text.
enum HTMLPlain {
    /// Elements that separate words: their tags become a space, so `<p>One.</p><p>Two</p>` reads "One. Two".
    static let breaking: Set<String> = [
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "td", "th", "tr",
        "ul",
    ]

    /// `html` as plain text: tags removed (those of block elements and `<br>` leave a space), the
    /// five escapes decoded, runs of white space made one space.
    static func text(_ html: String) -> String {
        var out = ""
        var tag: String? = nil
        for ch in html {
            if var open = tag {
                if ch == ">" {
                    let name = open.drop { $0 == "/" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                    if breaking.contains(name) { out.append(" ") }
                    tag = nil
                } else if open.count < 16 {
                    open.append(ch)
                    tag = open
                }
            } else if ch == "<" {
                tag = ""
            } else {
                out.append(ch)
            }
        }
        for (entity, character) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")] {
            out = out.replacingOccurrences(of: entity, with: character)
        }
        return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}

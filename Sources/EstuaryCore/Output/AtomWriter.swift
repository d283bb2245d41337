import Foundation

/// Writes the merged Atom 1.0 feed of an output.
struct AtomWriter {
    let output: OutputConfig
    let sources: [String: SourceConfig]
    let statuses: [String: SourceStatus]
    let generated: Date

    func document(_ articles: [StoredArticle]) -> String {
        var x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
        x += "  <title>\(XMLText.escape(output.title ?? output.name))</title>\n"
        x += "  <id>\(XMLText.escape(output.id ?? StableID.urn("estuary-output", output.name)))</id>\n"
        if let subtitle = output.subtitle { x += "  <subtitle>\(XMLText.escape(subtitle))</subtitle>\n" }
        if let link = output.selfLink(for: .atom) { x += "  <link rel=\"self\" href=\"\(XMLText.escape(link))\"/>\n" }
        if let page = output.homePage { x += "  <link rel=\"alternate\" href=\"\(XMLText.escape(page))\"/>\n" }
        if let author = output.author { x += "  <author><name>\(XMLText.escape(author))</name></author>\n" }
        let newest = articles.map { $0.feedDate(asOf: generated) }.max() ?? generated
        x += "  <updated>\(CivilTime.rfc3339(newest))</updated>\n"
        x += "  <generator version=\"\(Estuary.version)\">Estuary</generator>\n"
        for article in articles { x += entry(article) }
        x += "</feed>\n"
        return x
    }

    /// The source's Atom id: the feed's own, else its web address; a local file's path is not
    /// published (nor is it an id the feed chose): a URN of the source's id stands in.
    private func sourceID(status: SourceStatus?, source: SourceConfig?, fallback: String) -> String {
        if let id = status?.feedID { return id }
        if let url = source?.url, !url.isFileURL { return url.absoluteString }
        return StableID.urn("estuary-source", source?.id ?? fallback)
    }

    private func entry(_ article: StoredArticle) -> String {
        let item = article.item
        let source = sources[article.sourceID]
        let status = statuses[article.sourceID]
        let sourceTitle = source?.title ?? status?.feedTitle ?? article.sourceID
        var x = "  <entry>\n"
        x += "    <id>\(XMLText.escape(StableID.item(article)))</id>\n"
        x += "    <title type=\"text\">\(XMLText.escape(item.title ?? ""))</title>\n"
        if let link = item.link { x += "    <link rel=\"alternate\" href=\"\(XMLText.escape(link))\"/>\n" }
        if let published = item.published { x += "    <published>\(CivilTime.rfc3339(published))</published>\n" }
        x += "    <updated>\(CivilTime.rfc3339(article.updatedDate))</updated>\n"
        // Atom needs an author on every entry of a feed without one; the source stands in.
        x += "    <author><name>\(XMLText.escape(item.author ?? sourceTitle))</name></author>\n"
        for category in item.categories {
            x += "    <category term=\"\(XMLText.escape(category))\"/>\n"
        }
        for enclosure in item.enclosures {
            x += "    <link rel=\"enclosure\" href=\"\(XMLText.escape(enclosure.url))\""
            if let type = enclosure.type { x += " type=\"\(XMLText.escape(type))\"" }
            if let length = enclosure.length { x += " length=\"\(length)\"" }
            x += "/>\n"
        }
        if let summary = item.summary { x += "    <summary type=\"html\">\(XMLText.escape(summary))</summary>\n" }
        if let content = item.content {
            x += "    <content type=\"html\">\(XMLText.escape(content))</content>\n"
        } else if item.link == nil {
            // RFC 4287 4.1.1: an entry without an alternate link must have content: the summary
            // when there is one (readers show a content before a summary), else an empty one.
            x += "    <content type=\"html\">\(XMLText.escape(item.summary ?? ""))</content>\n"
        }
        x += "    <source>\n"
        x += "      <id>\(XMLText.escape(sourceID(status: status, source: source, fallback: article.sourceID)))</id>\n"
        x += "      <title>\(XMLText.escape(sourceTitle))</title>\n"
        if let url = source?.url, url.scheme != "file" {
            x += "      <link rel=\"self\" href=\"\(XMLText.escape(url.absoluteString))\"/>\n"
        }
        if let link = status?.feedLink { x += "      <link rel=\"alternate\" href=\"\(XMLText.escape(link))\"/>\n" }
        if let updated = status?.feedUpdated { x += "      <updated>\(CivilTime.rfc3339(updated))</updated>\n" }
        x += "    </source>\n"
        x += "  </entry>\n"
        return x
    }

}

extension StoredArticle {
    /// Atom's required `updated`: updated, else published, else first seen.
    var updatedDate: Date { item.updated ?? item.published ?? firstSeen }

    /// What the item counts for in the date of a whole merged feed (Atom feed `updated`, RSS
    /// `lastBuildDate`): ``updatedDate``, or first seen when that is later than `state`, the time
    /// of the state the feed shows. A date in the future (a feed's mistake) would otherwise date
    /// the merged feed ahead, and keep it there whatever arrives until the item leaves the feed,
    /// so a reader that checks the feed's date would miss every new item meanwhile.
    func feedDate(asOf state: Date) -> Date { updatedDate <= state ? updatedDate : firstSeen }
}

/// Identifiers that stay the same from run to run.
enum StableID {
    /// An item's id in a merged output (Atom id, RSS guid, JSON Feed id): its own when it is an
    /// absolute IRI, else a URN of its source and key. Ids such as "1" are unique within their
    /// feed only, and two sources' items with one id would be one item to a reader.
    /// With `orLink` (RSS, JSON Feed), an item without an id is known by its web address, as its
    /// own feed knew it.
    /// Made from the id, link and key the item was first seen with: a feed changing them (a site
    /// moving to https, an id reused), which the store takes for the same item, must not make
    /// readers show it again.
    static func item(_ article: StoredArticle, orLink: Bool = false) -> String {
        let id = article.firstIdentity.map(\.id) ?? article.item.id
        let link = article.firstIdentity.map(\.link) ?? article.item.link
        if let id, isAbsoluteIRI(id), !isActiveScheme(id) { return id }
        if orLink, id == nil, let link, link.hasPrefix("http://") || link.hasPrefix("https://") {
            return link
        }
        return urn("estuary-item", article.sourceID + "\u{0}" + (article.firstIdentity?.key ?? article.key))
    }

    /// A `urn:uuid:` built from a stable hash of a namespace and a name.
    static func urn(_ namespace: String, _ name: String) -> String {
        let a = ContentHash.hex(of: namespace + "\u{0}" + name)
        let b = ContentHash.hex(of: name + "\u{0}" + namespace)
        let hex = Array(a + b)
        // Shaped as a version-8 (custom) UUID, RFC 9562.
        var chars = hex
        chars[12] = "8"
        chars[16] = ["8", "9", "a", "b"][Int(String(chars[16]), radix: 16)! & 3]
        let s = String(chars)
        let parts = [
            s.prefix(8), s.dropFirst(8).prefix(4), s.dropFirst(12).prefix(4), s.dropFirst(16).prefix(4), s.dropFirst(20),
        ]
        return "urn:uuid:" + parts.joined(separator: "-")
    }

    /// An id a reader might take for a link (some fall back from a missing link to the id) and
    /// that would then run or read something: never published as given.
    static func isActiveScheme(_ id: String) -> Bool {
        let scheme = id.prefix { $0 != ":" }.lowercased()
        return ["javascript", "vbscript", "data", "file", "blob", "about"].contains(scheme)
    }

    /// True for `scheme:rest` with an RFC 3986 scheme and no white space.
    static func isAbsoluteIRI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return false }
        return text.index(after: colon) != text.endIndex && !text.contains(where: \.isWhitespace)
    }
}

import Foundation

/// Writes the merged RSS 2.0 feed of an output.
struct RSSWriter {
    let output: OutputConfig
    let sources: [String: SourceConfig]
    let statuses: [String: SourceStatus]
    let generated: Date

    func document(_ articles: [StoredArticle]) -> String {
        var x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        x += "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""
        x += " xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n"
        x += "  <title>\(XMLText.escape(output.title ?? output.name))</title>\n"
        // RSS requires the channel's web site: the home page, else where the feed is published.
        let site = output.homePage ?? output.selfLink(for: .rss) ?? "urn:estuary:\(output.name)"
        x += "  <link>\(XMLText.escape(site))</link>\n"
        x += "  <description>\(XMLText.escape(output.subtitle ?? output.title ?? output.name))</description>\n"
        if let link = output.selfLink(for: .rss) {
            x += "  <atom:link rel=\"self\" type=\"application/rss+xml\" href=\"\(XMLText.escape(link))\"/>\n"
        }
        let newest = articles.map { $0.feedDate(asOf: generated) }.max() ?? generated
        x += "  <lastBuildDate>\(CivilTime.rfc822(newest))</lastBuildDate>\n"
        x += "  <generator>Estuary \(Estuary.version)</generator>\n"
        for article in articles { x += item(article) }
        x += "</channel>\n</rss>\n"
        return x
    }

    private func item(_ article: StoredArticle) -> String {
        let item = article.item
        let source = sources[article.sourceID]
        let status = statuses[article.sourceID]
        var x = "  <item>\n"
        if let title = item.title { x += "    <title>\(XMLText.escape(title))</title>\n" }
        if let link = item.link { x += "    <link>\(XMLText.escape(link))</link>\n" }
        // A guid is a permalink only when it is the item's web address.
        let guid = StableID.item(article, orLink: true)
        let permaLink = guid == item.link && (guid.hasPrefix("http://") || guid.hasPrefix("https://"))
        x += "    <guid isPermaLink=\"\(permaLink)\">\(XMLText.escape(guid))</guid>\n"
        x += "    <pubDate>\(CivilTime.rfc822(item.published ?? item.updated ?? article.firstSeen))</pubDate>\n"
        if let author = item.author { x += "    <dc:creator>\(XMLText.escape(author))</dc:creator>\n" }
        for category in item.categories { x += "    <category>\(XMLText.escape(category))</category>\n" }
        if let summary = item.summary ?? item.content {
            x += "    <description>\(XMLText.escape(summary))</description>\n"
        } else if item.title == nil {
            // RSS 2.0: an item has a title or a description, even an empty one.
            x += "    <description></description>\n"
        }
        if let content = item.content { x += "    <content:encoded>\(XMLText.escape(content))</content:encoded>\n" }
        for enclosure in item.enclosures {
            // RSS requires length and type; unknown ones are written as 0 and a generic type.
            x += "    <enclosure url=\"\(XMLText.escape(enclosure.url))\" length=\"\(enclosure.length ?? 0)\""
            x += " type=\"\(XMLText.escape(enclosure.type ?? "application/octet-stream"))\"/>\n"
        }
        if let url = source?.url, url.scheme != "file" {
            let title = source?.title ?? status?.feedTitle ?? article.sourceID
            x += "    <source url=\"\(XMLText.escape(url.absoluteString))\">\(XMLText.escape(title))</source>\n"
        }
        x += "  </item>\n"
        return x
    }
}

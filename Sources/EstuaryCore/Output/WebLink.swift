/// Links an output may carry: what a feed calls an item's, a site's or an attachment's address
/// ends up in an `href` of the HTML page and in every reader of the merged feeds.
///
/// Bodies are sanitized by the parser; these bare addresses are checked here, where every output
/// gets them: http, https and relative references pass, any other scheme (`javascript:`,
/// `data:`, `file:`, `vbscript:`) is dropped. The scheme is read as a browser reads it: ASCII tab
/// and newlines anywhere and leading control characters and spaces do not count.
enum WebLink {
    static func safe(_ link: String?) -> String? {
        guard let link else { return nil }
        var scheme: [UInt8] = []
        var leading = true
        for byte in link.utf8 {
            if byte == 0x09 || byte == 0x0A || byte == 0x0D { continue }
            if leading && byte <= 0x20 { continue }
            leading = false
            if byte == UInt8(ascii: ":") {
                return scheme == Array("http".utf8) || scheme == Array("https".utf8) ? link : nil
            }
            // A path, query or fragment before any colon: a relative reference.
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") { return link }
            if scheme.count < 8 { scheme.append(byte.asciiLowercased) }
        }
        return link  // no colon at all: relative
    }

    /// `article` with only safe links: its own, its attachments' (others dropped) and its alternates'.
    static func safe(_ article: StoredArticle) -> StoredArticle {
        var article = article
        article.item.link = safe(article.item.link)
        article.item.enclosures = article.item.enclosures.filter { safe($0.url) != nil }
        for index in article.alternates.indices {
            article.alternates[index].link = safe(article.alternates[index].link)
        }
        return article
    }

    /// `status` with only a safe site link.
    static func safe(_ status: SourceStatus) -> SourceStatus {
        var status = status
        status.feedLink = safe(status.feedLink)
        return status
    }
}

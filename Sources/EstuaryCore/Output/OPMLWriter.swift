import Foundation

/// Writes sources as OPML 2.0, for moving subscriptions to another reader
/// (an output's `.opml` file, and `estuary export-opml`). `file:` sources are left out: they are not portable.
public struct OPMLWriter {
    let title: String
    let sources: [SourceConfig]
    let statuses: [String: SourceStatus]

    /// `statuses` (by source id) supply the feed's own title and site link when the config has none.
    public init(title: String, sources: [SourceConfig], statuses: [String: SourceStatus]) {
        self.title = title
        self.sources = sources
        self.statuses = statuses
    }

    public func document() -> String {
        var x = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n  <head>\n"
        x += "    <title>\(XMLText.escape(title))</title>\n  </head>\n  <body>\n"
        for source in sources where !source.url.isFileURL {
            let status = statuses[source.id]
            let title = source.title ?? status?.feedTitle ?? source.id
            x += "    <outline type=\"rss\" text=\"\(XMLText.escape(title))\" title=\"\(XMLText.escape(title))\""
            x += " xmlUrl=\"\(XMLText.escape(source.url.absoluteString))\""
            // The feed's own site link: readers show it as a link, so only a web address passes.
            if let site = WebLink.safe(status?.feedLink) { x += " htmlUrl=\"\(XMLText.escape(site))\"" }
            if !source.tags.isEmpty { x += " category=\"\(XMLText.escape(source.tags.joined(separator: ",")))\"" }
            x += "/>\n"
        }
        x += "  </body>\n</opml>\n"
        return x
    }
}

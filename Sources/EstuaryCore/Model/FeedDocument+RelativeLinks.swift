import Foundation

extension FeedDocument {
    /// Whether some item still has a relative reference after parsing: its link, an attachment's
    /// address, or an `href` or `src` in its summary or content.
    ///
    /// The parser resolves against the document's web address only; a local file's relative links
    /// stay relative, and in a merged feed a reader would resolve them against the aggregator's
    /// address instead of the feed's site.
    var hasRelativeLinks: Bool {
        items.contains { item in
            item.link.map(Self.isRelative) == true || item.enclosures.contains { Self.isRelative($0.url) }
                || [item.summary, item.content].contains { $0.map(Self.hasRelativeAttribute) == true }
        }
    }

    /// A reference without a scheme (`/media/a.mp3`, `posts/1`, `//host/x`).
    static func isRelative(_ reference: String) -> Bool {
        let trimmed = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = trimmed.first, first != "#" else { return false }
        guard let colon = trimmed.firstIndex(of: ":") else { return true }
        let scheme = trimmed[..<colon]
        return
            !(first.isASCII && first.isLetter
            && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
    }

    /// Whether sanitized HTML has an `href="…"` or `src="…"` that is relative.
    static func hasRelativeAttribute(_ html: String) -> Bool {
        for name in [" href=\"", " src=\""] {
            var rest = html[...]
            while let start = rest.range(of: name) {
                rest = rest[start.upperBound...]
                let value = rest.prefix { $0 != "\"" }
                if isRelative(String(value)) { return true }
            }
        }
        return false
    }
}

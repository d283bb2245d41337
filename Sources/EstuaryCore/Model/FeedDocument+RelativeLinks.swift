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

    /// Whether sanitized HTML has an `href="…"` or `src="…"` that is relative (one pass over its
    /// bytes: every body of a local feed is looked through).
    static func hasRelativeAttribute(_ html: String) -> Bool {
        var html = html
        return html.withUTF8 { bytes in
            let quote = UInt8(ascii: "\"")
            var index = 0
            while index + 1 < bytes.count {
                defer { index += 1 }
                guard bytes[index] == UInt8(ascii: "="), bytes[index + 1] == quote,
                    endsWithAttributeName(bytes, before: index)
                else { continue }
                let start = index + 2
                var end = start
                while end < bytes.count, bytes[end] != quote { end += 1 }
                if isRelative(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)) {
                    return true
                }
            }
            return false
        }
    }

    /// Whether ` href` or ` src` ends just before `index`.
    private static func endsWithAttributeName(_ bytes: UnsafeBufferPointer<UInt8>, before index: Int) -> Bool {
        for name in [" href", " src"] {
            let count = name.utf8.count
            if index >= count, zip(bytes[(index - count)..<index], name.utf8).allSatisfy({ $0 == $1 }) { return true }
        }
        return false
    }
}

import Foundation

/// Turns the feeds of a subscription list into new `[[source]]` sections: feeds
/// already configured are left out, the others get an id, and their folders become tags.
public struct SourceImport: Sendable {
    /// The sources to add, in the list's order.
    public private(set) var added: [SourceConfig] = []
    /// Feeds whose URL a configured source already has.
    public private(set) var alreadyConfigured = 0
    /// Feeds listed more than once; their folders are merged into the first listing's tags.
    public private(set) var repeated = 0
    /// Feeds that cannot be a source, with the reason.
    public private(set) var refused: [(feed: OPMLFeed, reason: String)] = []

    /// Plans the import of `feeds` into a config whose sources are `existing`.
    public init(feeds: [OPMLFeed], existing: [SourceConfig]) {
        let configured = Set(existing.map { Self.key($0.url.absoluteString) })
        var ids = Set(existing.map(\.id))
        var nextSuffix: [String: Int] = [:]
        var positions: [String: Int] = [:]
        for feed in feeds {
            guard let url = URL(string: feed.url), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = url.host, !host.isEmpty
            else {
                refused.append((feed, "xmlUrl \"\(feed.url)\" is not an http or https URL"))
                continue
            }
            let key = Self.key(feed.url)
            if configured.contains(key) {
                alreadyConfigured += 1
                continue
            }
            let tags = Self.tags(feed.folders)
            if let position = positions[key] {
                repeated += 1
                for tag in tags where !added[position].tags.contains(tag) { added[position].tags.append(tag) }
                continue
            }
            let id = Self.uniqueID(
                base: feed.title.flatMap { Self.slug($0) } ?? Self.slug(Self.siteName(host)) ?? "feed", in: &ids,
                next: &nextSuffix)
            positions[key] = added.count
            added.append(SourceConfig(id: id, url: url, title: feed.title, tags: tags))
        }
    }

    /// `[[source]]` sections for ``added``, each preceded by a blank line.
    public func toml() -> String {
        var text = ""
        for source in added {
            text += "\n[[source]]\nid = \(TOMLText.quoted(source.id))\nurl = \(TOMLText.quoted(source.url.absoluteString))\n"
            if let title = source.title { text += "title = \(TOMLText.quoted(title))\n" }
            if !source.tags.isEmpty { text += "tags = [\(source.tags.map(TOMLText.quoted).joined(separator: ", "))]\n" }
        }
        return text
    }

    /// Two URLs of one feed give the same key: scheme and host case, http or https, a
    /// `www.` prefix, the default port, tracking parameters and a trailing slash do not count.
    public static func key(_ url: String) -> String {
        ItemKey.normalize(CanonicalLink.make(url) ?? url)
    }

    /// Folder names as tags: a valid name as it is, anything else as a slug; blanks and repeats left out.
    static func tags(_ folders: [String]) -> [String] {
        var tags: [String] = []
        for folder in folders {
            guard let tag = Reader.isValidName(folder) ? folder : slug(folder, lowercased: false) else { continue }
            if !tags.contains(tag) { tags.append(tag) }
        }
        return tags
    }

    /// `text` as a valid config name: ASCII letters and digits (accents dropped), `.` and
    /// `_` kept inside, every other run of characters one `-`, starting and ending with a
    /// letter or digit, at most 64 characters; nil when nothing is left.
    static func slug(_ text: String, lowercased: Bool = true) -> String? {
        let folded = text.folding(options: [.diacriticInsensitive, .widthInsensitive], locale: nil)
        var slug = ""
        var pendingDash = false
        for scalar in folded.unicodeScalars {
            let isUpper = ("A"..."Z").contains(scalar)
            let isAlnum = isUpper || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
            if isAlnum || (!slug.isEmpty && (scalar == "." || scalar == "_")) {
                if pendingDash { slug += "-" }
                pendingDash = false
                slug.unicodeScalars.append(lowercased && isUpper ? Unicode.Scalar(scalar.value + 32)! : scalar)
            } else if !slug.isEmpty {
                pendingDash = true
            }
        }
        while slug.utf8.count > 64 || slug.hasSuffix("-") || slug.hasSuffix(".") || slug.hasSuffix("_") { slug.removeLast() }
        return slug.isEmpty ? nil : slug
    }

    /// The host without `www.`: the fallback name of a feed without a title.
    static func siteName(_ host: String) -> String {
        host.lowercased().hasPrefix("www.") ? String(host.dropFirst(4)) : host
    }

    /// `base`, else `base-2`, `base-3`, ... : the first not in `ids`, which it joins. `next` remembers
    /// where each base's count stopped (10,000 feeds titled "YouTube" counted from 2 each time).
    static func uniqueID(base: String, in ids: inout Set<String>, next: inout [String: Int]) -> String {
        var id = base
        var number = (next[base] ?? 2) - 1
        defer { next[base] = number + 1 }
        while ids.contains(id) {
            number += 1
            let suffix = "-\(number)"
            id = String(base.prefix(64 - suffix.count)) + suffix
        }
        ids.insert(id)
        return id
    }
}

/// TOML text.
enum TOMLText {
    /// `text` as a TOML basic string: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// An item's identity within its source: how the store knows it has seen an item before.
///
/// The feed's id (RSS `guid`, Atom `id`) when it gives one, else the link, else a
/// hash of title and body. The prefix keeps the three kinds from colliding.
public enum ItemKey {
    public static func make(for item: FeedItem, normalize: Bool = true) -> String {
        if let id = item.id?.trimmed, !id.isEmpty { return "id:" + (normalize ? Self.normalize(id) : id) }
        if let link = item.link?.trimmed, !link.isEmpty { return "link:" + (normalize ? Self.normalize(link) : link) }
        let body = item.content ?? item.summary ?? ""
        return "hash:" + ContentHash.hex(of: (item.title ?? "") + "\u{0}" + body)
    }

    /// The keys of a document's items. An id the feed reuses on items with
    /// different links cannot tell them apart: those items add their link.
    public static func keys(for items: [FeedItem], normalize: Bool = true) -> [String] {
        var linksByID: [String: Set<String>] = [:]
        for item in items {
            if let id = item.id?.trimmed, !id.isEmpty { linksByID[id, default: []].insert(item.link?.trimmed ?? "") }
        }
        return items.map { item in
            let key = make(for: item, normalize: normalize)
            if let id = item.id?.trimmed, let links = linksByID[id], links.count > 1, let link = item.link?.trimmed {
                return key + " " + (normalize ? Self.normalize(link) : link)
            }
            return key
        }
    }

    /// `http://www.example.com/a/` and `https://example.com/a` are one item: a site
    /// moving to https, or dropping `www.`, does not republish its archive.
    public static func normalize(_ text: String) -> String {
        var s = Substring(text)
        for scheme in ["https://", "http://"] where s.lowercased().hasPrefix(scheme) {
            s = "//" + s.dropFirst(scheme.count)
            break
        }
        if s.hasPrefix("//www.") { s = "//" + s.dropFirst(6) }
        while s.count > 2, s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }
}

/// A 64-bit FNV-1a hash: stable across runs and platforms (Swift's `Hasher` is seeded per process).
public enum ContentHash {
    public static func hex(of text: String) -> String { hex(of: text.utf8) }

    public static func hex<C: Sequence>(of bytes: C) -> String where C.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension String {
    /// Without leading and trailing ASCII white space (on UTF-8 bytes: Character-wise trimming was a hot spot).
    var trimmed: String {
        let bytes = utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C || b == 0x0B }
        while start != end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end != start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        if start == bytes.startIndex && end == bytes.endIndex { return self }
        return String(self[start..<end])
    }
}

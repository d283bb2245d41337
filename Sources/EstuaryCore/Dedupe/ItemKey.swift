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
        identities(for: items, normalize: normalize).map(\.key)
    }

    /// An item's key, and the key the same item had, or will have, when its id's reuse in the feed
    /// differs: `id:G` alone, `id:G <link>` when the document reuses G. A feed that starts or stops
    /// reusing an id must not bring its items back as new, so the store looks the other form up.
    public struct Identity: Sendable, Equatable {
        public var key: String
        /// `id:G`, for an item with an id and a link; nil otherwise.
        var plain: String?
        /// The item's link as the feed gives it.
        var rawLink: String?
        /// Whether ``key`` is the `id:G <link>` form (the document reuses G).
        var reused = false
        /// Whether keys are normalized (``ItemKey/normalize(_:)``).
        var normalized = true

        /// The same item's key in the other form; nil for an item without an id or a link.
        public var otherForm: String? {
            guard let plain, let link else { return nil }
            return reused ? plain : plain + " " + link
        }

        /// Whether ``otherForm`` is `id:G <link>`, which names this item's link already.
        public var otherFormHasLink: Bool { plain != nil && rawLink != nil && !reused }

        /// The item's link as keys hold it: a stored `id:G` is this item only if its link is the same.
        public var link: String? { rawLink.map(linkForm) }

        /// A link in the form keys hold it.
        public func linkForm(_ link: String) -> String { normalized ? ItemKey.normalize(link.trimmed) : link.trimmed }
    }

    public static func identities(for items: [FeedItem], normalize: Bool = true) -> [Identity] {
        func form(_ text: String) -> String { normalize ? Self.normalize(text) : text }
        // Reuse is judged on the forms the keys hold: `http://x/1` and `https://x/1` are one id.
        let ids = items.map { item -> String? in
            guard let id = item.id?.trimmed, !id.isEmpty else { return nil }
            return form(id)
        }
        var counts: [String: Int] = [:]
        for id in ids { if let id { counts[id, default: 0] += 1 } }
        // Links only where an id comes more than once (most feeds: nowhere).
        var linksByID: [String: Set<String>] = [:]
        for (id, item) in zip(ids, items) {
            if let id, counts[id, default: 0] > 1 { linksByID[id, default: []].insert(item.link.map { form($0.trimmed) } ?? "") }
        }
        return items.indices.map { index in
            let item = items[index]
            guard let id = ids[index] else { return Identity(key: make(for: item, normalize: normalize), normalized: normalize) }
            var identity = Identity(key: "id:" + id, normalized: normalize)
            guard let link = item.link else { return identity }
            identity.plain = identity.key
            identity.rawLink = link
            if (linksByID[id]?.count ?? 0) > 1 {
                identity.reused = true
                identity.key += " " + identity.linkForm(link)
            }
            return identity
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

/// An item's identity within its source: how the store knows it has seen an item before.
///
/// The feed's id (RSS `guid`, Atom `id`) when it gives one, else the link, else a
/// hash of title and body. The prefix keeps the three kinds from colliding.
public enum ItemKey {
    public static func make(for item: FeedItem) -> String {
        if let id = item.id?.trimmed, !id.isEmpty { return "id:" + id }
        if let link = item.link?.trimmed, !link.isEmpty { return "link:" + link }
        let body = item.content ?? item.summary ?? ""
        return "hash:" + ContentHash.hex(of: (item.title ?? "") + "\u{0}" + body)
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
    var trimmed: String { String(self.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
}

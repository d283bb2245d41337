import EstuaryCore
import Foundation
import GRDB

/// Cross-source deduplication: is a newly stored item an article another source already brought?
///
/// The copies other sources hold are looked up for all new items of a document at once (two
/// indexed queries per document instead of two per item): the database's time is the run's.
enum Dedupe {
    /// Two copies of one article published this far apart are still one (same normalized title).
    static let titleWindow: Double = 48 * 3600

    /// The indexed form of a title key: 64-bit FNV-1a of its UTF-8 bytes, the same on every machine
    /// and in every version (it is stored). Equal hashes are confirmed on the key itself.
    static func titleHash(_ titleKey: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in titleKey.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// A new item of the source being recorded, with what it is matched on.
    struct NewItem {
        var key: String
        var canonical: String?
        var titleKey: String?
        var date: Date?
    }

    /// A stored copy that can be the first-seen one (the primary) of an article.
    struct Copy: Hashable {
        var source: String
        var key: String
        var firstSeen: Double
        /// Insertion order, between copies of one source seen at the same instant: the one that came
        /// first in its feed (what the per-item query this replaced returned).
        var rowid: Int64

        /// The first-seen copy wins; between copies seen at the same instant, the order is still fixed.
        static func earlier(_ a: Copy, _ b: Copy) -> Bool {
            (a.firstSeen, a.source, a.rowid) < (b.firstSeen, b.source, b.rowid)
        }
    }

    /// Links each of `items` (just stored, all first seen at `firstSeen`) to the first-seen copy of the
    /// same article in another source of the scope, if there is one. Returns how many became alternates.
    static func link(
        _ db: Database, source: String, items: [NewItem], firstSeen: Double, context: DedupeContext
    ) throws -> Int {
        // No other source in the scope: nothing to match.
        if let scope = context.scope, scope.isEmpty || (scope.count == 1 && scope.contains(source)) { return 0 }
        guard !items.isEmpty else { return 0 }
        let scope = context.scope
        let candidates = try Candidates(db, source: source, items: items, scope: scope)
        // Copies that stopped being primaries in this transaction (the new item took their place).
        var demoted: Set<Copy> = []
        var duplicates = 0
        for item in items {
            guard var primary = candidates.primary(of: item) else { continue }
            if demoted.contains(primary) {
                // What the lookup found has changed since: look again, for this item alone.
                let fresh = try Candidates(db, source: source, items: [item], scope: scope)
                guard let next = fresh.primary(of: item) else { continue }
                primary = next
            }
            // Seen in the same cycle: the source listed first in the config keeps the article.
            let rank = context.rank
            if primary.firstSeen == firstSeen, rank[source, default: .max] < rank[primary.source, default: .max] {
                try db.cachedStatement(
                    sql: """
                        UPDATE item SET duplicate_of_source = ?, duplicate_of_key = ?
                        WHERE (source_id = ? AND key = ?) OR (duplicate_of_source = ? AND duplicate_of_key = ?)
                        """
                ).execute(arguments: [source, item.key, primary.source, primary.key, primary.source, primary.key])
                demoted.insert(primary)
                continue
            }
            try db.cachedStatement(
                sql: "UPDATE item SET duplicate_of_source = ?, duplicate_of_key = ? WHERE source_id = ? AND key = ?"
            ).execute(arguments: [primary.source, primary.key, source, item.key])
            duplicates += 1
        }
        return duplicates
    }

    /// Other sources' primaries sharing a canonical link or a title key with the new items.
    private struct Candidates {
        var byLink: [String: Copy] = [:]
        var byTitle: [String: [(copy: Copy, date: Double)]] = [:]

        /// Both lookups in one statement: copies with one of the canonical links, and copies with
        /// one of the titles (the title of an item whose link matched is simply not asked for later).
        /// `scope`: the sources an item may match in, nil for all.
        init(_ db: Database, source: String, items: [NewItem], scope: Set<String>?) throws {
            let links = Set(items.compactMap(\.canonical))
            // Only dated items match by title (within 48 hours of each other).
            let titles = Set(items.compactMap { $0.date != nil ? $0.titleKey : nil })
            guard !links.isEmpty || !titles.isEmpty else { return }
            let rows = try Row.fetchCursor(
                db.cachedStatement(
                    sql: """
                        SELECT 0, canonical_link, source_id, key, first_seen, rowid, NULL FROM item
                        WHERE canonical_link IN (SELECT value FROM json_each(?1)) AND source_id != ?3
                            AND duplicate_of_key IS NULL
                        UNION ALL
                        SELECT 1, title_key, source_id, key, first_seen, rowid, coalesce(published, updated) FROM item
                        WHERE title_hash IN (SELECT value FROM json_each(?2)) AND source_id != ?3
                            AND duplicate_of_key IS NULL AND coalesce(published, updated) IS NOT NULL
                        """),
                arguments: [
                    JSONLine.array(links), "[" + titles.map { String(titleHash($0)) }.joined(separator: ",") + "]", source,
                ])
            while let row = try rows.next() {
                let copy = Copy(source: row[2], key: row[3], firstSeen: row[4], rowid: row[5])
                guard scope?.contains(copy.source) ?? true else { continue }
                let match: String = row[1]
                if row[0] as Int == 0 {
                    if let best = byLink[match], !Copy.earlier(copy, best) { continue }
                    byLink[match] = copy
                } else if titles.contains(match) {
                    byTitle[match, default: []].append((copy, row[6]))
                }
            }
        }

        /// The first-seen copy of `item`'s article: by canonical link, else by title and date.
        func primary(of item: NewItem) -> Copy? {
            if let link = item.canonical, let copy = byLink[link] { return copy }
            guard let titleKey = item.titleKey, let date = item.date?.timeIntervalSince1970 else { return nil }
            var best: Copy?
            for (copy, published) in byTitle[titleKey] ?? []
            where abs(published - date) <= titleWindow && best.map({ Copy.earlier(copy, $0) }) ?? true {
                best = copy
            }
            return best
        }
    }
}

import EstuaryCore
import Foundation
import GRDB

/// Per-source retention: the newest `max_items`, none stored longer than `max_age`.
///
/// Age counts from when Estuary first saw the item, not from the date the feed
/// gives it: a feed's archive of old posts is still news to a new subscriber.
/// Runs only after a successful fetch (a failed fetch never prunes). What it
/// removes leaves a tombstone, kept for twice `max_age`, so an old item still
/// in the feed is not stored again as new. Retention of one source removes only its own copies:
/// when it removes the first-seen copy of an article other sources also carry, the earliest of
/// their copies takes its place (their own retention decides when they go).
enum Retention {
    /// Returns how many items it removed.
    @discardableResult
    static func apply(_ db: Database, source: SourceConfig, now: Double) throws -> Int {
        let oldest = now - Double(source.maxAge.components.seconds)
        // Most sources are under both limits: one pass without sorting says so.
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT count(*), min(first_seen) FROM item WHERE source_id = ?"), arguments: [source.id]),
            (row[0] as Int) <= source.maxItems, (row[1] as Double?).map({ $0 >= oldest }) ?? true
        {
            return 0
        }
        let doomed = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT key FROM item WHERE source_id = ? AND (first_seen < ? OR key IN (
                        SELECT key FROM item WHERE source_id = ? ORDER BY sort_date DESC, first_seen DESC LIMIT -1 OFFSET ?))
                    """),
            arguments: [source.id, oldest, source.id, source.maxItems])
        guard !doomed.isEmpty else { return 0 }
        let bury = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tombstone (source_id, key, removed_at) VALUES (?, ?, ?)")
        let remove = try db.cachedStatement(sql: "DELETE FROM item WHERE source_id = ? AND key = ?")
        let heir = try db.cachedStatement(
            sql: """
                SELECT source_id, key FROM item WHERE duplicate_of_source = ? AND duplicate_of_key = ?
                ORDER BY first_seen, source_id, rowid LIMIT 1
                """)
        let crown = try db.cachedStatement(
            sql: "UPDATE item SET duplicate_of_source = NULL, duplicate_of_key = NULL WHERE source_id = ? AND key = ?")
        let repoint = try db.cachedStatement(
            sql:
                "UPDATE item SET duplicate_of_source = ?, duplicate_of_key = ? WHERE duplicate_of_source = ? AND duplicate_of_key = ?"
        )
        for row in doomed {
            let key: String = row["key"]
            try bury.execute(arguments: [source.id, key, now])
            try remove.execute(arguments: [source.id, key])
            guard let next = try Row.fetchOne(heir, arguments: [source.id, key]) else { continue }
            let (nextSource, nextKey): (String, String) = (next[0], next[1])
            try crown.execute(arguments: [nextSource, nextKey])
            try repoint.execute(arguments: [nextSource, nextKey, source.id, key])
        }
        try db.cachedStatement(sql: "DELETE FROM tombstone WHERE source_id = ? AND removed_at < ?")
            .execute(arguments: [source.id, now - 2 * Double(source.maxAge.components.seconds)])
        return doomed.count
    }
}

import EstuaryCore
import GRDB

/// The versioned schema. Migrations run at startup, in order, each in a transaction.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE source (
                        id TEXT PRIMARY KEY NOT NULL,
                        url TEXT NOT NULL,
                        feed_title TEXT,
                        feed_link TEXT,
                        feed_id TEXT,
                        feed_updated REAL,
                        last_result TEXT,
                        last_status INTEGER,
                        last_error TEXT,
                        last_fetch REAL
                    );
                    CREATE TABLE item (
                        source_id TEXT NOT NULL REFERENCES source(id) ON DELETE CASCADE,
                        key TEXT NOT NULL,
                        guid TEXT,
                        link TEXT,
                        title TEXT,
                        author TEXT,
                        published REAL,
                        updated REAL,
                        summary TEXT,
                        content TEXT,
                        categories TEXT NOT NULL DEFAULT '[]',
                        enclosures TEXT NOT NULL DEFAULT '[]',
                        first_seen REAL NOT NULL,
                        sort_date REAL NOT NULL,
                        PRIMARY KEY (source_id, key)
                    );
                    CREATE INDEX item_by_date ON item (sort_date DESC);
                    """)
        }
        migrator.registerMigration("v2 fetch state") { db in
            // What the fetcher remembers per source: validators, body hash, backoff, gone and moved marks.
            for column in [
                "etag TEXT", "last_modified TEXT", "body_hash TEXT", "error_count INTEGER NOT NULL DEFAULT 0",
                "not_before REAL", "not_before_reason TEXT", "gone_url TEXT", "moved_to TEXT", "moved_from TEXT",
                "redirect_target TEXT", "redirect_count INTEGER NOT NULL DEFAULT 0",
            ] {
                try db.execute(sql: "ALTER TABLE source ADD COLUMN \(column)")
            }
        }
        migrator.registerMigration("v3 identity and dedupe") { db in
            for column in [
                "canonical_link TEXT", "title_key TEXT", "duplicate_of_source TEXT", "duplicate_of_key TEXT", "updated_at REAL",
            ] {
                try db.execute(sql: "ALTER TABLE item ADD COLUMN \(column)")
            }
            try db.execute(sql: "CREATE INDEX item_by_canonical_link ON item (canonical_link)")
            try db.execute(sql: "CREATE INDEX item_by_title_key ON item (title_key)")
            try db.execute(sql: "CREATE INDEX item_by_primary ON item (duplicate_of_source, duplicate_of_key)")
            // Keys become scheme-, www- and trailing-slash-insensitive. Rewrite the stored ones, oldest
            // first; a later item that now collides with an older one was the same item all along.
            let rows = try Row.fetchAll(db, sql: "SELECT source_id, key, first_seen, rowid FROM item ORDER BY first_seen, rowid")
            for row in rows {
                let old: String = row["key"]
                let new = Self.normalizedKey(old)
                guard new != old else { continue }
                let source: String = row["source_id"]
                try db.execute(
                    sql: "UPDATE OR IGNORE item SET key = ? WHERE source_id = ? AND key = ?", arguments: [new, source, old])
                guard db.changesCount == 0 else { continue }
                // A row holds the new key already. Rewritten here before (seen earlier), it stays; stored
                // in that form to begin with, it may have been seen later: then this older one replaces it.
                let other = try Row.fetchOne(
                    db, sql: "SELECT first_seen, rowid FROM item WHERE source_id = ? AND key = ?", arguments: [source, new])
                let keepOther = other.map { ($0[0] as Double, $0[1] as Int64) < (row["first_seen"], row["rowid"]) } ?? true
                try db.execute(
                    sql: "DELETE FROM item WHERE source_id = ? AND key = ?", arguments: [source, keepOther ? old : new])
                if !keepOther {
                    try db.execute(
                        sql: "UPDATE item SET key = ? WHERE source_id = ? AND key = ?", arguments: [new, source, old])
                }
            }
            // Canonical links and title keys for what is already stored.
            for row in try Row.fetchAll(db, sql: "SELECT source_id, key, link, title FROM item") {
                let link: String? = row["link"]
                let title: String? = row["title"]
                try db.execute(
                    sql: "UPDATE item SET canonical_link = ?, title_key = ? WHERE source_id = ? AND key = ?",
                    arguments: [link.flatMap(CanonicalLink.make), TitleKey.make(title), row["source_id"], row["key"]])
            }
        }
        migrator.registerMigration("v4 retention") { db in
            // What retention removed, so an old item still in the feed never comes back as new.
            try db.execute(
                sql: """
                    CREATE TABLE tombstone (
                        source_id TEXT NOT NULL,
                        key TEXT NOT NULL,
                        removed_at REAL NOT NULL,
                        PRIMARY KEY (source_id, key)
                    ) WITHOUT ROWID
                    """)
            try db.execute(sql: "CREATE INDEX item_by_source_date ON item (source_id, sort_date DESC)")
        }
        migrator.registerMigration("v5 schedule") { db in
            // Each source's due time and what its feed asked for; Retry-After alone stays in not_before.
            for column in ["next_fetch REAL", "hint_interval REAL", "skip_hours TEXT", "skip_days TEXT"] {
                try db.execute(sql: "ALTER TABLE source ADD COLUMN \(column)")
            }
            try db.execute(
                sql: """
                    UPDATE source SET next_fetch = not_before,
                        not_before = CASE WHEN not_before_reason LIKE 'Retry-After%' THEN not_before END
                    WHERE not_before IS NOT NULL
                    """)
        }
        migrator.registerMigration("v6 lighter indexes") { db in
            // Every new item lands on its own page of a title index, and each page written costs a
            // page in the WAL: index 8-byte hashes of the title keys instead of the keys themselves,
            // several times as many to a page (the key stays in its column, to confirm a match).
            try db.execute(sql: "ALTER TABLE item ADD COLUMN title_hash INTEGER")
            let hash = DatabaseFunction("estuary_title_hash", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map(Dedupe.titleHash)
            }
            db.add(function: hash)
            try db.execute(sql: "UPDATE item SET title_hash = estuary_title_hash(title_key) WHERE title_key IS NOT NULL")
            db.remove(function: hash)
            try db.execute(sql: "DROP INDEX item_by_title_key")
            try db.execute(sql: "CREATE INDEX item_by_title_hash ON item (title_hash)")
            // Only alternates are looked up by their primary: the primaries (most items) need no entry.
            try db.execute(sql: "DROP INDEX item_by_primary")
            try db.execute(
                sql: """
                    CREATE INDEX item_by_primary ON item (duplicate_of_source, duplicate_of_key)
                    WHERE duplicate_of_key IS NOT NULL
                    """)
        }
        migrator.registerMigration("v7 generation") { db in
            // Bumped by every transaction that changes what outputs show: an output written at the
            // current generation is up to date, whatever happened to the process in between.
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
                    INSERT INTO meta (key, value) VALUES ('generation', 1);
                    """)
        }
        migrator.registerMigration("v8 first identity") { db in
            // The id, link and key an item was first stored with, saved when they change (JSON
            // `[id, link, key]`): outputs keep publishing the id made from them. NULL while the
            // item's own are still the first ones, as every stored item's are.
            try db.execute(sql: "ALTER TABLE item ADD COLUMN first_identity TEXT")
        }
        migrator.registerMigration("v9 primaries indexed") { db in
            // A new item is matched against the first-seen copies (the primaries) only: an index of
            // every copy made an article carried by N sources cost N index entries to look through
            // for each new copy (5,000 sources of one feed: 9.9 s). Alternates need no entry.
            try db.execute(
                sql: """
                    DROP INDEX item_by_canonical_link;
                    CREATE INDEX item_by_canonical_link ON item (canonical_link) WHERE duplicate_of_key IS NULL;
                    DROP INDEX item_by_title_hash;
                    CREATE INDEX item_by_title_hash ON item (title_hash) WHERE duplicate_of_key IS NULL;
                    """)
        }
        return migrator
    }

    /// A v2 key in v3's form: `id:` and `link:` keys normalized, hashes unchanged.
    static func normalizedKey(_ key: String) -> String {
        for prefix in ["id:", "link:"] where key.hasPrefix(prefix) {
            return prefix + ItemKey.normalize(String(key.dropFirst(prefix.count)))
        }
        return key
    }
}

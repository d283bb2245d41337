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
        return migrator
    }
}

import EstuaryCore
import EstuaryTestSupport
import Foundation
import GRDB
import Testing

@testable import EstuaryStore

/// Each schema version migrates to the current one with nothing lost and nothing doubled.
@Suite struct MigrationTests {
    func database(upTo version: String, in folder: URL) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("estuary.sqlite").path)
        try Schema.migrator.migrate(queue, upTo: version)
        return queue
    }

    @Test(arguments: ["v1", "v2 fetch state"])
    func oldKeysAreNormalizedAndTheirDuplicatesFolded(version: String) throws {
        let folder = try Fixtures.temporaryFolder()
        do {
            let queue = try database(upTo: version, in: folder)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO source (id, url) VALUES ('blog', 'https://blog.example/feed')")
                for (key, seen) in [
                    ("id:http://blog.example/1/", 100.0), ("id:https://www.blog.example/1", 200.0),
                    ("link:https://blog.example/2", 150.0), ("hash:abc", 50.0),
                    // Already in the new form, but seen after its older spelling: the older one stays.
                    ("id:tag:blog.example,2020:post/3/", 100.0), ("id:tag:blog.example,2020:post/3", 200.0),
                ] {
                    try db.execute(
                        sql:
                            "INSERT INTO item (source_id, key, title, link, first_seen, sort_date) VALUES ('blog', ?, 'T', 'https://blog.example/x?utm_source=a', ?, ?)",
                        arguments: [key, seen, seen])
                }
            }
        }
        let store = try SQLiteStore(directory: folder.path)
        let articles = try store.articles(sourceIDs: ["blog"], limit: 10)
        #expect(
            Set(articles.map(\.key)) == [
                "id://blog.example/1", "link://blog.example/2", "hash:abc", "id:tag:blog.example,2020:post/3",
            ])
        // The oldest of each folded pair is kept.
        #expect(articles.first { $0.key == "id://blog.example/1" }?.firstSeen == Date(timeIntervalSince1970: 100))
        #expect(articles.first { $0.key == "id:tag:blog.example,2020:post/3" }?.firstSeen == Date(timeIntervalSince1970: 100))
        // An item arriving again under either spelling is not new.
        let again = try store.record(
            source: SourceConfig(id: "blog", url: URL(string: "https://blog.example/feed")!),
            document: FeedDocument(format: .rss20, items: [FeedItem(id: "https://blog.example/1/")]), status: 200,
            fetchState: FetchState(), at: Date())
        #expect(again.new == 0)
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("estuary.sqlite").path)
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }

    /// v6 indexes title hashes instead of title keys: items stored before it still match by title.
    @Test(arguments: ["v3 identity and dedupe", "v4 retention", "v5 schedule"])
    func storedTitlesStillMatchAfterTheTitleIndexBecomesHashes(version: String) throws {
        let folder = try Fixtures.temporaryFolder()
        let day = 1_700_000_000.0
        do {
            let queue = try database(upTo: version, in: folder)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO source (id, url) VALUES ('blog', 'https://blog.example/feed')")
                try db.execute(
                    sql: """
                        INSERT INTO item (source_id, key, title, link, published, first_seen, sort_date, canonical_link, title_key)
                        VALUES ('blog', 'id:1', 'Estuaries are river mouths', 'https://blog.example/1', ?, ?, ?,
                            '//blog.example/1', 'estuaries are river mouths')
                        """,
                    arguments: [day, day, day])
            }
        }
        let store = try SQLiteStore(directory: folder.path)
        let copy = FeedItem(
            id: "x", link: "https://planet.example/x", title: "Estuaries Are River Mouths",
            published: Date(timeIntervalSince1970: day + 3600))
        let outcome = try store.record(
            source: SourceConfig(id: "planet", url: URL(string: "https://planet.example/atom")!),
            document: FeedDocument(format: .rss20, items: [copy]), status: 200, fetchState: FetchState(),
            dedupe: DedupeContext(scope: nil, rank: ["blog": 0, "planet": 1]), at: Date(timeIntervalSince1970: day + 7200))
        #expect(outcome.duplicates == 1)
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("estuary.sqlite").path)
        try queue.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            let indexes = try String.fetchAll(
                db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'item'")
            #expect(indexes.contains("item_by_title_hash") && !indexes.contains("item_by_title_key"))
            #expect(
                try Int64.fetchOne(db, sql: "SELECT title_hash FROM item WHERE key = 'id:1'")
                    == Dedupe.titleHash("estuaries are river mouths"))
        }
    }

    /// The stored hash must never change between versions or machines: these are FNV-1a's own test values.
    @Test func theTitleHashIsFNV1a() {
        #expect(Dedupe.titleHash("") == Int64(bitPattern: 0xcbf2_9ce4_8422_2325))
        #expect(Dedupe.titleHash("a") == Int64(bitPattern: 0xaf63_dc4c_8601_ec8c))
        #expect(Dedupe.titleHash("foobar") == Int64(bitPattern: 0x8594_4171_f739_67e8))
    }

    /// Before v5 a backoff and a Retry-After both lived in not_before; from v5 the backoff is the
    /// source's next fetch (which `once --force` may skip) and only the Retry-After stays a floor.
    @Test(arguments: ["v2 fetch state", "v3 identity and dedupe", "v4 retention"])
    func backoffBecomesTheScheduleAndRetryAfterStaysAFloor(version: String) throws {
        let folder = try Fixtures.temporaryFolder()
        do {
            let queue = try database(upTo: version, in: folder)
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO source (id, url, error_count, not_before, not_before_reason) VALUES
                            ('a', 'https://a.example/feed', 2, 5000, 'backoff after 2 errors in a row'),
                            ('b', 'https://b.example/feed', 1, 7000, 'Retry-After from the server'),
                            ('c', 'https://c.example/feed', 0, NULL, NULL)
                        """)
            }
        }
        let store = try SQLiteStore(directory: folder.path)
        let states = try store.fetchStates(
            of: ["a", "b", "c"].map { SourceConfig(id: $0, url: URL(string: "https://\($0).example/feed")!) })
        #expect(states["a"]?.nextFetch == Date(timeIntervalSince1970: 5000))
        #expect(states["a"]?.notBefore == nil)
        #expect(states["a"]?.errorCount == 2)
        #expect(states["b"]?.nextFetch == Date(timeIntervalSince1970: 7000))
        #expect(states["b"]?.notBefore == Date(timeIntervalSince1970: 7000))
        #expect(states["c"]?.dueTime == nil)
    }

    /// A read-only command meets a state of an older version: it migrates nothing, and says what will.
    @Test func aReaderOfAnOlderStateSaysWhatUpdatesIt() throws {
        let folder = try Fixtures.temporaryFolder()
        _ = try database(upTo: "v8 first identity", in: folder)
        do {
            _ = try SQLiteStore(readingFrom: folder.path)
            Issue.record("an older state must not be read as the current one")
        } catch {
            #expect(error.description.contains("written by an older estuary"), "\(error)")
            #expect(error.description.contains("restarted with this version"), "\(error)")
            #expect(!error.description.contains("SQLite error"), "\(error)")
        }
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("estuary.sqlite").path)
        #expect(try queue.read { try Schema.migrator.hasCompletedMigrations($0) } == false)
    }

    /// v9 indexes only the first-seen copies for the cross-source lookup: an article stored before
    /// it as a primary and an alternate still takes a third copy as an alternate of its primary.
    @Test func aThirdCopyStillMatchesThePrimaryStoredBeforeV9() throws {
        let folder = try Fixtures.temporaryFolder()
        let seen = Date().timeIntervalSince1970
        do {
            let queue = try database(upTo: "v8 first identity", in: folder)
            try queue.write { db in
                for (source, key, primary) in [("blog", "link://blog.example/x", nil), ("planet", "id:p1", "blog")] {
                    try db.execute(
                        sql: "INSERT INTO source (id, url) VALUES (?, 'https://example.org/feed')", arguments: [source])
                    try db.execute(
                        sql: """
                            INSERT INTO item (source_id, key, link, title, first_seen, sort_date, canonical_link,
                                duplicate_of_source, duplicate_of_key)
                            VALUES (?, ?, 'https://blog.example/x', 'X', ?, ?, 'https://blog.example/x', ?, ?)
                            """,
                        arguments: [source, key, seen, seen, primary, primary.map { _ in "link://blog.example/x" }])
                }
            }
        }
        let store = try SQLiteStore(directory: folder.path)
        let outcome = try store.record(
            source: SourceConfig(id: "news", url: URL(string: "https://news.example/rss")!),
            document: FeedDocument(format: .rss20, items: [FeedItem(id: "n1", link: "https://blog.example/x?utm_source=news")]),
            status: 200, fetchState: FetchState(), dedupe: DedupeContext(scope: nil), at: Date())
        #expect(outcome.duplicates == 1)
        let article = try #require(try store.articles(sourceIDs: ["blog", "planet", "news"], limit: 10).first)
        #expect(article.sourceID == "blog")
        #expect(Set(article.alternates.map(\.sourceID)) == ["planet", "news"])
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("estuary.sqlite").path)
        let partial = try queue.read { db in
            try String.fetchAll(
                db, sql: "SELECT sql FROM sqlite_master WHERE name IN ('item_by_canonical_link', 'item_by_title_hash')")
        }
        #expect(partial.count == 2 && partial.allSatisfy { $0.hasSuffix("WHERE duplicate_of_key IS NULL") }, "\(partial)")
    }

    /// v8 saves an item's first id and link when its feed changes them: items stored before it
    /// take their stored id and link as their first ones.
    @Test func itemsStoredBeforeV8KeepTheirStoredIDAsTheFirstOne() throws {
        let folder = try Fixtures.temporaryFolder()
        do {
            let queue = try database(upTo: "v7 generation", in: folder)
            try queue.write { db in
                try db.execute(sql: "INSERT INTO source (id, url) VALUES ('blog', 'https://blog.example/feed')")
                // Seen now: retention (a year by default) keeps it.
                let seen = Date().timeIntervalSince1970
                try db.execute(
                    sql: """
                        INSERT INTO item (source_id, key, guid, link, title, first_seen, sort_date)
                        VALUES ('blog', 'id://blog.example/1', 'http://blog.example/1/', 'http://blog.example/1/', 'One', ?, ?)
                        """, arguments: [seen, seen])
            }
        }
        let store = try SQLiteStore(directory: folder.path)
        let stored = try #require(try store.articles(sourceIDs: ["blog"], limit: 10).first)
        #expect(stored.firstIdentity == nil)
        let moved = FeedItem(id: "https://blog.example/1", link: "https://blog.example/1", title: "One")
        let outcome = try store.record(
            source: SourceConfig(id: "blog", url: URL(string: "https://blog.example/feed")!),
            document: FeedDocument(format: .rss20, items: [moved]), status: 200, fetchState: FetchState(), at: Date())
        #expect(outcome == StoreOutcome(items: 1, new: 0, updated: 1))
        let article = try #require(try store.articles(sourceIDs: ["blog"], limit: 10).first)
        #expect(article.item.id == "https://blog.example/1")
        #expect(
            article.firstIdentity
                == StoredArticle.Identity(
                    id: "http://blog.example/1/", link: "http://blog.example/1/", key: "id://blog.example/1"))
    }
}

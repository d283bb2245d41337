import EstuaryCore
import Foundation
import GRDB
import GRDBSQLite

/// The state of sources and items in SQLite, under `state_dir`.
///
/// WAL mode with `synchronous = NORMAL`: a crash of Estuary or of the machine
/// never corrupts the database; a power loss can roll back the last commits,
/// whose items the next fetch of the same feeds brings back (docs/architecture.md).
/// Every change of one source is one transaction.
public final class SQLiteStore: ArticleStore {
    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        /// The database is there but this user may not write it (a state made by `sudo estuary
        /// once`, then run by the service's user), or the file system is read-only: no restart
        /// fixes that, the operator must.
        public var isPermanent = false
        public var description: String {
            "state: cannot open \(path): \(reason)"
                + (isPermanent ? " (the state's files must be writable by the user estuary runs as: chown them to it)" : "")
        }
    }

    /// One serialized connection. (GRDB's DatabasePool writes a dummy table at every open to make
    /// sure a WAL file exists; a quiet cycle must leave the database file untouched.)
    private let pool: DatabaseQueue

    /// A write that failed, in a line an operator can act on (no SQL text).
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String

        init(_ error: any Error) {
            guard let error = error as? DatabaseError else {
                description = "\(error)"
                return
            }
            switch error.resultCode {
            case .SQLITE_FULL:
                description =
                    "the disk or the state's size cap (max_state_bytes) is full; nothing of this source was saved and "
                    + "the next run retries it once there is room"
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                description = "the state database is busy (another process holds it); the next run retries"
            default:
                description = "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")"
            }
        }
    }

    /// Runs one write transaction, turning SQLite's errors into ``WriteError``.
    private func write<T>(_ updates: (Database) throws -> T) throws -> T {
        do {
            return try pool.writeWithoutTransaction { db in
                // The commit too: writing the pages to the WAL (and, now and then, a checkpoint) is
                // most of what a transaction costs.
                let start = ContinuousClock.now
                defer { busy.add(ContinuousClock.now - start) }
                var result: T?
                try db.inTransaction {
                    result = try updates(db)
                    return .commit
                }
                checkpointer?.committed(db)
                return result!
            }
        } catch {
            throw WriteError(error)
        }
    }

    /// Time spent inside write transactions since the store was opened (the database's busy time:
    /// writes are serialized, so this is wall-clock time the run spent storing).
    public var timeInTransactions: Duration { busy.total }

    /// Checkpoints in the background while this store writes; nil for a read-only store.
    private let checkpointer: Checkpointer?

    /// Checkpoints of the WAL made in the background so far, and their time (not the writer's).
    public var backgroundCheckpoints: (count: Int, time: Duration) { checkpointer?.done ?? (0, .zero) }

    private let busy = BusyTime()
    public let path: String

    /// Opens (creating when missing) `estuary.sqlite` in `directory` and migrates it.
    /// `maxBytes` caps the database: a transaction that would grow past it fails
    /// (SQLITE_FULL) and rolls back, like a full disk.
    public init(directory: String, maxBytes: Int? = nil) throws(OpenError) {
        let path = (directory as NSString).appendingPathComponent("estuary.sqlite")
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw OpenError(path: directory, reason: "cannot create the state folder: \(error.localizedDescription)")
        }
        // SQLite opens a file it may not write read-only and fails only at the first write, source
        // by source: found here instead, once, as what it is.
        for file in [path, path + "-wal", path + "-shm"] where access(file, F_OK) == 0 && access(file, W_OK) != 0 {
            throw OpenError(path: file, reason: String(cString: strerror(errno)), isPermanent: true)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try Self.prepareWritable(db, path: path, maxBytes: maxBytes)
        }
        do {
            pool = try DatabaseQueue(path: path, configuration: configuration)
            try Schema.migrator.migrate(pool)
            checkpointer = try Checkpointer(databasePath: path)
            try pool.writeWithoutTransaction(Checkpointer.configureWriter)
        } catch {
            let code = (error as? DatabaseError)?.resultCode
            let permanent = [ResultCode.SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH].contains(code)
            throw OpenError(path: path, reason: "\(error)", isPermanent: permanent)
        }
    }

    /// Opens an existing state for reading only (`estuary status` next to a running writer,
    /// possibly as another user): nothing is created, migrated or written. Nil when there is no state yet.
    public init?(readingFrom directory: String) throws(OpenError) {
        let path = (directory as NSString).appendingPathComponent("estuary.sqlite")
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        self.path = path
        checkpointer = nil
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let current: Bool
        do {
            pool = try DatabaseQueue(path: path, configuration: configuration)
            current = try pool.read { try Schema.migrator.hasCompletedMigrations($0) }
        } catch {
            throw OpenError(path: path, reason: "\(error)")
        }
        guard current else {
            // A daemon of the older version may hold it still: `once` would be refused until it stops.
            throw OpenError(
                path: path,
                reason:
                    "the state was written by an older estuary; the next `estuary once`, or `estuary run` restarted with this version, updates it"
            )
        }
    }

    private static func prepareWritable(_ db: Database, path: String, maxBytes: Int?) throws {
        // WAL is a property of the file: set once, a no-op afterwards.
        guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
            throw DatabaseError(message: "could not put \(path) in WAL mode")
        }
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
        try keepWALFiles(db)
        if let maxBytes {
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(max(16, maxBytes / pageSize))")
        }
    }

    /// Leaves the `-wal` and `-shm` files in place when the last connection closes (persistent WAL):
    /// a read-only process (`estuary status` as another user, with read access to the state) can
    /// open a WAL database only if those files exist, since it may not create them. With a journal
    /// size limit, SQLite empties the kept WAL at that close; the limit also cuts a WAL that grew
    /// in a burst back to half of ``Checkpointer/limit`` whenever it starts over.
    static func keepWALFiles(_ db: Database) throws {
        var flag: CInt = 1
        let code = sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, &flag)
        guard code == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
        _ = try Int.fetchOne(db, sql: "PRAGMA journal_size_limit = \(Checkpointer.limit / 2)")
    }

    /// Everything derived from the items, computed before the transaction: the database is one
    /// serialized resource, and its time is the run's.
    public func prepare(_ document: FeedDocument, dedupe: DedupeContext, at time: Date) throws -> PreparedDocument {
        PreparedDocument(try rows(of: document, dedupe: dedupe, at: time))
    }

    private func rows(of document: FeedDocument, dedupe: DedupeContext, at time: Date) throws -> [PreparedItem] {
        let identities = ItemKey.identities(for: document.items, normalize: dedupe.normalizeKeys)
        var seenKeys: Set<String> = []
        var rows: [PreparedItem] = []
        rows.reserveCapacity(document.items.count)
        for (item, identity) in zip(document.items, identities) where seenKeys.insert(identity.key).inserted {
            rows.append(try PreparedItem(item: item, identity: identity, firstSeen: time))
        }
        return rows
    }

    /// A group commit: all of `writes` in one transaction, so the pages they share (the indexes, the
    /// source table) go to the WAL once. Should any of them fail, the transaction is rolled back and
    /// each write runs again in its own, so that only the one that cannot be saved fails.
    public func write(_ writes: [StoreWrite]) -> [Result<StoreOutcome, any Error>] {
        if writes.count > 1, let outcomes = try? write({ db in try writes.map { try apply($0, in: db) } }) {
            return outcomes.map { .success($0) }
        }
        return writes.map { one in Result { try write { db in try apply(one, in: db) } } }
    }

    private func apply(_ write: StoreWrite, in db: Database) throws -> StoreOutcome {
        switch write {
        case .record(let source, let document, let prepared, let status, let fetchState, let dedupe, let time):
            return try record(
                db, source: source, document: document, prepared: prepared, status: status, fetchState: fetchState,
                dedupe: dedupe, at: time)
        case .unchanged(let answers, let time):
            try recordUnchanged(db, answers, at: time)
        case .failure(let source, let stage, let status, let message, let fetchState, let time):
            try recordFailure(
                db, source: source, stage: stage, status: status, message: message, fetchState: fetchState, at: time)
        }
        return StoreOutcome(items: 0, new: 0)
    }

    private func record(
        _ db: Database, source: SourceConfig, document: FeedDocument, prepared: PreparedDocument, status: Int,
        fetchState: FetchState, dedupe: DedupeContext, at time: Date
    ) throws -> StoreOutcome {
        // Prepared by this store's `prepare`; anything else is prepared now.
        let rows = try (prepared.payload as? [PreparedItem]) ?? self.rows(of: document, dedupe: dedupe, at: time)
        let seen = time.timeIntervalSince1970
        do {
            try saveSource(
                db, source: source, result: "ok", status: status, error: nil, state: fetchState, feed: document.metadata,
                at: time)
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO item (source_id, key, guid, link, title, author, published, updated,
                        summary, content, categories, enclosures, first_seen, sort_date, canonical_link, title_key,
                        title_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            // Same key, changed words: updated in place; first_seen never moves. The first id, link
            // and key are saved when the new id or link differ (SQLite reads the old values on the right).
            let update = try db.cachedStatement(
                sql: """
                    UPDATE item SET first_identity = CASE
                            WHEN first_identity IS NULL AND (guid IS NOT ? OR link IS NOT ?) THEN json_array(guid, link, key)
                            ELSE first_identity END,
                        guid = ?, link = ?, title = ?, author = ?, published = ?, updated = ?, summary = ?,
                        content = ?, categories = ?, enclosures = ?, updated_at = ?, canonical_link = ?, title_key = ?,
                        title_hash = ?
                    WHERE source_id = ? AND key = ?
                        AND (title IS NOT ? OR summary IS NOT ? OR content IS NOT ? OR link IS NOT ?)
                    """)
            let buried = try db.cachedStatement(sql: "SELECT 1 FROM tombstone WHERE source_id = ? AND key = ?")
            // Most sources never had anything removed: one look instead of one per item.
            let hasTombstones =
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM tombstone WHERE source_id = ?)"),
                    arguments: [source.id]) ?? false
            let rekeyed = try adoptOtherForms(of: rows, source: source.id, in: db)
            var outcome = StoreOutcome(items: document.items.count, new: 0)
            var new: [Dedupe.NewItem] = []
            for row in rows {
                let item = row.item
                // Removed by retention once: never new again, for as long as the feed still carries it
                // (also under the key's other form when that one names this item's link).
                if hasTombstones,
                    let key = try [row.key, row.identity.otherFormHasLink ? row.identity.otherForm : nil].compactMap({ $0 })
                        .first(where: { try Bool.fetchOne(buried, arguments: [source.id, $0]) == true })
                {
                    try db.cachedStatement(sql: "UPDATE tombstone SET removed_at = ? WHERE source_id = ? AND key = ?")
                        .execute(arguments: [seen, source.id, key])
                    continue
                }
                try insert.execute(arguments: [
                    source.id, row.key, item.id, item.link, item.title, item.author,
                    item.published?.timeIntervalSince1970, item.updated?.timeIntervalSince1970,
                    item.summary, item.content, row.categories, row.enclosures, seen, row.sortDate, row.canonical,
                    row.titleKey, row.titleHash,
                ])
                if db.changesCount > 0 {
                    outcome.new += 1
                    new.append(
                        Dedupe.NewItem(
                            key: row.key, canonical: row.canonical, titleKey: row.titleKey,
                            date: item.published ?? item.updated))
                    continue
                }
                try update.execute(arguments: [
                    item.id, item.link, item.id, item.link, item.title, item.author, item.published?.timeIntervalSince1970,
                    item.updated?.timeIntervalSince1970, item.summary, item.content, row.categories, row.enclosures, seen,
                    row.canonical, row.titleKey, row.titleHash, source.id, row.key, item.title, item.summary, item.content,
                    item.link,
                ])
                outcome.updated += db.changesCount
            }
            outcome.duplicates = try Dedupe.link(db, source: source.id, items: new, firstSeen: seen, context: dedupe)
            let removed = try Retention.apply(db, source: source, now: seen)
            if outcome.new > 0 || outcome.updated > 0 || removed > 0 || rekeyed {
                try db.cachedStatement(sql: "UPDATE meta SET value = value + 1 WHERE key = 'generation'").execute()
            }
            return outcome
        }
    }

    /// A feed that starts or stops reusing an id changes its items' keys (``ItemKey/Identity``): the
    /// copies stored under the other form take the new keys, alternates pointing to them follow,
    /// and the items are then found as stored. One lookup for the whole document.
    /// Returns whether it re-keyed any (outputs show keys in some ids).
    @discardableResult
    private func adoptOtherForms(of rows: [PreparedItem], source: String, in db: Database) throws -> Bool {
        let others = rows.compactMap(\.identity.otherForm)
        // A source's first document (an ingest of a new source) has nothing stored to look up.
        guard !others.isEmpty,
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM item WHERE source_id = ?)"), arguments: [source]) == true
        else { return false }
        var stored: [String: String?] = [:]
        let found = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT key, link FROM item WHERE source_id = ? AND key IN (SELECT value FROM json_each(?))"),
            arguments: [source, JSONLine.array(others)])
        while let row = try found.next() { stored[row[0]] = row[1] as String? }
        guard !stored.isEmpty else { return false }
        var rekeyed = false
        for row in rows {
            guard let other = row.identity.otherForm, let link = stored[other] else { continue }
            // A stored `id:G` is this item only if it has this item's link (another item of the
            // group may have been the one alone); a stored `id:G <link>` names its link already.
            if row.identity.otherFormHasLink || link.map(row.identity.linkForm) == row.identity.link {
                // The first id, link and key are saved first: outputs publish ids made from them.
                try db.cachedStatement(
                    sql: """
                        UPDATE OR IGNORE item SET first_identity = coalesce(first_identity, json_array(guid, link, key)), key = ?
                        WHERE source_id = ? AND key = ?
                        """
                ).execute(arguments: [row.identity.key, source, other])
                guard db.changesCount > 0 else { continue }
                rekeyed = true
                try db.cachedStatement(
                    sql: "UPDATE item SET duplicate_of_key = ? WHERE duplicate_of_source = ? AND duplicate_of_key = ?"
                ).execute(arguments: [row.identity.key, source, other])
            }
        }
        return rekeyed
    }

    private func recordUnchanged(_ db: Database, _ answers: [UnchangedAnswer], at time: Date) throws {
        // Each answer moves its source's next fetch, so there is always something to write.
        for answer in answers {
            try saveSource(
                db, source: answer.source, result: "ok", status: answer.status, error: nil, state: answer.fetchState, at: time)
        }
    }

    private func recordFailure(
        _ db: Database, source: SourceConfig, stage: String, status: Int?, message: String, fetchState: FetchState,
        at time: Date
    ) throws {
        try saveSource(db, source: source, result: stage, status: status, error: message, state: fetchState, at: time)
    }

    public func fetchStates(of sources: [SourceConfig]) throws -> [String: FetchState] {
        try pool.read { db in
            var states: [String: FetchState] = [:]
            states.reserveCapacity(sources.count)
            // A few sources (the daemon after a batch): by id. Many: one scan is cheaper. Either way
            // each row is read straight from the statement (a cursor): copying every row first,
            // as `fetchAll` does, tripled the time for 10,000 sources.
            if sources.count <= 2000 {
                for chunk in stride(from: 0, to: sources.count, by: 500) {
                    let ids = sources[chunk..<min(chunk + 500, sources.count)].map(\.id)
                    let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
                    let rows = try Row.fetchCursor(
                        db, sql: "SELECT id, \(Self.stateColumns) FROM source WHERE id IN (\(marks))",
                        arguments: StatementArguments(ids))
                    while let row = try rows.next() {
                        states[row[0]] = Self.fetchState(row, from: 1)
                    }
                }
                return states
            }
            let wanted = Set(sources.map(\.id))
            let rows = try Row.fetchCursor(db, sql: "SELECT id, \(Self.stateColumns) FROM source")
            while let row = try rows.next() {
                let id: String = row[0]
                if wanted.contains(id) { states[id] = Self.fetchState(row, from: 1) }
            }
            return states
        }
    }

    /// A fetch state's columns, read by position: GRDB's lookup by name lowercases each name it
    /// is asked for, which was a tenth of a cycle of 10,000 sources answering 304.
    private static let stateColumns = """
        etag, last_modified, body_hash, error_count, not_before, not_before_reason, gone_url, moved_to, moved_from,
        redirect_target, redirect_count, next_fetch, hint_interval, skip_hours, skip_days
        """

    /// The fetch state in `row`, whose columns from `first` on are ``stateColumns``.
    private static func fetchState(_ row: Row, from first: Int) -> FetchState {
        var state = FetchState()
        state.validators = Validators(etag: row[first], lastModified: row[first + 1])
        state.bodyHash = row[first + 2]
        state.errorCount = row[first + 3]
        state.notBefore = (row[first + 4] as Double?).map(Date.init(timeIntervalSince1970:))
        state.notBeforeReason = row[first + 5]
        state.goneURL = row[first + 6]
        state.movedTo = row[first + 7]
        state.movedFrom = row[first + 8]
        state.redirectTarget = row[first + 9]
        state.redirectCount = row[first + 10]
        state.nextFetch = (row[first + 11] as Double?).map(Date.init(timeIntervalSince1970:))
        state.hints = StoredHints(
            minimumInterval: row[first + 12], skipHours: numbers(row[first + 13]), skipDays: numbers(row[first + 14]))
        return state
    }

    /// "1,5,23" as a set, for the skip hours and days.
    private static func numbers(_ text: String?) -> Set<Int> {
        Set((text ?? "").split(separator: ",").compactMap { Int($0) })
    }

    private static func text(_ numbers: Set<Int>) -> String? {
        numbers.isEmpty ? nil : numbers.sorted().map(String.init).joined(separator: ",")
    }

    /// The source's row: the last fetch and its new fetch state, in one statement.
    /// The source's row: the last fetch, its new fetch state and, after a parsed feed, what the
    /// feed says about itself, in one statement.
    private func saveSource(
        _ db: Database, source: SourceConfig, result: String, status: Int?, error: String?, state: FetchState,
        feed: FeedMetadata? = nil, at time: Date
    ) throws {
        var arguments: StatementArguments = [
            source.id, source.url.absoluteString, result, status, error, time.timeIntervalSince1970,
            state.validators.etag, state.validators.lastModified, state.bodyHash, state.errorCount,
            state.notBefore?.timeIntervalSince1970, state.notBeforeReason, state.goneURL, state.movedTo, state.movedFrom,
            state.redirectTarget, state.redirectCount, state.nextFetch?.timeIntervalSince1970, state.hints.minimumInterval,
            Self.text(state.hints.skipHours), Self.text(state.hints.skipDays),
        ]
        if let feed {
            arguments += [feed.title, feed.link, feed.id, feed.updated?.timeIntervalSince1970]
        }
        try db.cachedStatement(sql: feed == nil ? Self.saveSourceSQL : Self.saveSourceAndFeedSQL).execute(arguments: arguments)
    }

    /// ``saveSource``'s statements: the values in the order of the columns, every one replaced on conflict.
    private static let saveSourceSQL = upsertSource(columns: sourceColumns)
    private static let saveSourceAndFeedSQL = upsertSource(
        columns: sourceColumns + ["feed_title", "feed_link", "feed_id", "feed_updated"])

    private static let sourceColumns =
        ["id", "url", "last_result", "last_status", "last_error", "last_fetch"]
        + stateColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }

    private static func upsertSource(columns: [String]) -> String {
        """
        INSERT INTO source (\(columns.joined(separator: ", ")))
        VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))
        ON CONFLICT(id) DO UPDATE SET \(columns.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
        """
    }

    public func articles(sourceIDs: [String], limit: Int) throws -> [StoredArticle] {
        guard !sourceIDs.isEmpty, limit > 0 else { return [] }
        return try pool.read { db in
            // The sources as one JSON argument: an output of every source of a large config would
            // otherwise bind tens of thousands of parameters. A few sources, or a small share of
            // them: read their items by source and sort them. Many, and at least a quarter of all:
            // walk the date index from the newest and stop at `limit` (`+source_id` keeps SQLite
            // from choosing the first plan, which would read and sort every item of every source).
            let byDate =
                try sourceIDs.count > Self.manySources
                && sourceIDs.count * 4 >= Int.fetchOne(db, sql: "SELECT count(*) FROM source") ?? 0
            let selection = JSONLine.array(sourceIDs)
            let order = "ORDER BY sort_date DESC, first_seen DESC, source_id, key LIMIT ?"
            let primaries = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM item WHERE \(byDate ? "+" : "")source_id IN (SELECT value FROM json_each(?))
                            AND duplicate_of_key IS NULL
                        \(order)
                        """),
                arguments: [selection, limit])
            // An article whose first-seen copy is in a source outside this output (or no longer in
            // the config) is shown through its earliest copy inside it. Only alternates qualify: for
            // many sources they are read through their own partial index (all of them, usually a
            // small share of the items), for a few through the sources' items.
            let standIns = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM (
                            SELECT *, row_number() OVER (
                                PARTITION BY duplicate_of_source, duplicate_of_key ORDER BY first_seen, source_id, key
                            ) AS earliest
                            FROM item \(byDate ? "INDEXED BY item_by_primary" : "")
                            WHERE duplicate_of_key IS NOT NULL AND source_id IN (SELECT value FROM json_each(?1))
                                AND duplicate_of_source NOT IN (SELECT value FROM json_each(?1)))
                        WHERE earliest = 1
                        \(order.replacingOccurrences(of: "?", with: "?2"))
                        """),
                arguments: [selection, limit])
            // Each article with the copy its alternates point to: its own, or for a stand-in its primary's.
            var shown: [(article: StoredArticle, primary: (source: String, key: String))] = []
            for row in primaries { shown.append((try Self.article(row), (row["source_id"], row["key"]))) }
            for row in standIns { shown.append((try Self.article(row), (row["duplicate_of_source"], row["duplicate_of_key"]))) }
            if !standIns.isEmpty {
                shown.sort { a, b in
                    let (x, y) = (a.article, b.article)
                    if x.sortDate != y.sortDate { return x.sortDate > y.sortDate }
                    if x.firstSeen != y.firstSeen { return x.firstSeen > y.firstSeen }
                    return (x.sourceID, x.key) < (y.sourceID, y.key)
                }
                shown = Array(shown.prefix(limit))
            }
            // One copy per article: the alternates (the same article from another source of this
            // output) are listed under it, looked up for the articles shown only.
            let selected = Set(sourceIDs)
            let alternates = try db.cachedStatement(
                sql: """
                    SELECT source_id, key, link FROM item WHERE duplicate_of_source = ? AND duplicate_of_key = ?
                    ORDER BY first_seen, source_id
                    """)
            return try shown.map { article, primary in
                var article = article
                article.alternates = try Row.fetchAll(alternates, arguments: [primary.source, primary.key]).compactMap { row in
                    let (source, key): (String, String) = (row[0], row[1])
                    guard selected.contains(source), source != article.sourceID || key != article.key else { return nil }
                    return StoredArticle.Alternate(sourceID: source, key: key, link: row[2])
                }
                return article
            }
        }
    }

    /// Outputs of more sources than this (and of a quarter of all at least) read the newest items
    /// through the date index.
    public static let manySources = 256

    private static func article(_ row: Row) throws -> StoredArticle {
        let item = FeedItem(
            id: row["guid"], link: row["link"], title: row["title"], author: row["author"],
            published: (row["published"] as Double?).map(Date.init(timeIntervalSince1970:)),
            updated: (row["updated"] as Double?).map(Date.init(timeIntervalSince1970:)),
            summary: row["summary"], content: row["content"],
            enclosures: try JSONColumn.decode([Enclosure].self, row["enclosures"]),
            categories: try JSONColumn.decode([String].self, row["categories"]))
        let firstIdentity = try (row["first_identity"] as String?).map { text in
            let saved = try JSONColumn.decode([String?].self, text)
            return StoredArticle.Identity(
                id: saved.first ?? nil, link: saved.count > 1 ? saved[1] : nil, key: saved.count > 2 ? saved[2] : nil)
        }
        return StoredArticle(
            sourceID: row["source_id"], key: row["key"], item: item,
            firstSeen: Date(timeIntervalSince1970: row["first_seen"]), firstIdentity: firstIdentity)
    }

    public func outputVersion() throws -> String {
        try pool.read { db in
            let generation = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? 0
            // Read from the state, not from a run's reports: a run killed before its outputs still counts.
            let unwell =
                try String.fetchOne(
                    db,
                    sql: """
                        SELECT group_concat(id || (CASE WHEN gone_url IS NULL THEN '' ELSE ' gone' END), ',') FROM (
                            SELECT id, gone_url FROM source WHERE error_count > 0 OR gone_url IS NOT NULL ORDER BY id)
                        """) ?? ""
            return "\(generation)-\(ContentHash.hex(of: unwell))"
        }
    }

    public func statuses(of sources: [SourceConfig]) throws -> [SourceStatus] {
        try pool.read { db in
            // Columns read by position (see ``stateColumns``), each row straight from the statement:
            // this runs over every source at each output.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, url, feed_title, feed_link, feed_id, feed_updated, last_result, last_status, last_error,
                        last_fetch, (SELECT COUNT(*) FROM item WHERE item.source_id = source.id)
                    FROM source
                    """)
            var byID: [String: SourceStatus] = [:]
            while let row = try rows.next() {
                let id: String = row[0]
                byID[id] = SourceStatus(
                    id: id, url: row[1], feedTitle: row[2], feedLink: row[3], feedID: row[4],
                    feedUpdated: (row[5] as Double?).map(Date.init(timeIntervalSince1970:)), lastResult: row[6],
                    lastStatus: row[7], lastError: row[8], lastFetch: (row[9] as Double?).map(Date.init(timeIntervalSince1970:)),
                    itemCount: row[10])
            }
            return sources.map { byID[$0.id] ?? SourceStatus(id: $0.id, url: $0.url.absoluteString) }
        }
    }
}

/// Arrays stored as JSON text columns.
enum JSONColumn {
    static func encode(_ strings: [String]) throws -> String {
        if strings.isEmpty { return "[]" }
        return String(decoding: try JSONSerialization.data(withJSONObject: strings), as: UTF8.self)
    }

    static func encode(_ enclosures: [Enclosure]) throws -> String {
        // (JSONEncoder only for the rare item with attachments.)
        if enclosures.isEmpty { return "[]" }
        return String(decoding: try JSONEncoder().encode(enclosures), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
        try JSONDecoder().decode(type, from: Data((text ?? "[]").utf8))
    }
}

/// A thread-safe running total.
final class BusyTime: @unchecked Sendable {
    private let lock = NSLock()
    private var sum: Duration = .zero
    private var times = 0

    func add(_ duration: Duration) {
        lock.withLock {
            sum += duration
            times += 1
        }
    }

    var total: Duration { lock.withLock { sum } }
    /// How many durations were added, and their sum.
    var tally: (count: Int, time: Duration) { lock.withLock { (times, sum) } }
}

/// An item with everything the database needs computed ahead of the transaction.
private struct PreparedItem: Sendable {
    let item: FeedItem
    let identity: ItemKey.Identity
    var key: String { identity.key }
    let canonical: String?
    let titleKey: String?
    let titleHash: Int64?
    let categories: String
    let enclosures: String
    let sortDate: Double

    init(item: FeedItem, identity: ItemKey.Identity, firstSeen: Date) throws {
        self.item = item
        self.identity = identity
        canonical = item.link.flatMap(CanonicalLink.make)
        titleKey = TitleKey.make(item.title)
        titleHash = titleKey.map(Dedupe.titleHash)
        categories = try JSONColumn.encode(item.categories)
        enclosures = try JSONColumn.encode(item.enclosures)
        sortDate =
            StoredArticle.sortDate(published: item.published, updated: item.updated, firstSeen: firstSeen)
            .timeIntervalSince1970
    }
}

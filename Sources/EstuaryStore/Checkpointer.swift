import Foundation
import GRDB

/// Copies the WAL back into the database on its own connection and thread, so the one writer
/// never does it inside a commit.
///
/// SQLite's automatic checkpoint runs in the commit that crosses 1000 pages: that commit then
/// copies 4 MB into the database file and waits for two fsyncs, while every other source waits
/// for the writer. Here, a commit only asks this thread for a passive checkpoint, which runs
/// shortly after (at most one every ``delay``) and copies what is committed without taking the
/// write lock; the WAL starts over from its beginning at the next commit after a complete one.
/// Should the checkpoints fall behind by ``limit``, the writer checkpoints itself, so the WAL
/// stays bounded.
final class Checkpointer: @unchecked Sendable {
    /// How long commits accumulate before a checkpoint copies them.
    static let delay = DispatchTimeInterval.milliseconds(100)
    /// WAL size at which the writer checkpoints itself instead of waiting for this thread. The WAL
    /// is cut back to half of it whenever it starts over, so a WAL this large is one that is behind.
    static let limit = 64 << 20

    private let walPath: String
    private let queue = DispatchQueue(label: "estuary.state.checkpoint")
    /// What the queued checkpoints use. They hold it weakly and never hold the checkpointer: its
    /// last reference is never dropped on the queue it waits for in `deinit`, and the connection
    /// closes with it, not when a checkpoint still waiting for its delay would have run.
    private let shared: Shared

    private final class Shared: @unchecked Sendable {
        let connection: DatabaseQueue
        let lock = NSLock()
        var pending = false
        var closed = false
        /// The checkpoints made and their time.
        let time = BusyTime()

        init(_ connection: DatabaseQueue) { self.connection = connection }

        func checkpoint() {
            let go = lock.withLock {
                // Commits from now on need the next checkpoint.
                pending = false
                return !closed
            }
            guard go else { return }
            let began = ContinuousClock.now
            // A failure (a full disk) loses nothing: the frames stay in the WAL for the next try.
            _ = try? connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            time.add(ContinuousClock.now - began)
        }
    }

    init(databasePath: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Whichever connection closes last leaves the WAL files for read-only readers.
        configuration.prepareDatabase(SQLiteStore.keepWALFiles)
        shared = Shared(try DatabaseQueue(path: databasePath, configuration: configuration))
        walPath = databasePath + "-wal"
    }

    /// Settings for the writer's connection: no checkpoints of its own (its WAL's size limit is set
    /// with every connection's, in ``SQLiteStore/keepWALFiles(_:)``).
    static func configureWriter(_ db: Database) throws {
        _ = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint = 0")
    }

    deinit {
        // Nothing half done when the store closes; a checkpoint still waiting for its delay is
        // dropped (the last connection to close checkpoints anyway).
        shared.lock.withLock { shared.closed = true }
        queue.sync {}
        // Closed here, not by whichever thread drops the last reference: a checkpoint that woke
        // just now finds it closed and skips.
        try? shared.connection.close()
    }

    /// Checkpoints run on this thread so far, and the time they took.
    var done: (count: Int, time: Duration) { shared.time.tally }

    /// Called by the writer after each commit, outside the transaction.
    func committed(_ writer: Database) {
        var info = stat()
        if stat(walPath, &info) == 0, Int(info.st_size) > Self.limit {
            // Falling behind: the writer catches up itself (a failure leaves the frames in the WAL).
            _ = try? writer.checkpoint(.passive)
            return
        }
        let idle = shared.lock.withLock {
            defer { shared.pending = true }
            return !shared.pending
        }
        guard idle else { return }
        queue.asyncAfter(deadline: .now() + Self.delay) { [weak shared] in shared?.checkpoint() }
    }
}

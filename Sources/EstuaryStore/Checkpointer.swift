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

    private let connection: DatabaseQueue
    private let walPath: String
    private let queue = DispatchQueue(label: "estuary.state.checkpoint")
    private let lock = NSLock()
    private var pending = false
    private var total: Duration = .zero
    private var count = 0

    init(databasePath: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: databasePath, configuration: configuration)
        walPath = databasePath + "-wal"
    }

    /// Settings for the writer's connection: no checkpoints of its own, and a WAL that does not
    /// stay larger than half of ``limit`` after a burst.
    static func configureWriter(_ db: Database) throws {
        _ = try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint = 0")
        _ = try Int.fetchOne(db, sql: "PRAGMA journal_size_limit = \(limit / 2)")
    }

    deinit {
        // Nothing half done when the store closes (a checkpoint still waiting for its delay is dropped:
        // the last connection to close checkpoints anyway).
        queue.sync {}
    }

    /// Checkpoints run on this thread so far, and the time they took.
    var done: (count: Int, time: Duration) { lock.withLock { (count, total) } }

    /// Called by the writer after each commit, outside the transaction.
    func committed(_ writer: Database) {
        var info = stat()
        if stat(walPath, &info) == 0, Int(info.st_size) > Self.limit {
            // Falling behind: the writer catches up itself (a failure leaves the frames in the WAL).
            _ = try? writer.checkpoint(.passive)
            return
        }
        let idle = lock.withLock {
            defer { pending = true }
            return !pending
        }
        guard idle else { return }
        queue.asyncAfter(deadline: .now() + Self.delay) { [weak self] in
            guard let self else { return }
            // Commits from now on need the next checkpoint.
            lock.withLock { pending = false }
            let began = ContinuousClock.now
            // A failure (a full disk) loses nothing: the frames stay in the WAL for the next try.
            _ = try? connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            let took = ContinuousClock.now - began
            lock.withLock {
                total += took
                count += 1
            }
        }
    }
}

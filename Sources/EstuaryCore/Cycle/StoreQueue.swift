/// The state's one writer, shared by the tasks of a cycle, with group commit.
///
/// A task with a write either finds the writer idle and becomes it, or waits, suspended (a task
/// blocked inside SQLite's lock would hold one of the pool's few threads, one per core, and
/// parsing would stop on that core). The writer takes its own write and every write waiting at
/// that moment into one call to ``ArticleStore/write(_:)``, one transaction: the pages they share
/// go to the WAL once. Then it hands the writer's role to the first task that queued since, in
/// arrival order, and goes on with its own result.
actor StoreQueue {
    /// Writes in one transaction at most: a bound on how long one commit keeps the others waiting.
    static let groupLimit = 64

    private var busy = false
    private var waiting: [Waiter] = []

    private struct Waiter {
        let write: StoreWrite
        /// Resumed with the write's result, or with nil to make this task the writer.
        let turn: CheckedContinuation<Result<StoreOutcome, any Error>?, Never>
    }

    /// Runs `write` on `store`, alone or with others; `measure` times the store's work.
    nonisolated func perform(
        _ write: StoreWrite, on store: any ArticleStore,
        measure: ((() -> [Result<StoreOutcome, any Error>]) -> [Result<StoreOutcome, any Error>])
    ) async -> Result<StoreOutcome, any Error> {
        if let result = await enter(write) { return result }
        let others = await takeWaiting()
        let results = measure { store.write([write] + others.map(\.write)) }
        for (other, result) in zip(others, results.dropFirst()) { other.turn.resume(returning: result) }
        await leave()
        return results[0]
    }

    /// Nil when the caller is now the writer; else, once its turn came, its write's result.
    private func enter(_ write: StoreWrite) async -> Result<StoreOutcome, any Error>? {
        guard busy else {
            busy = true
            return nil
        }
        return await withCheckedContinuation { waiting.append(Waiter(write: write, turn: $0)) }
    }

    private func takeWaiting() -> [Waiter] {
        let taken = Array(waiting.prefix(Self.groupLimit - 1))
        waiting.removeFirst(taken.count)
        return taken
    }

    /// Hands the writer's role to the first task that queued, or leaves the writer idle.
    private func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().turn.resume(returning: nil)
        }
    }
}

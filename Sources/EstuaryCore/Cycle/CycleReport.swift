import Foundation

/// What one cycle did, source by source and output by output.
public struct CycleReport: Sendable {
    public var sources: [SourceReport]
    public var outputs: [OutputReport]
    /// Where the time went.
    public var timings = StageTimings.Snapshot()

    public init(sources: [SourceReport], outputs: [OutputReport]) {
        self.sources = sources
        self.outputs = outputs
    }

    /// The process exit status `estuary once` uses (documented in docs/operations.md).
    /// Why nothing was fetched: the state could not be read.
    public var stateError: String?

    public var exitStatus: Int32 {
        if stateError != nil || outputs.contains(where: { $0.error != nil }) { return ExitStatus.outputFailed }
        // The state could not be written (a full disk): the machine's problem, not a feed's.
        if sources.contains(where: \.failedToStore) { return ExitStatus.outputFailed }
        if sources.contains(where: \.failed) { return ExitStatus.someSourcesFailed }
        return ExitStatus.success
    }
}

/// Exit statuses, from sysexits(3) where one fits.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Some sources failed; outputs were written from everything else.
    public static let someSourcesFailed: Int32 = 1
    /// EX_DATAERR: an input file (`import-opml`'s OPML) cannot be read or used.
    public static let dataError: Int32 = 65
    /// EX_IOERR: the state or an output could not be written.
    public static let outputFailed: Int32 = 74
    /// EX_TEMPFAIL: another estuary process holds the state; try again later.
    public static let busy: Int32 = 75
    /// EX_CONFIG: the configuration is invalid.
    public static let configError: Int32 = 78
}

/// What happened to one source.
public struct SourceReport: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable {
        case stored(status: Int, items: Int, new: Int)
        /// 304, or a body identical to the last one.
        case unchanged(status: Int, reason: String)
        /// Not fetched: gone, or not due yet.
        case skipped(reason: String)
        /// `stage`: dns, connect, tls, http, body, read, guard, parse or store.
        /// Boxed: a fetch state is large, and a cycle keeps a report for every source.
        indirect case failed(stage: String, status: Int?, message: String, next: FetchState)
    }

    public var sourceID: String
    public var outcome: Outcome
    public var elapsed: Duration
    /// Something the operator should act on, printed on its own line before the outcome.
    public var note: String?
    /// The store's detail for stored documents: updates and cross-source duplicates.
    public var stored: StoreOutcome?

    public init(sourceID: String, outcome: Outcome, elapsed: Duration, note: String? = nil) {
        self.sourceID = sourceID
        self.outcome = outcome
        self.elapsed = elapsed
        self.note = note
    }

    public var failed: Bool {
        if case .failed = outcome { return true }
        return false
    }

    /// Whether this report turns a healthy source failing or a failing one healthy (given its
    /// fetch state before): outputs that list the sources' last results are then out of date.
    public func changesHealth(from before: FetchState?) -> Bool {
        guard fetched else { return false }
        return failed != ((before?.errorCount ?? 0) > 0)
    }

    /// Whether the outputs show something new after this report: new or updated items, or the
    /// source's health turned (see ``changesHealth(from:)``).
    public func changesOutputs(from before: FetchState?) -> Bool { changedItems || changesHealth(from: before) }

    /// Failed because the state could not be written.
    public var failedToStore: Bool {
        if case .failed(let stage, _, _, _) = outcome { return stage == "store" }
        return false
    }

    /// True when the source was fetched (whatever the result), false when it was skipped.
    public var fetched: Bool {
        if case .skipped = outcome { return false }
        return true
    }

    /// True when items were added or updated: the outputs would change.
    public var changedItems: Bool {
        guard case .stored(_, _, let new) = outcome else { return false }
        return new > 0 || (stored?.updated ?? 0) > 0
    }

    /// One line: `source "lwn": 200, 25 items (3 new), 84 ms`,
    /// `source "lwn": fetch failed (http): HTTP 503 Service Unavailable; next attempt at …, 12 ms`.
    public var description: String {
        let prefix = "source \"\(sourceID)\": "
        guard let note else { return prefix + detail }
        return prefix + note + "\n" + prefix + detail
    }

    /// The same without the source's name, for a log line that names it as `source=<id>`.
    public var logLine: String {
        guard let note else { return detail }
        return note + "; " + detail
    }

    private var detail: String {
        let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        switch outcome {
        case .stored(let status, let items, let new):
            var detail = "\(new) new"
            if let stored, stored.updated > 0 { detail += ", \(stored.updated) updated" }
            if let stored, stored.duplicates > 0 {
                detail += ", \(stored.duplicates) already seen in another source"
            }
            return "\(status), \(items) item\(items == 1 ? "" : "s") (\(detail)), \(ms) ms"
        case .unchanged(let status, let reason):
            return "\(status), \(reason), \(ms) ms"
        case .skipped(let reason):
            return "skipped, \(reason)"
        case .failed(let stage, _, let message, let next):
            let verb = ["parse", "store"].contains(stage) ? "\(stage) failed" : "fetch failed (\(stage))"
            var line = "\(verb): \(message)"
            if let gone = next.goneURL, !gone.isEmpty {
                line += "; marked gone: remove it from the config, it will not be fetched again while the url stays"
            } else if let due = next.dueTime {
                line += "; next attempt at \(CivilTime.rfc3339(due))"
                if let reason = next.notBeforeReason { line += " (\(reason))" }
            }
            return line + ", \(ms) ms"
        }
    }
}

/// What happened to one output.
public struct OutputReport: Sendable {
    public var name: String
    /// The files written, absolute paths.
    public var files: [String]
    /// Why nothing was written, nil on success.
    public var error: String?
    /// True when nothing changed since the files were last written, so they were left alone.
    public var unchanged = false
}

/// Time spent per stage, summed over the tasks of one run (thread-safe).
public final class StageTimings: @unchecked Sendable {
    public struct Snapshot: Sendable, Equatable, CustomStringConvertible {
        public var total: Duration = .zero
        public var parse: Duration = .zero
        public var store: Duration = .zero
        public var output: Duration = .zero

        /// `cycle 3.21 s: parse 0.80 s, store calls 0.62 s, outputs 0.05 s`. Times add up over
        /// tasks running at once, and store calls include waiting for the database.
        public var description: String {
            let s = Self.seconds
            return "cycle \(s(total)): parse \(s(parse)), store calls \(s(store)), outputs \(s(output))"
        }

        /// `0.80 s`: how the cycle's lines write a time.
        public static func seconds(_ d: Duration) -> String {
            String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
    }

    private let lock = NSLock()
    private var current = Snapshot()

    public init() {}

    func reset() { lock.withLock { current = Snapshot() } }

    func snapshot(total: Duration) -> Snapshot {
        lock.withLock {
            var copy = current
            copy.total = total
            return copy
        }
    }

    func measure<T>(_ stage: WritableKeyPath<Snapshot, Duration>, _ work: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let spent = ContinuousClock.now - start
            lock.withLock { current[keyPath: stage] += spent }
        }
        return try work()
    }
}

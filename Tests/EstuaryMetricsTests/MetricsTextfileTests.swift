import EstuaryCore
import EstuaryMetrics
import Foundation
import Logging
import Testing

@Suite struct MetricsTextfileTests {
    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "estuary-textfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    @Test func writesTheRenderingReadableByOthersAndLeavesNoTemporaryFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let metrics = Metrics()
        metrics.setSources(total: 7, failing: 1, gone: 0)
        let textfile = MetricsTextfile(path: folder + "/estuary.prom")
        #expect(textfile.write(metrics, logger: Logger(label: "test")))
        #expect(try String(contentsOfFile: textfile.path, encoding: .utf8) == metrics.render())
        metrics.setSources(total: 8, failing: 0, gone: 0)
        #expect(textfile.write(metrics, logger: Logger(label: "test")))
        #expect(samples(try String(contentsOfFile: textfile.path, encoding: .utf8))["estuary_sources"] == 8)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["estuary.prom"])
        // What a write killed halfway left behind goes with the next write; other files stay.
        for leftover in [".estuary.prom.a1B2c3", "other.prom", ".other.prom.a1B2c3"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/" + leftover))
        }
        #expect(textfile.write(metrics, logger: Logger(label: "test")))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [
                ".other.prom.a1B2c3", "estuary.prom", "other.prom",
            ])
        let permissions = try FileManager.default.attributesOfItem(atPath: textfile.path)[.posixPermissions] as? Int
        #expect(permissions == 0o644)
    }

    /// `estuary once` is a process per run: its textfile's counters continue from the file they
    /// replace, so `rate()` and `increase()` see them grow; gauges are the last run's. Before, every
    /// run wrote its own counts and the counters stayed flat.
    @Test func onceRunsAddUpTheirCountersInTheTextfile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let textfile = MetricsTextfile(path: folder + "/estuary.prom")
        for (run, total) in [(1, 5), (2, 6), (3, 6)] {
            let metrics = Metrics()
            metrics.observe(report(.unchanged(status: 304, reason: "304"), ms: 40))
            metrics.observe(report(.stored(status: 200, items: 3, new: 2), ms: 700))
            metrics.setSources(total: total, failing: 0, gone: 0)
            #expect(textfile.write(metrics, continuingCounts: true, logger: Logger(label: "test")))
            let values = samples(try String(contentsOfFile: textfile.path, encoding: .utf8))
            #expect(values["estuary_fetches_total{result=\"unchanged\"}"] == Double(run))
            #expect(values["estuary_items_new_total"] == Double(2 * run))
            #expect(values["estuary_fetch_duration_seconds_count"] == Double(2 * run))
            #expect(values["estuary_fetch_duration_seconds_bucket{le=\"0.05\"}"] == Double(run))
            #expect(abs((values["estuary_fetch_duration_seconds_sum"] ?? 0) - 0.74 * Double(run)) < 1e-9)
            #expect(values["estuary_sources"] == Double(total))
            #expect(values["estuary_build_info{version=\"\(Estuary.version)\"}"] == 1)
        }
        // A histogram with other buckets (another version's bounds) starts again, whole: adding
        // the buckets both have would leave the counts out of order. The counters continue.
        let other = try String(contentsOfFile: textfile.path, encoding: .utf8).replacingOccurrences(
            of: "le=\"0.05\"", with: "le=\"0.07\"")
        try other.write(toFile: textfile.path, atomically: true, encoding: .utf8)
        let next = Metrics()
        next.observe(report(.unchanged(status: 304, reason: "304"), ms: 40))
        #expect(textfile.write(next, continuingCounts: true, logger: Logger(label: "test")))
        let continued = samples(try String(contentsOfFile: textfile.path, encoding: .utf8))
        #expect(continued["estuary_fetch_duration_seconds_count"] == 1)
        #expect(continued["estuary_fetch_duration_seconds_bucket{le=\"0.1\"}"] == 1)
        #expect(continued["estuary_fetches_total{result=\"unchanged\"}"] == 4)
        // A file that is no rendering (or none at all) starts the counts again: a reset.
        try "garbage\n".write(toFile: textfile.path, atomically: true, encoding: .utf8)
        let metrics = Metrics()
        metrics.observe(report(.unchanged(status: 304, reason: "304"), ms: 40))
        #expect(textfile.write(metrics, continuingCounts: true, logger: Logger(label: "test")))
        #expect(
            samples(try String(contentsOfFile: textfile.path, encoding: .utf8))["estuary_fetches_total{result=\"unchanged\"}"]
                == 1)
    }

    @Test func aReaderNeverSeesATornFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let textfile = MetricsTextfile(path: folder + "/estuary.prom")
        // Large enough that a plain rewrite would be seen half done.
        let versions = ["a", "b"].map { String(repeating: "estuary_test_\($0) 1\n", count: 20_000) }
        try textfile.write(versions[0])
        let done = Flag()
        let torn = Flag()
        let reader = Thread {
            while !done.isSet {
                guard let text = try? String(contentsOfFile: textfile.path, encoding: .utf8) else { continue }
                if !versions.contains(text) { torn.set() }
            }
        }
        reader.start()
        for round in 0..<40 { try textfile.write(versions[round % 2]) }
        done.set()
        #expect(!torn.isSet)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["estuary.prom"])
    }

    @Test func aFailureIsLoggedNotThrown() {
        let logged = LoggedMessages()
        let logger = Logger(label: "test") { _ in logged }
        let textfile = MetricsTextfile(path: "/nonexistent-estuary-folder/estuary.prom")
        #expect(!textfile.write(Metrics(), logger: logger))
        #expect(logged.messages.count == 1)
        let message = logged.messages.first ?? ""
        #expect(message.hasPrefix("warning: metrics: cannot create a temporary file in /nonexistent-estuary-folder"))
        #expect(message.hasSuffix("(check [metrics] textfile, and the unit's ReadWritePaths when under systemd)"))
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// A log handler that keeps `level: message` lines.
private final class LoggedMessages: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var messages: [String] { lock.withLock { lines } }
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lock.withLock { lines.append("\(event.level): \(event.message)") }
    }
}

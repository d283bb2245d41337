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
        let permissions = try FileManager.default.attributesOfItem(atPath: textfile.path)[.posixPermissions] as? Int
        #expect(permissions == 0o644)
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

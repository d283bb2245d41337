import Foundation
import Logging

/// One line per event on stderr, in the form journald and grep like best:
///
///     warning source=lwn fetch failed (http): HTTP 503 Service Unavailable
///     info config reloaded: 42 sources (1 added, 0 removed)
///
/// The level, then `source=<id>` when the event is about one source, then the message, then any
/// other metadata as `key=value`. Under systemd (`$JOURNAL_STREAM` names stderr) each line also
/// starts with its syslog priority (`<4>`), which journald turns into the entry's priority, so
/// `journalctl -p warning` shows what an operator must act on.
struct LineLogHandler: LogHandler {
    /// The process's level (``Console/logLevel``), shared by every copy: a reload may change it.
    var logLevel: Logger.Level {
        get { Console.logLevel }
        set { Console.logLevel = newValue }
    }
    var metadata: Logger.Metadata = [:]
    let priorities: Bool
    let write: @Sendable (String) -> Void

    init(priorities: Bool = LineLogHandler.stderrIsJournal(), write: @escaping @Sendable (String) -> Void) {
        self.priorities = priorities
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        write(Self.line(level: event.level, message: "\(event.message)", metadata: all, priorities: priorities))
    }

    /// The line for one event (without the newline).
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata, priorities: Bool) -> String {
        var line = priorities ? "<\(syslogPriority(level))>" : ""
        line += level.rawValue
        if let source = metadata["source"] { line += " source=" + quoted("\(source)") }
        // One event, one line: a message never breaks the line.
        line += " " + message.replacingOccurrences(of: "\n", with: " | ")
        for key in metadata.keys.sorted() where key != "source" {
            line += " \(key)=" + quoted("\(metadata[key]!)")
        }
        return line
    }

    /// A value as it is, or in double quotes when it has spaces, quotes or `=`.
    static func quoted(_ value: String) -> String {
        let plain = !value.isEmpty && !value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\n" || $0 == "\t" }
        if plain { return value }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }

    /// sd-daemon(3) priorities.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// True when stderr is the journal's stream: `$JOURNAL_STREAM` is `<device>:<inode>` of stderr.
    static func stderrIsJournal() -> Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return value == "\(info.st_dev):\(info.st_ino)"
    }
}

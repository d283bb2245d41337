import ArgumentParser
import EstuaryCore
import EstuaryStore
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the state knows about each source.",
        discussion: """
            A table, one row per source of the config: the last result and when, \
            the items stored, the error streak and when the next attempt may \
            happen; below it, the marks the fetcher left (gone, moved) and the \
            last error of failing sources. --json prints the same for scripts. \
            Works while another estuary process is writing.

            Example:
              estuary status --config /etc/estuary/estuary.toml
              estuary status --json | jq '.[] | select(.errors > 0)'
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "One JSON array, an object per source.")
    var json = false

    func run() async throws {
        let config = try options.loadConfig()
        let store = try Wiring.reader(config)
        let statuses = Dictionary(uniqueKeysWithValues: try store?.statuses(of: config.sources).map { ($0.id, $0) } ?? [])
        let states = try store?.fetchStates(of: config.sources) ?? [:]
        let rows = config.sources.map { Row(source: $0, status: statuses[$0.id], state: states[$0.id] ?? FetchState()) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print(Self.table(rows))
        }
    }

    /// What `status` says about one source.
    struct Row: Encodable {
        var id: String
        var url: String
        var movedTo: String?
        var lastFetch: String?
        var lastResult: String?
        var lastStatus: Int?
        var lastError: String?
        var items: Int
        var errors: Int
        var nextAttempt: String?
        var gone: Bool

        init(source: SourceConfig, status: SourceStatus?, state: FetchState) {
            id = source.id
            url = source.url.absoluteString
            movedTo = state.movedFrom == url ? state.movedTo : nil
            lastFetch = status?.lastFetch.map(CivilTime.rfc3339)
            lastResult = status?.lastResult
            lastStatus = status?.lastStatus
            lastError = status?.lastResult == "ok" ? nil : status?.lastError
            items = status?.itemCount ?? 0
            errors = state.errorCount
            nextAttempt = state.dueTime.flatMap { $0 > Date() ? CivilTime.rfc3339($0) : nil }
            gone = state.isGone(source)
        }

        private enum Key: String, CodingKey {
            case id, url, movedTo, lastFetch, lastResult, lastStatus, lastError, items, errors, nextAttempt, gone
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(id, forKey: .id)
            try c.encode(url, forKey: .url)
            try c.encode(movedTo, forKey: .movedTo)
            try c.encode(lastFetch, forKey: .lastFetch)
            try c.encode(lastResult, forKey: .lastResult)
            try c.encode(lastStatus, forKey: .lastStatus)
            try c.encode(lastError, forKey: .lastError)
            try c.encode(items, forKey: .items)
            try c.encode(errors, forKey: .errors)
            try c.encode(nextAttempt, forKey: .nextAttempt)
            try c.encode(gone, forKey: .gone)
        }
    }

    /// Fits 80 columns: a long id has a line of its own above its row (an id is what the config
    /// and the log name, so it is never cut), each source's URL is on the line below it (a long
    /// one keeps its start and its end), details go below the table. Times are UTC, as the
    /// header says.
    static func table(_ rows: [Row]) -> String {
        func cell(_ text: String, _ width: Int) -> String {
            text.count > width ? String(text.prefix(width - 1)) + "…" : text.padding(toLength: width, withPad: " ", startingAt: 0)
        }
        var lines = [
            cell("SOURCE", 18) + " " + cell("RESULT", 10) + " " + cell("LAST FETCH (UTC)", 17) + " " + cell("ITEMS", 6)
                + " " + cell("ERR", 3) + " " + "NEXT (UTC)"
        ]
        var notes: [String] = []
        for row in rows {
            let result =
                row.gone
                ? "gone"
                : row.lastResult.map { $0 == "ok" ? "ok \(row.lastStatus ?? 0)" : $0 + (row.lastStatus.map { " \($0)" } ?? "") }
                    ?? "never"
            let fetched = row.lastFetch.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") } ?? "-"
            let next =
                row.nextAttempt.map { String($0.prefix(16)).replacingOccurrences(of: "T", with: " ") }
                ?? (row.gone ? "never" : "due")
            if row.id.count > 18 { lines.append(row.id) }
            lines.append(
                cell(row.id.count > 18 ? "" : row.id, 18) + " " + cell(result, 10) + " " + cell(fetched, 17) + " "
                    + cell(String(row.items), 6) + " "
                    + cell(String(row.errors), 3) + " " + next)
            let url = row.url.count > 78 ? String(row.url.prefix(38)) + "…" + String(row.url.suffix(39)) : row.url
            lines.append("  " + url)
            if let moved = row.movedTo { notes.append("\(row.id): moved to \(moved) (config still says \(row.url))") }
            if row.gone { notes.append("\(row.id): gone (HTTP 410): remove it from the config") }
            if let error = row.lastError, !row.gone { notes.append("\(row.id): \(error)") }
        }
        return (lines + (notes.isEmpty ? [] : [""] + notes.flatMap { wrap($0) })).joined(separator: "\n")
    }

    /// `text` in lines of at most `width` columns, broken at spaces, continued with an indent
    /// (a word longer than a line, a URL say, is cut).
    static func wrap(_ text: String, width: Int = 80) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let indent = lines.isEmpty ? "" : "  "
            if !line.isEmpty, line.count + 1 + word.count > width - indent.count {
                lines.append(indent + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
            let room = width - (lines.isEmpty ? 0 : 2)
            while line.count > room {
                lines.append((lines.isEmpty ? "" : "  ") + line.prefix(room))
                line = String(line.dropFirst(room))
            }
        }
        if !line.isEmpty { lines.append((lines.isEmpty ? "" : "  ") + line) }
        return lines
    }
}

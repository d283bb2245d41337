import ArgumentParser
import EstuaryCore
import EstuaryStore
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what the state knows about each source.",
        discussion: """
            One line per source of the config: the last result, when it was fetched, \
            when the next attempt may happen, and the marks the fetcher left: gone \
            (410), moved (permanent redirects), backoff.

            Example:
              estuary status --config /etc/estuary/estuary.toml
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let config = try options.loadConfig()
        let store: SQLiteStore
        do {
            store = try SQLiteStore(directory: config.stateDirectory)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitStatus.outputFailed)
        }
        let statuses = Dictionary(uniqueKeysWithValues: try store.statuses(of: config.sources).map { ($0.id, $0) })
        let states = try store.fetchStates(of: config.sources)
        for source in config.sources {
            print(Self.line(source: source, status: statuses[source.id], state: states[source.id]))
        }
    }

    static func line(source: SourceConfig, status: SourceStatus?, state: FetchState?) -> String {
        var parts: [String] = []
        if let status, let fetched = status.lastFetch {
            var result = status.lastResult == "ok" ? "ok" : "failed (\(status.lastResult ?? "?"))"
            if let code = status.lastStatus { result += " \(code)" }
            parts.append("\(result) at \(CivilTime.rfc3339(fetched)), \(status.itemCount) items")
            if let error = status.lastError, status.lastResult != "ok" { parts.append(error) }
        } else {
            parts.append("never fetched")
        }
        if let state {
            if let gone = state.goneURL, gone == source.url.absoluteString {
                parts.append("gone (410): remove it from the config")
            }
            if let moved = state.movedTo, state.movedFrom == source.url.absoluteString {
                parts.append("moved to \(moved) (config still says \(source.url.absoluteString))")
            }
            if let notBefore = state.notBefore, notBefore > Date() {
                parts.append("next attempt at \(CivilTime.rfc3339(notBefore))" + (state.notBeforeReason.map { " (\($0))" } ?? ""))
            }
        }
        return "\(source.id): " + parts.joined(separator: "; ")
    }
}

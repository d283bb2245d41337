import ArgumentParser
import EstuaryCore
import Foundation

/// The `estuary` command.
@main
struct EstuaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estuary",
        abstract: "A feed aggregator: many feeds in, one clean river out.",
        discussion: """
            Estuary fetches the RSS, Atom and JSON feeds listed in its config file, \
            stores their items in SQLite, and writes merged outputs (Atom, RSS, JSON \
            Feed, a JSON index, an HTML river page, OPML). Docs: \
            /usr/local/share/doc/estuary/ (docs/ in the source tree).

            Examples:
              estuary once --config /etc/estuary/estuary.toml
              estuary check --config config/demo.toml
              estuary parse --jsonl feed.xml
              estuary import-opml subscriptions.opml

            Exit status: 0 success; 1 some sources failed (outputs were written); \
            64 bad usage; 65 import-opml's file cannot be read or is not OPML; 74 the state or an output could not be written; 75 another estuary process holds the state; 78 invalid config, or a state folder or database this user cannot use.
            """,
        version: Estuary.version,
        subcommands: [
            OnceCommand.self, RunCommand.self, CheckCommand.self, StatusCommand.self, ParseCommand.self,
            ExportOPMLCommand.self, ImportOPMLCommand.self,
        ]
    )

    /// `estuary` alone: the usage on stderr and status 64, as for any other wrong command line; a
    /// script that forgot its subcommand must not read as a success. `estuary --help` exits 0.
    func run() async throws {
        Console.error(Self.helpMessage())
        throw ExitCode.validationFailure
    }
}

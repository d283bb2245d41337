import ArgumentParser
import EstuaryCore
import Foundation

struct ExportOPMLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-opml",
        abstract: "Print the config's sources as OPML 2.0, for another feed reader.",
        discussion: """
            One outline per http(s) source, with the config's title or else the \
            feed's own title and site link from the state, and its tags as the \
            category attribute; file: sources are left out. Reads the state \
            read-only, so it works beside a running daemon.

            Example:
              estuary export-opml --config /etc/estuary/estuary.toml > subscriptions.opml
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let config = try options.loadConfig()
        let store = try Wiring.reader(config)
        let statuses = Dictionary(uniqueKeysWithValues: try store?.statuses(of: config.sources).map { ($0.id, $0) } ?? [])
        let title = "Estuary sources (\(config.file))"
        print(OPMLWriter(title: title, sources: config.sources, statuses: statuses).document(), terminator: "")
    }
}

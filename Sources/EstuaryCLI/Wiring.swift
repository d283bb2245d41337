import ArgumentParser
import EstuaryCore
import EstuaryFetch
import EstuaryParse
import EstuaryStore
import Logging

/// Assembles the real stages: libcurl fetching, libxml2 parsing, SQLite state.
enum Wiring {
    /// The cycle for `config`; exits 74 (EX_IOERR) when the state cannot be opened.
    static func cycle(config: Config, logger: Logger) throws -> Cycle {
        let store: SQLiteStore
        do {
            store = try SQLiteStore(directory: config.stateDirectory)
        } catch {
            Console.error("\(error) (check state_dir in \(config.file) and its permissions)")
            throw ExitCode(ExitStatus.outputFailed)
        }
        var settings = FetchSettings()
        settings.maxBodyBytes = config.maxFeedBytes
        settings.maxConnections = config.fetch.concurrency
        settings.maxConnectionsPerHost = config.fetch.perHost
        settings.hostSpacing = config.fetch.hostSpacing
        settings.allowPrivateAddresses = config.fetch.allowPrivateAddresses
        settings.connectTimeout = Int(config.fetch.connectTimeout.components.seconds)
        settings.totalTimeout = Int(config.fetch.timeout.components.seconds)
        settings.maxRedirects = config.fetch.maxRedirects
        if let agent = config.fetch.userAgent { settings.userAgent = agent }
        return Cycle(
            fetcher: CurlFetcher(settings: settings, logger: logger), parser: FeedParser(maxBytes: config.maxFeedBytes),
            store: store, logger: logger)
    }
}

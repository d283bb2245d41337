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
        var limits = FetchLimits()
        limits.maxBodyBytes = config.maxFeedBytes
        return Cycle(
            fetcher: CurlFetcher(limits: limits, logger: logger), parser: FeedParser(maxBytes: config.maxFeedBytes),
            store: store, logger: logger)
    }
}

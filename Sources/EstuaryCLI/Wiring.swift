import ArgumentParser
import EstuaryCore
import EstuaryFetch
import EstuaryMetrics
import EstuaryParse
import EstuaryStore
import Foundation
import Logging

/// Assembles the real stages: libcurl fetching, libxml2 parsing, SQLite state.
enum Wiring {
    /// What `once` and `run` start from: the config, the logger, the state's writer lock
    /// (held as long as the returned value lives), the cycle and its store.
    struct Writer {
        let config: Config
        let logger: Logger
        let lock: StateLock
        let cycle: Cycle
        let store: SQLiteStore
    }

    /// `verboseLogs`: whether --verbose lowers the log level to debug (see ``GlobalOptions/level(for:verboseLogs:)``).
    static func writer(_ options: GlobalOptions, verboseLogs: Bool = true) throws -> Writer {
        raiseOpenFileLimit()
        let config = try options.loadConfig()
        let logger = options.makeLogger(config, verboseLogs: verboseLogs)
        let lock = try lockState(config)
        let (cycle, store) = try cycleAndStore(config: config, logger: logger)
        return Writer(config: config, logger: logger, lock: lock, cycle: cycle, store: store)
    }

    /// Raises the soft limit on open files to the hard one (at most 65,536): libcurl's connections,
    /// SQLite's files and the metrics listener's clients share them, and the usual soft limit of 1024
    /// is what systemd leaves for programs that still use select(), which Estuary does not.
    static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 65_536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }

    /// The state opened read-only, or nil when there is none yet; exits 74 when it cannot be read.
    /// Read-only: `status` and `export-opml` may run beside a writer, or as another user, and change nothing.
    static func reader(_ config: Config) throws -> SQLiteStore? {
        do {
            return try SQLiteStore(readingFrom: config.stateDirectory)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitStatus.outputFailed)
        }
    }

    /// Takes the state folder's writer lock, or exits 75 (EX_TEMPFAIL) when another process has it;
    /// 78 (EX_CONFIG, which the unit does not restart) when permissions or a read-only file system
    /// forbid it, 74 for anything a retry may fix.
    static func lockState(_ config: Config) throws -> StateLock {
        do {
            return try StateLock(directory: config.stateDirectory)
        } catch let busy as StateLock.Busy {
            Console.error("\(busy)")
            throw ExitCode(ExitStatus.busy)
        } catch let unusable as StateLock.Unusable {
            Console.error(
                "state: \(unusable) (check state_dir in \(config.file) and its permissions; under systemd, "
                    + "the unit's StateDirectory= or ReadWritePaths=)")
            throw ExitCode(unusable.isPermanent ? ExitStatus.configError : ExitStatus.outputFailed)
        } catch {
            Console.error(
                "state: cannot lock \(config.stateDirectory): \(error) (check state_dir in \(config.file) and its permissions)")
            throw ExitCode(ExitStatus.outputFailed)
        }
    }

    /// What an output that could not be written says after its error: where to look.
    static func outputHint(_ config: Config) -> String {
        "(check output_dir in \(config.file) and its permissions; under systemd, an output_dir outside "
            + "/var/lib/estuary needs ReadWritePaths=)"
    }

    /// The cycle for `config` and its store; exits 74 (EX_IOERR) when the state cannot be opened,
    /// 78 (EX_CONFIG, not restarted by the unit) when this user may not write it.
    static func cycleAndStore(config: Config, logger: Logger) throws -> (cycle: Cycle, store: SQLiteStore) {
        let store: SQLiteStore
        do {
            store = try SQLiteStore(directory: config.stateDirectory, maxBytes: config.maxStateBytes)
        } catch {
            Console.error("\(error) (check state_dir in \(config.file) and its permissions)")
            throw ExitCode(error.isPermanent ? ExitStatus.configError : ExitStatus.outputFailed)
        }
        return (cycle(config: config, store: store, logger: logger), store)
    }

    /// The `[metrics] listen` listener serving `metrics`, or nil when none is configured;
    /// exits 78 (EX_CONFIG) when the address cannot be used.
    static func metricsListener(_ config: Config, metrics: Metrics) throws -> MetricsListener? {
        guard let address = config.metrics.listen else { return nil }
        do {
            return try MetricsListener(address: address, metrics: metrics)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitStatus.configError)
        }
    }

    /// A cycle fetching with `config`'s [fetch] settings into `store`.
    static func cycle(config: Config, store: SQLiteStore, logger: Logger) -> Cycle {
        var settings = FetchSettings()
        settings.maxBodyBytes = config.maxFeedBytes
        settings.maxConnections = config.fetch.concurrency
        settings.maxConnectionsPerHost = config.fetch.perHost
        settings.hostSpacing = config.fetch.hostSpacing
        settings.allowPrivateAddresses = config.fetch.allowPrivateAddresses
        settings.connectTimeout = config.fetch.connectTimeout
        settings.totalTimeout = config.fetch.timeout
        settings.maxRedirects = config.fetch.maxRedirects
        if let agent = config.fetch.userAgent { settings.userAgent = agent }
        return Cycle(
            fetcher: CurlFetcher(settings: settings, logger: logger), parser: FeedParser(maxBytes: config.maxFeedBytes),
            store: store, logger: logger)
    }
}

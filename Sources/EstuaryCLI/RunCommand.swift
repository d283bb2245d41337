import ArgumentParser
import EstuaryCore
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a daemon: one cycle every interval, until stopped.",
        discussion: """
            Runs the same cycle as `estuary once`, then waits [estuary] interval \
            (default 30m) and runs it again. This is what systemd/estuary.service starts: \
            it tells systemd READY=1 once config and state are loaded, a STATUS line \
            after every cycle, WATCHDOG=1 while it makes progress, and STOPPING=1 on \
            SIGTERM or SIGINT, which end the wait for the next cycle (a cycle under way \
            finishes first) and exit 0. SIGHUP (systemctl reload) rereads the config: \
            a valid one applies from the next cycle (RELOADING=1, then READY=1); an \
            invalid one is logged and the running config stays.

            Example:
              estuary run --config /etc/estuary/estuary.toml
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let writer = try Wiring.writer(options)
        defer { withExtendedLifetime(writer) {} }
        var (config, cycle) = (writer.config, writer.cycle)
        let logger = writer.logger
        let systemd = SystemdNotifier()
        let signals = DaemonSignals()
        logger.info(
            "estuary \(Estuary.version) started: \(config.sources.count) sources, a cycle every \(DurationText.format(config.interval))"
        )
        // Config and state are loaded: ready.
        systemd.notify("READY=1\nSTATUS=\(config.sources.count) sources, first cycle starting")

        // The watchdog is fed only while the loop makes progress (a source finished, or the loop is waiting).
        let progress = Heartbeat()
        let watchdog = systemd.watchdogInterval.map { interval in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if progress.isRecent(within: interval * 2) { systemd.notify("WATCHDOG=1") }
                }
            }
        }
        defer { watchdog?.cancel() }

        while !signals.isStopped {
            progress.beat()
            let started = ContinuousClock.now
            let report = await cycle.run(config: config) { report in
                progress.beat()
                if report.failed { logger.warning("\(report)") } else { logger.info("\(report)") }
            }
            let failed = report.sources.filter(\.failed).count
            let next = DurationText.format(config.interval)
            logger.info("cycle done: \(report.sources.count) sources, \(failed) failed; next in \(next)")
            systemd.notify("STATUS=\(report.sources.count) sources, \(failed) failing, next cycle in \(next)")
            // Wait for the next cycle; SIGTERM/SIGINT end the wait, SIGHUP reloads and waits on.
            while !signals.isStopped, ContinuousClock.now < started + config.interval {
                await signals.wait(until: started + config.interval) { progress.beat() }
                if signals.takeReloadRequest() {
                    systemd.notify("RELOADING=1")
                    if let reloaded = reload(writer: writer, current: config, logger: logger) {
                        (config, cycle) = reloaded
                    }
                    systemd.notify("READY=1\nSTATUS=\(config.sources.count) sources, config reloaded")
                }
            }
        }
        // The cycle in progress finished and committed; outputs were written atomically.
        systemd.notify("STOPPING=1")
        logger.info("stopped")
    }

    /// The new config and a cycle for it, or nil (logged) when the file is invalid or needs a restart.
    func reload(writer: Wiring.Writer, current: Config, logger: Logger) -> (Config, Cycle)? {
        let config: Config
        do {
            config = try ConfigLoader().load(path: options.configPath)
        } catch {
            logger.error("reload rejected, the running config stays: \(error)")
            return nil
        }
        guard config.stateDirectory == current.stateDirectory, config.maxStateBytes == current.maxStateBytes else {
            logger.error(
                "reload rejected, the running config stays: state_dir or max_state_bytes changed (restart estuary to apply them)"
            )
            return nil
        }
        let cycle = Wiring.cycle(config: config, store: writer.store, logger: logger)
        let (old, new) = (Set(current.sources.map(\.id)), Set(config.sources.map(\.id)))
        logger.info(
            "config reloaded: \(config.sources.count) sources (\(new.subtracting(old).count) added, \(old.subtracting(new).count) removed), a cycle every \(DurationText.format(config.interval))"
        )
        return (config, cycle)
    }
}

/// When the daemon loop last made progress.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now

    func beat() { lock.withLock { last = ContinuousClock.now } }

    func isRecent(within window: Duration) -> Bool { lock.withLock { ContinuousClock.now - last < window } }
}

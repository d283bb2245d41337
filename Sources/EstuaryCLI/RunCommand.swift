import ArgumentParser
import EstuaryCore
import Foundation

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
            finishes first) and exit 0.

            Example:
              estuary run --config /etc/estuary/estuary.toml
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let writer = try Wiring.writer(options)
        defer { withExtendedLifetime(writer) {} }
        let (config, logger, cycle) = (writer.config, writer.logger, writer.cycle)
        let systemd = SystemdNotifier()
        let stop = StopSignal()
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

        while !stop.isStopped {
            progress.beat()
            let report = await cycle.run(config: config) { report in
                progress.beat()
                if report.failed { logger.warning("\(report)") } else { logger.info("\(report)") }
            }
            let failed = report.sources.filter(\.failed).count
            let next = DurationText.format(config.interval)
            logger.info("cycle done: \(report.sources.count) sources, \(failed) failed; next in \(next)")
            systemd.notify("STATUS=\(report.sources.count) sources, \(failed) failing, next cycle in \(next)")
            // Sleep until the next cycle, or until SIGTERM/SIGINT ends the wait.
            let sleeper = Task {
                var waited = Duration.zero
                while waited < config.interval, !Task.isCancelled {
                    let step = min(Duration.seconds(5), config.interval - waited)
                    try? await Task.sleep(for: step)
                    waited += step
                    progress.beat()
                }
            }
            stop.whenStopped { sleeper.cancel() }
            await sleeper.value
        }
        // The cycle in progress finished and committed; outputs were written atomically.
        systemd.notify("STOPPING=1")
        logger.info("stopped")
    }
}

/// When the daemon loop last made progress.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now

    func beat() { lock.withLock { last = ContinuousClock.now } }

    func isRecent(within window: Duration) -> Bool { lock.withLock { ContinuousClock.now - last < window } }
}

import ArgumentParser
import EstuaryCore
import EstuaryMetrics
import EstuaryStore
import Foundation
import Logging
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a daemon: fetch each source when it is due, until stopped.",
        discussion: """
            Runs the same code as `estuary once`, whenever sources fall due. Each source \
            waits its interval ([estuary] interval, 30m by default, or the source's own), \
            lengthened by its feed's ttl or sy:updatePeriod and the server's Cache-Control \
            or Expires, within min_interval and max_interval, with ±10% jitter; failures \
            back off. Sources never fetched are spread over cold_start_spread. Outputs are \
            written once output_delay after a burst of changes.

            This is what systemd/estuary.service starts: it tells systemd READY=1 once config \
            and state are loaded, STATUS lines such as "42 sources, 3 failing, next fetch \
            in 12 s", WATCHDOG=1 while it makes progress, and STOPPING=1 on SIGTERM or \
            SIGINT: no new fetches start, fetches under way get stop_timeout (10s) to finish \
            or are cancelled, the state is committed, pending outputs are written, exit 0. \
            SIGHUP (systemctl reload) rereads the config: a valid one applies at once \
            (RELOADING=1, then READY=1); an invalid one is logged and the running config stays.

            Example:
              estuary run --config /etc/estuary/estuary.toml
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let writer = try Wiring.writer(options)
        defer { withExtendedLifetime(writer) {} }
        let config = writer.config
        let logger = writer.logger
        let store = writer.store
        let systemd = SystemdNotifier()
        let progress = Heartbeat()
        let metrics = Metrics()
        let listener = try Wiring.metricsListener(config, metrics: metrics)
        defer { listener?.stop() }
        if let listener {
            logger.info("metrics at http://\(listener.address)/metrics")
            if !listener.address.isLoopback {
                let advice = "firewall the port, or listen on 127.0.0.1 ([metrics] listen)"
                logger.warning(
                    "metrics: \(listener.address) is reachable from other machines, and the metrics have no authentication: \(advice)"
                )
            }
        }
        let textfile = config.metrics.textfile.map(MetricsTextfile.init(path:))
        let scheduler = Scheduler(config: config, cycle: writer.cycle, logger: logger)
        scheduler.onSource = { report in
            progress.beat()
            metrics.observe(report)
            if report.failed || report.note != nil {
                logger.warning("\(report.logLine)", metadata: ["source": "\(report.sourceID)"])
            } else {
                logger.debug("\(report.logLine)", metadata: ["source": "\(report.sourceID)"])
            }
        }
        scheduler.onStatus = { status in
            progress.beat()
            systemd.notify("STATUS=\(status.description)")
            metrics.setSources(total: status.sources, failing: status.failing, gone: status.gone)
            metrics.setSchedulerLag(status.lag)
            metrics.markCycle(at: Date())
            textfile?.write(metrics, logger: logger)
        }
        scheduler.onIdle = { progress.beat() }
        scheduler.onOutputs = { outputs in
            for output in outputs {
                if let error = output.error {
                    logger.error("output \"\(output.name)\" not written: \(error) \(Wiring.outputHint(config))")
                } else {
                    logger.debug("output \"\(output.name)\": wrote \(output.files.joined(separator: ", "))")
                }
            }
        }
        logger.info(
            "estuary \(Estuary.version) started: \(config.sources.count) source\(config.sources.count == 1 ? "" : "s"), each every \(DurationText.format(config.interval)) unless it says otherwise"
        )
        // A SIGHUP before the reload service listens must not kill the daemon (its default action).
        signal(SIGHUP, SIG_IGN)

        // Stopped in reverse order: the reload service first, the scheduler, then the watchdog.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let interval = systemd.watchdogInterval {
            services.append(.init(service: WatchdogService(systemd: systemd, interval: interval, progress: progress)))
        }
        services += [
            .init(service: StateGuardService(lock: writer.lock, directory: config.stateDirectory, logger: logger)),
            .init(service: SchedulerService(scheduler: scheduler) { systemd.notify("STOPPING=1") }),
            .init(
                service: ReloadService(onListening: {
                    // Config and state are loaded, and SIGHUP, SIGTERM and SIGINT are trapped: ready.
                    // (READY=1 sent before that made a `systemctl reload` right after the start
                    // a SIGHUP ignored, and a stop a kill by SIGTERM.)
                    systemd.notify("READY=1\nSTATUS=\(config.sources.count) sources, starting")
                }) {
                    systemd.notify("RELOADING=1")
                    let count = { scheduler.config.sources.count }
                    if let reloaded = reload(store: store, current: scheduler.config, metrics: config.metrics, logger: logger) {
                        scheduler.reload(config: reloaded.0, cycle: reloaded.1)
                        systemd.notify("READY=1\nSTATUS=\(count()) sources, config reloaded")
                    } else {
                        // `systemctl status` shows it; the journal has the reason.
                        systemd.notify(
                            "READY=1\nSTATUS=\(count()) sources, reload rejected: the running config stays (see the log)")
                    }
                }),
        ]
        var group = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A backstop: the scheduler cancels its fetches after stop_timeout itself.
        group.maximumGracefulShutdownDuration = config.stopTimeout + .seconds(20)
        try await ServiceGroup(configuration: group).run()
        logger.info("stopped")
    }

    /// The new config and a cycle for it, or nil (logged) when the file is invalid or needs a restart.
    /// `metrics`: the `[metrics]` in effect, the one the daemon started with (a reload does not apply it).
    func reload(store: SQLiteStore, current: Config, metrics: MetricsConfig, logger: Logger) -> (Config, Cycle)? {
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
        if config.metrics != metrics {
            logger.warning("[metrics] changed: restart estuary to apply it; the rest of the new config applies now")
        }
        let cycle = Wiring.cycle(config: config, store: store, logger: logger)
        let (old, new) = (Set(current.sources.map(\.id)), Set(config.sources.map(\.id)))
        logger.info(
            "config reloaded: \(config.sources.count) sources (\(new.subtracting(old).count) added, \(old.subtracting(new).count) removed)"
        )
        // After the line above, which the operator sees at the level they reloaded from.
        Console.logLevel = options.level(for: config)
        return (config, cycle)
    }
}

import ArgumentParser
import EstuaryCore
import EstuaryMetrics
import Foundation

struct OnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract: "Run one cycle: fetch the sources that are due, store new items, write the outputs.",
        discussion: """
            The same cycle the daemon runs, one time: for cron or a systemd timer. \
            Only sources that are due are fetched (each source waits its interval, its \
            feed's ttl and the server's Cache-Control, or its backoff after errors), so \
            running it every 5 minutes is polite. --force fetches every source now, \
            except those gone (HTTP 410) or under a server's Retry-After.

            Quiet when everything went well, so cron mails only problems: failures go \
            to stderr, one line each, e.g.
              source "blog": fetch failed (http): HTTP 404 Not Found (check the source's url)
            --verbose also prints every source and output, e.g.
              source "lwn": 200, 25 items (3 new), 84 ms
            (the log's own debug lines only with --log-level debug).
            On an interactive terminal a progress bar shows while sources are fetched.

            Examples:
              estuary once --config /etc/estuary/estuary.toml
              estuary once --force --verbose

            Exit status: 0 every source succeeded; 1 some failed but the outputs were \
            written; 74 the state or an output could not be written; 75 another estuary \
            holds the state; 78 invalid config.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Fetch every source now, not only the due ones (gone sources and Retry-After still wait).")
    var force = false

    func run() async throws {
        // --verbose is the per-source report below, one line each: the log stays at its level, or
        // each source would also get its debug lines ("fetch", all at the start), in the log's
        // format and away from its report line. --log-level debug asks for them.
        let writer = try Wiring.writer(options, verboseLogs: false)
        defer { withExtendedLifetime(writer) {} }
        let verbose = options.verbose
        let progress = ProgressBar.forStderr()
        Console.progress = progress
        let scheduler = Scheduler(config: writer.config, cycle: writer.cycle, logger: writer.logger)
        scheduler.onBatch = { progress?.start(total: $0) }
        scheduler.onSource = { report in
            progress?.advance(failed: report.failed)
            if verbose || report.failed || report.note != nil { Console.error(report.description) }
        }
        let report = await scheduler.once(force: force)
        progress?.finish()
        Console.progress = nil
        if let path = writer.config.metrics.textfile {
            // This run's counts added to the earlier runs', and the sources' state, for node_exporter's
            // textfile collector.
            let metrics = Metrics()
            for source in report.sources { metrics.observe(source) }
            let states = (try? writer.store.fetchStates(of: writer.config.sources)) ?? [:]
            metrics.setSources(writer.config.sources, states: states)
            metrics.markCycle(at: Date())
            MetricsTextfile(path: path).write(metrics, continuingCounts: true, logger: writer.logger)
        }
        if let problem = report.stateError {
            Console.error("state: \(problem) (check state_dir in \(writer.config.file) and the disk)")
        }
        for source in report.sources where !source.fetched && verbose {
            Console.error(source.description)
        }
        for output in report.outputs {
            if let error = output.error {
                Console.error("output \"\(output.name)\": not written: \(error) \(Wiring.outputHint(writer.config))")
            } else if !verbose {
                continue
            } else if output.unchanged {
                Console.error("output \"\(output.name)\": unchanged (no new items)")
            } else {
                Console.error("output \"\(output.name)\": wrote \(output.files.joined(separator: ", "))")
            }
        }
        if verbose {
            let total = report.timings.total
            let stored = writer.store.timeInTransactions
            let share = total > .zero ? Int((stored / total) * 100) : 0
            let fetched = report.sources.filter(\.fetched).count
            let seconds = StageTimings.Snapshot.seconds
            let checkpoints = writer.store.backgroundCheckpoints
            Console.error(
                "\(report.timings); state transactions \(seconds(stored)) (\(share)% of the run), \(checkpoints.count) checkpoints in the background \(seconds(checkpoints.time)); \(fetched) of \(report.sources.count) sources fetched"
            )
        }
        let status = report.exitStatus
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}

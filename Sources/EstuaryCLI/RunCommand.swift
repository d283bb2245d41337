import ArgumentParser
import EstuaryCore
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run as a daemon: one cycle every interval, until stopped.",
        discussion: """
            Runs the same cycle as `estuary once`, then waits [estuary] interval \
            (default 30m) and runs it again. This is what systemd/estuary.service starts.

            Example:
              estuary run --config /etc/estuary/estuary.toml
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let writer = try Wiring.writer(options)
        defer { withExtendedLifetime(writer) {} }
        let (config, logger, cycle) = (writer.config, writer.logger, writer.cycle)
        logger.info(
            "estuary \(Estuary.version) started: \(config.sources.count) sources, a cycle every \(DurationText.format(config.interval))"
        )
        while !Task.isCancelled {
            let report = await cycle.run(config: config) { report in
                if report.failed { logger.warning("\(report)") } else { logger.info("\(report)") }
            }
            let failed = report.sources.filter(\.failed).count
            logger.info(
                "cycle done: \(report.sources.count) sources, \(failed) failed; next in \(DurationText.format(config.interval))")
            try await Task.sleep(for: config.interval)
        }
    }
}

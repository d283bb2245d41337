import ArgumentParser
import EstuaryCore
import Foundation

struct OnceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "once",
        abstract: "Run one cycle: fetch every source, store new items, write the outputs.",
        discussion: """
            The same cycle the daemon runs, one time: for cron or a systemd timer. \
            Prints one line per source on stderr, e.g.
              source "lwn": 200, 25 items (3 new), 84 ms
              source "blog": fetch failed: HTTP 404 Not Found (check the source's url), 12 ms

            Example:
              estuary once --config /etc/estuary/estuary.toml

            Exit status: 0 every source succeeded; 1 some failed but the outputs were \
            written; 74 the state or an output could not be written; 78 invalid config.
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let writer = try Wiring.writer(options)
        defer { withExtendedLifetime(writer) {} }
        let report = await writer.cycle.run(config: writer.config) { Console.error($0.description) }
        for output in report.outputs {
            if let error = output.error {
                Console.error("output \"\(output.name)\": not written: \(error)")
            } else if output.unchanged {
                Console.error("output \"\(output.name)\": unchanged (no new items)")
            } else {
                Console.error("output \"\(output.name)\": wrote \(output.files.joined(separator: ", "))")
            }
        }
        if options.verbose {
            let total = report.timings.total
            let stored = writer.store.timeInTransactions
            let share = total > .zero ? Int((stored / total) * 100) : 0
            Console.error(
                "\(report.timings); state transactions \(stored.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2)))) (\(share)% of the run)"
            )
        }
        let status = report.exitStatus
        if status != ExitStatus.success { throw ExitCode(status) }
    }
}

import ArgumentParser
import EstuaryCore
import Foundation

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config file and list its sources and outputs.",
        discussion: """
            Reads the config as `once` and `run` would, without fetching anything. \
            Errors name the file, the line, the section and the key.

            Example:
              estuary check --config /etc/estuary/estuary.toml

            Exit status: 0 valid; 78 invalid.
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let config = try options.loadConfig()
        print(
            "\(config.file): valid: \(config.sources.count) source\(config.sources.count == 1 ? "" : "s"), \(config.outputs.count) output\(config.outputs.count == 1 ? "" : "s")"
        )
        print("state:   \(config.stateDirectory)")
        print("outputs: \(config.outputDirectory)")
        print(
            "interval: \(DurationText.format(config.interval)) (between \(DurationText.format(config.minInterval)) and \(DurationText.format(config.maxInterval)); first fetches spread over \(DurationText.format(config.coldStartSpread ?? config.interval)))"
        )
        print("sources:")
        let width = config.sources.map(\.id.count).max() ?? 0
        let policy = FetchPolicy(config: config)
        for source in config.sources {
            var line = "  " + source.id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + source.url.absoluteString
            if let title = source.title { line += "  \"\(title)\"" }
            if !source.tags.isEmpty { line += "  [" + source.tags.joined(separator: ", ") + "]" }
            if let interval = source.interval {
                // What the scheduler will use before the feed or server ask for more: within the bounds.
                let used = Duration.seconds(policy.regularInterval(for: source, hints: StoredHints(), cacheLifetime: nil))
                line += "  every \(DurationText.format(used))"
                if used != interval {
                    let bound = used > interval ? "raised to min_interval" : "lowered to max_interval"
                    line += " (interval = \(DurationText.format(interval)), \(bound))"
                }
            }
            print(line)
        }
        if config.outputs.isEmpty {
            print("no [[output]]: items are stored, nothing is written")
        } else {
            print("outputs:")
            for output in config.outputs {
                let files = output.formats.map { "\(output.name).\($0.fileExtension)" }.joined(separator: ", ")
                print("  \(output.name): \(files), at most \(output.maxItems) items")
            }
        }
    }
}

import ArgumentParser
import EstuaryCore
import Foundation

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the config file and list its sources and outputs.",
        discussion: """
            Reads the config as `once` and `run` would, without fetching anything. \
            Errors name the file, the line, the section and the key. Also looks, without \
            making anything, at state_dir, output_dir and the [metrics] textfile's folder: \
            a file in a folder's place, a read-only file system or a missing textfile \
            folder is an error; a folder this user may not write is a warning (the \
            service may run as another user). state_dir and output_dir need not exist: \
            the first run makes them.

            Example:
              estuary check --config /etc/estuary/estuary.toml

            Exit status: 0 valid (warnings included); 78 invalid.
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let config = try options.loadConfig()
        // The folders as this user sees them, without making any.
        let folders = config.checkFolders()
        for warning in folders.warnings { Console.error("warning: \(warning)") }
        guard folders.errors.isEmpty else {
            for error in folders.errors { Console.error("\(error)") }
            throw ExitCode(ExitStatus.configError)
        }
        print(
            "\(config.file): valid: \(config.sources.count) source\(config.sources.count == 1 ? "" : "s"), \(config.outputs.count) output\(config.outputs.count == 1 ? "" : "s")"
        )
        func folder(_ path: String) -> String {
            FileManager.default.fileExists(atPath: path) ? path : "\(path) (not there yet: made at the first run)"
        }
        print("state:   \(folder(config.stateDirectory))")
        print("outputs: \(folder(config.outputDirectory))")
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

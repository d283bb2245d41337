import ArgumentParser
import EstuaryCore
import Foundation
import Logging

/// Options every command that reads the config shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "The config file. Default: $ESTUARY_CONFIG, else \(Config.defaultPath).", valueName: "path"))
    var config: String?

    @Flag(
        name: .shortAndLong,
        help: "Show routine work too: once prints a line per source and output, run logs them (debug level).")
    var verbose = false

    @Option(
        help: ArgumentHelp(
            "The least severe level logged: \(Config.logLevels.joined(separator: ", ")). Default: [estuary] log_level, else info.",
            valueName: "level"))
    var logLevel: String?

    func validate() throws {
        if let logLevel, !Config.logLevels.contains(logLevel) {
            throw ValidationError("--log-level \(logLevel) must be one of \(Config.logLevels.joined(separator: ", "))")
        }
    }

    var configPath: String {
        if let config { return config }
        if let env = ProcessInfo.processInfo.environment["ESTUARY_CONFIG"], !env.isEmpty { return env }
        return Config.defaultPath
    }

    /// Loads and validates the config, or exits with 78 (EX_CONFIG) after printing why.
    func loadConfig() throws -> Config {
        do {
            return try ConfigLoader().load(path: configPath)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitStatus.configError)
        }
    }

    /// The process's logger: --log-level, else --verbose (debug, when `verboseLogs`), else the
    /// config's log_level, else info.
    func makeLogger(_ config: Config, verboseLogs: Bool = true) -> Logger {
        Console.bootstrapLogging(level: level(for: config, verboseLogs: verboseLogs))
        return Logger(label: "estuary")
    }

    /// The least severe level logged with `config`: the command line's when it sets one. With
    /// `verboseLogs` false, --verbose leaves the level alone (`once` prints its own lines for it).
    func level(for config: Config, verboseLogs: Bool = true) -> Logger.Level {
        let name = logLevel ?? (verbose && verboseLogs ? "debug" : config.logLevel ?? "info")
        return Logger.Level(rawValue: name) ?? .info
    }
}

/// Writing to the terminal.
enum Console {
    /// The progress bar on stderr while a `once` run shows one (set and read from several threads).
    static var progress: ProgressBar? {
        get { progressLock.withLock { currentProgress } }
        set { progressLock.withLock { currentProgress = newValue } }
    }
    private static let progressLock = NSLock()
    nonisolated(unsafe) private static var currentProgress: ProgressBar?

    /// Prints a line on stderr (one write, so lines from several tasks never interleave), above the progress bar.
    static func error(_ line: String) {
        if let progress {
            progress.print(line)
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Writes bytes to stdout, whole, without going through a String.
    static func writeOut(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    /// Sends logs to stderr, one line per event. Called once per process, by the command that runs.
    static func bootstrapLogging(level: Logger.Level) {
        logLevel = level
        LoggingSystem.bootstrap { _ in LineLogHandler(write: { line in Console.error(line) }) }
    }

    /// The least severe level logged, which every logger of the process reads at each event: the
    /// daemon's loggers are copied into its stages, and a reload's `log_level` applies to all of them.
    static var logLevel: Logger.Level {
        get { levelLock.withLock { currentLevel } }
        set { levelLock.withLock { currentLevel = newValue } }
    }
    private static let levelLock = NSLock()
    nonisolated(unsafe) private static var currentLevel = Logger.Level.info
}

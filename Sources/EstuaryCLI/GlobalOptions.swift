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

    @Flag(name: .shortAndLong, help: "Log routine work too (debug level).")
    var verbose = false

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

    func makeLogger() -> Logger {
        Console.bootstrapLogging(verbose: verbose)
        return Logger(label: "estuary")
    }
}

/// Writing to the terminal.
enum Console {
    /// Prints a line on stderr (one write, so lines from several tasks never interleave).
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
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

    /// Sends logs to stderr. Called once per process, by the command that runs.
    static func bootstrapLogging(verbose: Bool) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .debug : .info
            return handler
        }
    }
}

import Foundation

/// Runs a reference tool (python3, systemd-analyze, ...) the tests compare Estuary with.
public enum ExternalTool {
    /// Runs `executable` and returns its status and stdout; stderr is appended to the output when `mergingStderr`.
    public static func run(_ executable: String, _ arguments: [String], mergingStderr: Bool = true) throws -> (
        status: Int32, output: Data
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        if mergingStderr { process.standardError = pipe }
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

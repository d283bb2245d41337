import EstuaryTestSupport
import Foundation
import Testing

@testable import EstuaryCore

/// What decides that an output needs writing again.
@Suite struct OutputStampTests {
    static func config(maxAge: Duration?) throws -> (Config, OutputConfig) {
        var output = OutputConfig(name: "recent", formats: [.atom], maxItems: 10)
        output.maxAge = maxAge
        let config = Config(
            file: "estuary.toml", stateDirectory: try Fixtures.temporaryFolder().path, outputDirectory: "/nonexistent",
            interval: .seconds(1800), sources: [SourceConfig(id: "a", url: URL(string: "https://a.example/feed")!)],
            outputs: [output])
        return (config, output)
    }

    @Test func aStampHoldsUntilTheStateOrTheConfigChanges() throws {
        let (config, output) = try Self.config(maxAge: nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let stamp = OutputStamp(output: output, config: config, version: "7", now: now)
        #expect(!stamp.isCurrent)
        stamp.record(written: true)
        #expect(OutputStamp(output: output, config: config, version: "7", now: now.addingTimeInterval(86_400)).isCurrent)
        #expect(!OutputStamp(output: output, config: config, version: "8", now: now).isCurrent)
        var retitled = output
        retitled.title = "Another title"
        #expect(!OutputStamp(output: retitled, config: config, version: "7", now: now).isCurrent)
        // Written to another folder, or by another version of estuary: written again.
        var moved = config
        moved.outputDirectory = "/elsewhere"
        #expect(!OutputStamp(output: output, config: moved, version: "7", now: now).isCurrent)
        // A failed write leaves no stamp: the next run writes again.
        stamp.record(written: false)
        #expect(!OutputStamp(output: output, config: config, version: "7", now: now).isCurrent)
    }

    /// What a max_age output shows changes with the time alone: its stamp expires within a 24th of max_age.
    @Test func aMaxAgeOutputsStampExpiresWithTime() throws {
        let (config, output) = try Self.config(maxAge: .seconds(24 * 3600))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        OutputStamp(output: output, config: config, version: "7", now: now).record(written: true)
        #expect(OutputStamp(output: output, config: config, version: "7", now: now).isCurrent)
        #expect(!OutputStamp(output: output, config: config, version: "7", now: now.addingTimeInterval(3600)).isCurrent)
    }
}

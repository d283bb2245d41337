import EstuaryTestSupport
import Foundation
import Testing

/// `estuary check` looks at the folders the config names, as the daemon will use them, and
/// creates none of them.
@Suite struct CheckFoldersTests {
    static let source = """

        [[source]]
        id = "a"
        url = "https://a.example/feed"
        """

    /// A config in a fresh folder with these `[estuary]` and `[metrics]` lines.
    static func config(estuary: String, metrics: String = "") throws -> (folder: URL, file: URL) {
        let folder = try Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("estuary.toml")
        var text = "[estuary]\n\(estuary)\n"
        if !metrics.isEmpty { text += "\n[metrics]\n\(metrics)\n" }
        try (text + source).write(to: file, atomically: true, encoding: .utf8)
        return (folder, file)
    }

    /// The names in `folder`.
    static func contents(_ folder: URL) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    }

    @Test func aFileInAFoldersPlaceAndAMissingTextfileFolderAreErrors() throws {
        let (folder, config) = try Self.config(
            estuary: "state_dir = \"blocker/state\"\noutput_dir = \"public\"", metrics: "textfile = \"node/estuary.prom\"")
        try Data().write(to: folder.appendingPathComponent("blocker"))
        try Data().write(to: folder.appendingPathComponent("public"))
        let run = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(run.status == 78, "\(run.stdout)")
        let path = folder.path
        #expect(
            run.stderr.contains(
                "\(config.path):2: [estuary]: state_dir \"\(path)/blocker/state\": \(path)/blocker is a file, not a folder; remove it or choose another state_dir"
            ), "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "\(config.path):3: [estuary]: output_dir \"\(path)/public\": \(path)/public is a file, not a folder; remove it or choose another output_dir"
            ), "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "\(config.path):6: [metrics]: textfile \"\(path)/node/estuary.prom\": the folder \(path)/node does not exist; create it (estuary does not: it is node_exporter's textfile folder)"
            ), "\(run.stderr)")
        #expect(try Self.contents(folder) == ["estuary.toml", "blocker", "public"])
    }

    /// estuary makes state_dir and output_dir at its first run: missing ones are fine, and check
    /// leaves them missing.
    @Test func missingStateAndOutputFoldersAreFineAndNotMade() throws {
        let (folder, config) = try Self.config(
            estuary: "state_dir = \"state/deep\"\noutput_dir = \"public/river\"", metrics: "textfile = \"estuary.prom\"")
        let run = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
        #expect(run.stdout.contains("state:   \(folder.path)/state/deep (not there yet: made at the first run)"), "\(run.stdout)")
        #expect(try Self.contents(folder) == ["estuary.toml"])
        // What check accepted, a run makes.
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status != 78)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("state/deep").path))
    }

    /// Another user than the service's may run check: a folder it cannot write is a warning, not an error.
    @Test(.enabled(if: StatusCommandTests.canSwitchUser)) func aFolderThisUserCannotWriteIsAWarning() throws {
        let (folder, config) = try Self.config(estuary: "state_dir = \"state\"\noutput_dir = \"public\"")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("state"), withIntermediateDirectories: true)
        #expect(chmod(folder.path, 0o755) == 0 && chmod(config.path, 0o644) == 0)
        let (status, output) = try StatusCommandTests.runAsNobody(["check", "--config", config.path])
        #expect(status == 0, "\(output)")
        #expect(
            output.contains(
                "warning: \(config.path):2: [estuary]: state_dir \"\(folder.path)/state\" is not writable by user nobody (uid 65534), who runs this check"
            ), "\(output)")
        // public does not exist, and the service's user may be able to make it.
        #expect(!output.contains("output_dir"), "\(output)")
    }

    @Test(.enabled(if: Tmpfs.canMount)) func aReadOnlyFileSystemIsAnError() throws {
        let (folder, config) = try Self.config(estuary: "state_dir = \"ro/state\"\noutput_dir = \"ro\"")
        let readOnly = folder.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        try Tmpfs.mount(at: readOnly.path, size: "64k", readOnly: true)
        defer { Tmpfs.unmount(readOnly.path) }
        let run = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(run.status == 78)
        #expect(
            run.stderr.contains(
                "[estuary]: state_dir \"\(readOnly.path)/state\" does not exist and cannot be made: \(readOnly.path) is on a read-only file system"
            ), "\(run.stderr)")
        #expect(
            run.stderr.contains("[estuary]: output_dir \"\(readOnly.path)\" is on a read-only file system"), "\(run.stderr)")
    }
}

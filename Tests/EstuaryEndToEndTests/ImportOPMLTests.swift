import EstuaryTestSupport
import Foundation
import Testing

/// `estuary import-opml`: feeds from another reader, added beside the operator's config.
@Suite struct ImportOPMLTests {
    static let fixture = Fixtures.repository.appendingPathComponent("Tests/EstuaryParseTests/Fixtures/subscriptions.opml")

    /// A config file in its own folder, written as an operator might: comments, alignment, blank lines.
    func writeConfig(_ text: String) throws -> URL {
        let config = try Fixtures.temporaryFolder().appendingPathComponent("estuary.toml")
        try text.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    static let operatorConfig = """
        # Estuary at example.org -- hand-written, keep the comments!
        [estuary]
        state_dir  = "state"      # aligned on purpose
        output_dir = "public"


        [[source]]
        id  = "lwn"
        url = 'https://lwn.net/headlines/rss'   # literal string
        tags = [ "linux" ,"news" ]

        [[output]]
        name = "river"
        """

    func importOPML(_ config: URL, _ file: URL, _ extra: [String] = []) throws -> EstuaryBinary.Run {
        try EstuaryBinary.run(["import-opml", "--config", config.path] + extra + [file.path])
    }

    @Test func addsNewFeedsBesideAnUntouchedConfigAndImportingAgainAddsNothing() throws {
        let config = try writeConfig(Self.operatorConfig)
        let before = try Data(contentsOf: config)
        let dropIn = config.deletingLastPathComponent().appendingPathComponent("estuary.d/opml-import.toml")

        let first = try importOPML(config, Self.fixture)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.isEmpty)
        #expect(
            first.stderr.contains(
                "imported 4 feeds into \(dropIn.path) (2 already configured, 2 without xmlUrl skipped)\n"),
            "\(first.stderr)")
        #expect(first.stderr.contains("systemctl reload estuary"))
        #expect(try Data(contentsOf: config) == before)

        let check = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(check.status == 0, "\(check.stderr)")
        let sources = check.stdout.components(separatedBy: "sources:\n")[1].components(separatedBy: "outputs:")[0]
            .split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(
            sources == [
                "lwn https://lwn.net/headlines/rss [linux, news]",
                "phoronix-friends https://www.phoronix.com/rss.php \"Phoronix & friends\" [Tech-News, Linux]",
                "ars-technica https://feeds.arstechnica.com/arstechnica/index \"Ars Technica\" [Tech-News, Science, Space, reading]",
                "planet https://planet.example.org/atom.xml \"Pl\u{E4}net\" [Cafe-Creme]",
                "blog.example.net https://blog.example.net/feed/",
            ], "\(check.stdout)")

        // Again: nothing new, nothing written.
        let written = try Data(contentsOf: dropIn)
        let again = try importOPML(config, Self.fixture)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("imported 0 feeds into \(dropIn.path) (6 already configured, 2 without xmlUrl skipped"))
        #expect(try Data(contentsOf: dropIn) == written)

        // A new feed is appended; what the file held stays byte for byte.
        let more = config.deletingLastPathComponent().appendingPathComponent("more.opml")
        try """
        <opml version="2.0"><body><outline text="Back\\slash &quot;quoted&quot;" xmlUrl="https://new.example/feed"/>
        <outline text="LWN" xmlUrl="https://LWN.net/headlines/rss"/></body></opml>
        """.write(to: more, atomically: true, encoding: .utf8)
        let third = try importOPML(config, more)
        #expect(third.status == 0, "\(third.stderr)")
        let appended = try Data(contentsOf: dropIn)
        #expect(appended.starts(with: written))
        #expect(
            String(decoding: appended.dropFirst(written.count), as: UTF8.self)
                == "\n# imported from \(more.path)\n\n[[source]]\nid = \"back-slash-quoted\"\nurl = \"https://new.example/feed\"\ntitle = \"Back\\\\slash \\\"quoted\\\"\"\n"
        )
        #expect(try EstuaryBinary.run(["check", "--config", config.path]).stdout.contains("Back\\slash \"quoted\""))
        #expect(try Data(contentsOf: config) == before)
    }

    @Test func exportThenImportIntoAnEmptyConfigGivesTheSameSources() throws {
        let original = try writeConfig(
            """
            [estuary]
            state_dir = "state"

            [[source]]
            id = "lwn"
            url = "https://lwn.net/headlines/rss"
            title = "LWN.net"
            tags = ["linux", "news"]

            [[source]]
            id = "quotes"
            url = "http://blog.example.com/feed?format=atom&lang=en"
            title = "Quotes \\"&\\" <angles>"

            [[source]]
            id = "photos"
            url = "https://photos.example.org/rss/"
            title = "Photos"
            tags = ["Photo.Journal"]

            [[source]]
            id = "local"
            url = "file:feeds/local.xml"
            title = "Local (not exported)"
            """)
        let exported = try EstuaryBinary.run(["export-opml", "--config", original.path])
        #expect(exported.status == 0, "\(exported.stderr)")
        let file = original.deletingLastPathComponent().appendingPathComponent("sources.opml")
        try exported.stdout.write(to: file, atomically: true, encoding: .utf8)

        let empty = try writeConfig("[estuary]\nstate_dir = \"state\"\n\n[[output]]\nname = \"river\"\n")
        let imported = try importOPML(empty, file)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("imported 3 feeds"), "\(imported.stderr)")
        #expect(try EstuaryBinary.run(["check", "--config", empty.path]).status == 0)

        let again = try EstuaryBinary.run(["export-opml", "--config", empty.path])
        #expect(again.status == 0, "\(again.stderr)")
        let opml = ExportOPMLTests()
        #expect(try opml.outlines(again.stdout) == opml.outlines(exported.stdout))
        #expect(try opml.outlines(again.stdout).count == 3)
    }

    @Test func aDryRunPrintsTheTOMLAndWritesNothing() throws {
        let config = try writeConfig(Self.operatorConfig)
        let run = try importOPML(config, Self.fixture, ["--dry-run", "--into", "reader"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("would import 4 feeds into \(config.deletingLastPathComponent().path)/estuary.d/reader.toml"))
        #expect(run.stdout.hasPrefix("# Sources added by `estuary import-opml`."))
        #expect(
            run.stdout.contains("[[source]]\nid = \"ars-technica\"\nurl = \"https://feeds.arstechnica.com/arstechnica/index\"\n"))
        #expect(
            !FileManager.default.fileExists(atPath: config.deletingLastPathComponent().appendingPathComponent("estuary.d").path))
    }

    @Test(arguments: [
        ("<opml version=\"2.0\"><body><outline text=\"a\" xmlUrl=\"https://a.example/\">", "not well-formed XML at line"),
        ("<rss version=\"2.0\"><channel><title>A feed</title></channel></rss>", "not OPML: the root element is <rss>"),
    ])
    func aBrokenOrForeignFileExits65NamingItAndWritesNothing(text: String, reason: String) throws {
        let config = try writeConfig(Self.operatorConfig)
        let file = config.deletingLastPathComponent().appendingPathComponent("list.opml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let run = try importOPML(config, file)
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("\(file.path): \(reason)"), "\(run.stderr)")
        #expect(
            !FileManager.default.fileExists(atPath: config.deletingLastPathComponent().appendingPathComponent("estuary.d").path))

        let missing = try importOPML(config, file.appendingPathExtension("gone"))
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("cannot read the file"))
    }

    /// The error named is the first one, where the file goes wrong, not what libxml2 said last.
    @Test func aBrokenFileIsReportedAtItsFirstError() throws {
        let config = try writeConfig(Self.operatorConfig)
        let file = config.deletingLastPathComponent().appendingPathComponent("list.opml")
        let outlines = (1...50).map { "<outline text=\"x\($0)\" xmlUrl=\"https://x\($0).example/feed\"/>" }
        try
            ("<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n<outline text=\"A\" text=\"B\" xmlUrl=\"https://a.example/\"/>\n"
            + outlines.joined(separator: "\n") + "\n</body></opml>\n").write(to: file, atomically: true, encoding: .utf8)
        let run = try importOPML(config, file)
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("\(file.path): not well-formed XML at line 3: Attribute text redefined"), "\(run.stderr)")
        // A folder named as the list says so.
        let folder = config.deletingLastPathComponent().appendingPathComponent("folder.opml")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let notFile = try importOPML(config, folder)
        #expect(notFile.stderr.contains("cannot read the file (it is a folder)"), "\(notFile.stderr)")
    }

    /// The drop-in folder is readable by the daemon's own user, whatever the importing shell's umask.
    @Test func theDropInFolderIgnoresATightUmask() throws {
        let config = try writeConfig(Self.operatorConfig)
        let (status, output) = try ExternalTool.run(
            "/bin/sh",
            [
                "-c", "umask 027 && exec \"$0\" import-opml --config \"$1\" \"$2\"", EstuaryBinary.url.path, config.path,
                Self.fixture.path,
            ])
        #expect(status == 0, "\(String(decoding: output, as: UTF8.self))")
        let folder = config.deletingLastPathComponent().appendingPathComponent("estuary.d").path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int)
        #expect(mode == 0o755, "\(String(mode, radix: 8))")
    }

    @Test func anInvalidConfigExits78BeforeReadingTheList() throws {
        let config = try writeConfig("[[source]]\nid = \"a\"\nurl = \"htp:/a\"\n")
        let run = try importOPML(config, Self.fixture)
        #expect(run.status == 78)
        #expect(run.stderr.hasPrefix("\(config.path):3: [[source]] \"a\": url"), "\(run.stderr)")
    }

    @Test func helpHasAnExample() throws {
        let help = try EstuaryBinary.run(["import-opml", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("estuary import-opml --config /etc/estuary/estuary.toml subscriptions.opml"))
        #expect(try EstuaryBinary.run(["--help"]).stdout.contains("import-opml"))
    }
}

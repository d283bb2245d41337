import EstuaryCore
import EstuaryTestSupport
import Foundation
import Testing

/// `estuary.d/*.toml`: sources added beside the config file.
@Suite struct ConfigDropInTests {
    /// A folder with `estuary.toml` (`main`) and, in `estuary.d`, the given files.
    func write(main: String, dropIns: [String: String]) throws -> String {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("estuary.toml").path
        try main.write(toFile: path, atomically: true, encoding: .utf8)
        let dropInFolder = folder.appendingPathComponent("estuary.d")
        try FileManager.default.createDirectory(at: dropInFolder, withIntermediateDirectories: true)
        for (name, text) in dropIns {
            try text.write(to: dropInFolder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return path
    }

    static let main = """
        # the operator's file
        [[source]]
        id = "lwn"
        url = "https://lwn.net/headlines/rss"

        """

    @Test func theFolderIsTheFileNameWithoutTOMLAndD() {
        #expect(ConfigLoader.dropInFolder(of: "/etc/estuary/estuary.toml") == "/etc/estuary/estuary.d")
        #expect(ConfigLoader.dropInFolder(of: "/srv/planet.conf") == "/srv/planet.conf.d")
    }

    @Test func dropInSourcesFollowTheMainFileInNameOrderWithPathsFromTheirFolder() throws {
        let path = try write(
            main: Self.main,
            dropIns: [
                "20-b.toml": "[[source]]\nid = \"b\"\nurl = \"file:b.xml\"\n",
                "10-a.toml":
                    "[[source]]\nid = \"a1\"\nurl = \"https://a.example/1\"\n\n[[source]]\nid = \"a2\"\nurl = \"https://a.example/2\"\n",
                "a.toml": "[[source]]\nid = \"lower\"\nurl = \"https://lower.example/\"\n",
                "Z.toml": "# by bytes, upper case before lower case\n[[source]]\nid = \"z\"\nurl = \"https://z.example/\"\n",
                ".hidden.toml": "[[source]]\nid = \"hidden\"\nurl = \"https://h.example/\"\n",
                "notes.txt": "not toml at all [",
                "empty.toml": "# nothing yet\n",
            ])
        let config = try ConfigLoader().load(path: path)
        #expect(config.sources.map(\.id) == ["lwn", "a1", "a2", "b", "z", "lower"])
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("estuary.d")
        #expect(config.sources[3].url == URL(fileURLWithPath: folder.appendingPathComponent("b.xml").path))
        #expect(config.file == path)
    }

    @Test func duplicateIdsAcrossFilesNameBothPlaces() throws {
        let path = try write(
            main: Self.main,
            dropIns: [
                "a.toml":
                    "[[source]]\nid = \"x\"\nurl = \"https://x.example/\"\n\n[[source]]\nid = \"lwn\"\nurl = \"https://y.example/\"\n"
            ])
        #expect(
            throws: ConfigError(
                file: dropInPath(path, "a.toml"), line: 6, section: "[[source]] \"lwn\"",
                message: "duplicate source id \"lwn\" (also at \(path):3; each [[source]] needs its own id)")
        ) {
            try ConfigLoader().load(path: path)
        }

        let second = try write(
            main: Self.main,
            dropIns: [
                "a.toml": "[[source]]\nid = \"x\"\nurl = \"https://x.example/\"\n",
                "b.toml": "\n[[source]]\nid = \"x\"\nurl = \"https://x.example/2\"\n",
            ])
        #expect(
            throws: ConfigError(
                file: dropInPath(second, "b.toml"), line: 3, section: "[[source]] \"x\"",
                message: "duplicate source id \"x\" (also at \(dropInPath(second, "a.toml")):2; each [[source]] needs its own id)"
            )
        ) {
            try ConfigLoader().load(path: second)
        }
    }

    func dropInPath(_ main: String, _ name: String) -> String {
        ConfigLoader.dropInFolder(of: main) + "/" + name
    }

    static let errorCases: [(String, String)] = [
        (
            "[[source]]\nid = \"a\"\nurl = \"https://a.example/\"\n\n[estuary]\nstate_dir = \"/tmp\"\n",
            "5: a drop-in file holds only [[source]] sections; \"estuary\" belongs in MAIN"
        ),
        ("[[output]]\nname = \"river\"\n", "1: a drop-in file holds only [[source]] sections; \"output\" belongs in MAIN"),
        ("interval = \"1h\"\n", "1: a drop-in file holds only [[source]] sections; \"interval\" belongs in MAIN"),
        (
            "[[source]]\nid = \"a\"\nurl = \"https://a.example/\"\ncolour = \"red\"\n",
            "4: [[source]] \"a\": unknown key \"colour\" (known keys: \"id\", \"url\", \"title\", \"tags\", \"headers\", \"username\", \"password_file\", \"password_env\", \"tls_verify\", \"ca_file\", \"max_items\", \"max_age\", \"interval\")"
        ),
        (
            "# c\n[[source]]\nid = \"a\"\nurl = \"htp:/a\"\n",
            "4: [[source]] \"a\": url \"htp:/a\" is not an http, https or file URL"
        ),
        (
            "[[source]]\nurl = \"https://a.example/\"\n",
            "1: [[source]] #1: missing key \"id\" (a short unique name such as \"lwn\")"
        ),
    ]

    @Test(arguments: errorCases)
    func errorsInADropInNameItsFileLineSectionAndKey(text: String, expected: String) throws {
        let path = try write(main: Self.main, dropIns: ["feeds.toml": text])
        do {
            _ = try ConfigLoader().load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(
                error.description == dropInPath(path, "feeds.toml") + ":" + expected.replacingOccurrences(of: "MAIN", with: path))
        }
    }

    @Test func aSyntaxErrorInADropInNamesIt() throws {
        let path = try write(main: Self.main, dropIns: ["feeds.toml": "[[source]]\nid = \"a\"\nurl = \"https://a.example/\n"])
        do {
            _ = try ConfigLoader().load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.file == dropInPath(path, "feeds.toml"))
            #expect(error.line == 3)
            #expect(error.message.hasPrefix("TOML syntax error"))
        }
    }

    @Test func sourcesMayAllBeInDropInsButSomeFileMustHaveOne() throws {
        let noSources = "[estuary]\nstate_dir = \"state\"\n"
        let path = try write(main: noSources, dropIns: ["feeds.toml": "[[source]]\nid = \"a\"\nurl = \"https://a.example/\"\n"])
        #expect(try ConfigLoader().load(path: path).sources.map(\.id) == ["a"])

        let empty = try write(main: noSources, dropIns: ["feeds.toml": "# none\n"])
        #expect(throws: ConfigError.self) { try ConfigLoader().load(path: empty) }
        #expect(try ConfigLoader().load(path: empty, dropIns: nil, requireSources: false).sources.isEmpty)
    }

    @Test func givenDropInsReplaceTheFolder() throws {
        let path = try write(main: Self.main, dropIns: ["a.toml": "[[source]]\nid = \"a\"\nurl = \"https://a.example/\"\n"])
        let read = try ConfigLoader.readDropIns(of: path)
        #expect(read.map(\.path) == [dropInPath(path, "a.toml")])
        let other = ConfigLoader.DropIn(
            path: dropInPath(path, "b.toml"), text: "[[source]]\nid = \"b\"\nurl = \"https://b.example/\"\n")
        #expect(try ConfigLoader().load(path: path, dropIns: [other]).sources.map(\.id) == ["lwn", "b"])
    }

    @Test func withoutAFolderThereAreNoDropIns() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("estuary.toml").path
        try Self.main.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try ConfigLoader.readDropIns(of: path).isEmpty)
        #expect(try ConfigLoader().load(path: path).sources.map(\.id) == ["lwn"])
    }
}

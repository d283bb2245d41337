import EstuaryTestSupport
import Foundation
import Testing

/// The merged Atom feed against RFC 4287's own RELAX NG schema (Appendix B), with xmllint and
/// jing from Debian's packages. scripts/test.sh fetches the schema (scripts/atom-schema.sh) and
/// names it in $ESTUARY_ATOM_RNG; run alone, `ESTUARY_ATOM_RNG=$(scripts/atom-schema.sh) swift test`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ESTUARY_ATOM_RNG"] != nil))
struct AtomSchemaTests {
    static var schema: String { ProcessInfo.processInfo.environment["ESTUARY_ATOM_RNG"] ?? "" }

    /// Exit status and output of a validator on `file`.
    static func validate(_ tool: String, _ file: URL) throws -> (Int32, String) {
        let arguments =
            tool == "xmllint" ? ["xmllint", "--noout", "--relaxng", schema, file.path] : ["jing", schema, file.path]
        let (status, output) = try ExternalTool.run("/usr/bin/env", arguments)
        return (status, String(decoding: output, as: UTF8.self))
    }

    /// The Atom outputs of the bundled demo feeds (xhtml and html content, xml:base, enclosures,
    /// categories, an ISO-8859-1 podcast, a cross-source duplicate) and of the seed feeds.
    static func atomOutput() throws -> URL {
        let folder = try Fixtures.temporaryFolder()
        let feeds = try FileManager.default.contentsOfDirectory(atPath: Fixtures.demoFeeds.path).filter { $0.hasSuffix(".xml") }
        let sources = feeds.sorted().enumerated().map { index, name in
            "[[source]]\nid = \"s\(index)\"\nurl = \"\(Fixtures.demoFeeds.appendingPathComponent(name).absoluteString)\"\n"
        }
        let config = folder.appendingPathComponent("estuary.toml")
        try """
        [estuary]
        state_dir = "state"
        output_dir = "public"

        \(sources.joined(separator: "\n"))
        [[output]]
        name = "river"
        formats = ["atom"]
        link = "https://planet.example.org/river.atom"
        """.write(to: config, atomically: true, encoding: .utf8)
        let run = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")
        return folder.appendingPathComponent("public/river.atom")
    }

    @Test(arguments: ["xmllint", "jing"])
    func theMergedAtomFeedIsValidAgainstRFC4287sSchema(validator: String) throws {
        let atom = try Self.atomOutput()
        let (status, output) = try Self.validate(validator, atom)
        #expect(status == 0, "\(output)")
        // The validator is not a rubber stamp: the same file without an entry's id is refused.
        let text = try String(contentsOf: atom, encoding: .utf8)
        let entry = try #require(text.range(of: "<entry>"))
        let id = try #require(
            text.range(of: #"<id>[^<]*</id>"#, options: .regularExpression, range: entry.upperBound..<text.endIndex))
        let broken = atom.deletingLastPathComponent().appendingPathComponent("broken.atom")
        try text.replacingCharacters(in: id, with: "").write(to: broken, atomically: true, encoding: .utf8)
        #expect(try Self.validate(validator, broken).0 != 0)
    }

    /// The schema's two Schematron-style rules, which RELAX NG cannot express: every entry has an
    /// author (its own, or its atom:source's) unless the feed has one, and every entry has an
    /// alternate link or a content.
    @Test func theRulesTheSchemaLeavesToProseHold() throws {
        let atom = try Self.atomOutput()
        let script = """
            import sys, xml.etree.ElementTree as ET
            A = "{http://www.w3.org/2005/Atom}"
            feed = ET.parse(sys.argv[1]).getroot()
            entries = feed.findall(A + "entry")
            assert entries, "no entries"
            feed_author = feed.find(A + "author") is not None
            for e in entries:
                author = e.find(A + "author") is not None or e.find(A + "source/" + A + "author") is not None
                assert author or feed_author, "an entry without an author: " + e.findtext(A + "id")
                alternate = any(l.get("rel", "alternate") == "alternate" for l in e.findall(A + "link"))
                assert alternate or e.find(A + "content") is not None, "an entry without link or content"
            print(len(entries))
            """
        let (status, output) = try ExternalTool.run("/usr/bin/env", ["python3", "-c", script, atom.path])
        #expect(status == 0, "\(String(decoding: output, as: UTF8.self))")
    }
}

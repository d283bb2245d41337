import EstuaryTestSupport
import Foundation
import Testing

/// `estuary export-opml`: the config's sources for another reader.
@Suite struct ExportOPMLTests {
    /// The outlines' attributes, as Python's XML parser reads them (it fails on a document that is not well-formed).
    func outlines(_ text: String) throws -> [[String: String]] {
        let file = try Fixtures.temporaryFolder().appendingPathComponent("sources.opml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let script = """
            import json, sys, xml.dom.minidom
            doc = xml.dom.minidom.parse(sys.argv[1])
            print(json.dumps([dict(o.attributes.items()) for o in doc.getElementsByTagName("outline")]))
            """
        let (status, output) = try ExternalTool.run("/usr/bin/env", ["python3", "-c", script, file.path], mergingStderr: false)
        #expect(status == 0, "not well-formed: \(text)")
        return try #require(try JSONSerialization.jsonObject(with: output) as? [[String: String]])
    }

    @Test func listsEverySourceBeforeAndAfterAFetchAndChangesNothing() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(
            in: folder, server: server, extraSources: "tags = [\"photo\", \"news\"]\n")

        // No state yet: the config's ids stand in for titles, and no state folder appears.
        let before = try EstuaryBinary.run(["export-opml", "--config", config.path])
        #expect(before.status == 0, "\(before.stderr)")
        let cold = try outlines(before.stdout)
        #expect(cold.map { $0["xmlUrl"] } == ["\(server.baseURL)/wordpress/feed/", "\(server.baseURL)/planet/atom.xml"])
        #expect(cold.map { $0["text"] } == ["photo-journal", "planet"])
        #expect(cold[1]["category"] == "photo,news")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("state").path))

        // After a cycle: the feeds' own titles and site links.
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let after = try outlines(try EstuaryBinary.run(["export-opml", "--config", config.path]).stdout)
        #expect(after.count == 2)
        #expect(after.allSatisfy { $0["text"] != nil && $0["text"] != "photo-journal" && $0["text"] != "planet" }, "\(after)")
        #expect(after.allSatisfy { $0["htmlUrl"]?.hasPrefix("http") == true }, "\(after)")
    }
}

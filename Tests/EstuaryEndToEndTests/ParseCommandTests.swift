import EstuaryTestSupport
import Foundation
import Testing

/// `estuary parse --jsonl`, the interface the conformance harness reads.
@Suite struct ParseCommandTests {
    @Test func printsOneLinePerFileInOrderAndGoesOnAfterAnError() throws {
        let folder = try Fixtures.temporaryFolder()
        let broken = folder.appendingPathComponent("page.html")
        try "<html><body>not a feed</body></html>".write(to: broken, atomically: true, encoding: .utf8)
        let rss = Fixtures.demoFeeds.appendingPathComponent("wordpress-rss2.xml").path
        let atom = Fixtures.demoFeeds.appendingPathComponent("planet-atom.xml").path

        let run = try EstuaryBinary.run(["parse", "--jsonl", rss, broken.path, "missing.xml", atom])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.map { $0["source"] as? String } == [rss, broken.path, "missing.xml", atom])
        #expect(records[0]["format"] as? String == "rss20")
        #expect(records[0]["wellFormed"] as? Bool == true)
        #expect((records[1]["error"] as? String)?.hasPrefix("not a feed") == true)
        #expect(records[2]["error"] as? String == "read: cannot read the file")
        #expect(records[3]["format"] as? String == "atom10")
        let items = try #require(records[3]["items"] as? [[String: Any]])
        // Every key of the record is present, null when absent.
        #expect(
            Set(items[0].keys) == [
                "id", "link", "title", "author", "published", "updated", "summary", "content", "enclosures", "categories",
            ])
        #expect(
            items[0]["link"] as? String
                == "https://photo-journal.example.org/2017/12/04/cchr-allowed-continue-promoting-human-rights-in-cambodia/?utm_source=planet&utm_medium=rss"
        )
    }
}

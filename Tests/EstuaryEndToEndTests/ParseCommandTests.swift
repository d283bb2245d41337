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
        #expect(records[2]["error"] as? String == "read: cannot read the file (No such file or directory)")
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

    /// A file whose size is far over the limit (sparse: 64 GiB that take no room) is refused
    /// without reading or allocating it, and a FIFO is refused without waiting for a writer.
    @Test func hugeFilesAndFIFOsAreRefusedNotRead() throws {
        let folder = try Fixtures.temporaryFolder()
        let huge = folder.appendingPathComponent("huge.xml").path
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 64 << 30) == 0)
        let fifo = folder.appendingPathComponent("fifo.xml").path
        #expect(mkfifo(fifo, 0o600) == 0)

        let run = try EstuaryBinary.run(["parse", "--jsonl", "--max-bytes", "1000", huge, fifo])
        #expect(run.status == 1)
        let records = try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(
            records.map { $0["error"] as? String } == [
                "read: the document is larger than 1000 bytes; not parsed",
                "read: cannot read the file (it is a FIFO, a socket or a device, not a regular file)",
            ])
    }

    /// Small files are parsed on every core at once, a large one streams alone: the lines still come
    /// out in the order of the arguments, one per file.
    @Test func manyFilesOfMixedSizesKeepTheirOrder() throws {
        let folder = try Fixtures.temporaryFolder()
        func feed(_ n: Int, items: Int) throws -> String {
            let body = String(repeating: "words of item \(n) ", count: 40)
            let entries = (0..<items).map { "<item><title>Feed \(n) item \($0)</title><description>\(body)</description></item>" }
            let path = folder.appendingPathComponent("feed-\(n).xml").path
            try "<rss version=\"2.0\"><channel><title>Feed \(n)</title>\(entries.joined())</channel></rss>"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        // Sizes that finish out of order; file 20 is over the 4 MiB the parallel path takes.
        let counts: [Int] = (0..<41).map { n in n == 20 ? 6000 : (n * 37) % 300 + 1 }
        let paths = try counts.indices.map { n in try feed(n, items: counts[n]) }
        let run = try EstuaryBinary.run(["parse", "--jsonl"] + paths)
        #expect(run.status == 0)
        let records = try run.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.map { $0["source"] as? String } == paths)
        let itemCounts: [Int?] = records.map { ($0["items"] as? [Any])?.count }
        #expect(itemCounts == counts)
    }
}

import EstuaryTestSupport
import Foundation
import Testing

/// Hostile documents, parsed by the real executable so its memory can be measured.
@Suite struct ParserSafetyTests {
    /// Parses `text` in a child process; returns its record and the peak memory it reports.
    func parseInChild(_ text: String) throws -> (record: String, peakBytes: Int) {
        let folder = try Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("hostile.xml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let run = try EstuaryBinary.run(["parse", "--jsonl", "--stats", file.path])
        // "parse: 1 files, N bytes, T, peak memory M MiB"
        let mebibytes = run.stderr.split(separator: "peak memory ").last.flatMap { Int($0.split(separator: " ")[0]) }
        return (run.stdout, (mebibytes ?? Int.max >> 20) << 20)
    }

    @Test func billionLaughsIsRejectedFastWithLittleMemory() throws {
        var dtd = "<!ENTITY lol \"lol\">"
        for level in 1...9 {
            let previous = level == 1 ? "lol" : "lol\(level - 1)"
            dtd += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">"
        }
        let text =
            "<?xml version=\"1.0\"?><!DOCTYPE rss [\(dtd)]><rss version=\"2.0\"><channel><item><title>&lol9;</title></item></channel></rss>"
        let started = ContinuousClock.now
        let (record, peak) = try parseInChild(text)
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(!record.contains("lollollol"))
        #expect(peak < 64 << 20, "peak \(peak >> 20) MiB")
    }

    @Test func quadraticBlowupStaysUnder64MiB() throws {
        // One 50 KB entity referenced 4000 times: 200 MB if expanded.
        let entity = String(repeating: "x", count: 50_000)
        let refs = String(repeating: "&e;", count: 4000)
        let text =
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY e \"\(entity)\">]><rss version=\"2.0\"><channel><item><title>t</title><description>\(refs)</description></item></channel></rss>"
        let (record, peak) = try parseInChild(text)
        #expect(record.utf8.count < 1 << 20)
        #expect(peak < 64 << 20, "peak \(peak >> 20) MiB")
    }

    @Test func externalEntitiesNeverReadLocalFiles() throws {
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>
            <rss version="2.0"><channel><title>&xxe;</title><item><title>&xxe;</title></item></channel></rss>
            """
        let (record, _) = try parseInChild(text)
        #expect(!record.contains("root:"))
    }
}

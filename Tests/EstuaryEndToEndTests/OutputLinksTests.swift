import EstuaryTestSupport
import Foundation
import Testing

/// Every address in the merged feeds opens what its own feed meant, wherever the feed was read from.
@Suite struct OutputLinksTests {
    /// A local file has no web address: its relative links resolve against its own site's, or a
    /// reader of the merged feed would resolve them against the aggregator's (a podcast mirror
    /// with `/media/ep11.mp3` on its own host).
    @Test func aLocalFilesRelativeLinksResolveAgainstItsSite() throws {
        let (folder, config) = try Fixtures.config(
            """
            [[source]]
            id = "podcast"
            url = "file:podcast.xml"

            [[source]]
            id = "notes"
            url = "file:notes.xml"

            [[source]]
            id = "nowhere"
            url = "file:nowhere.xml"

            [[output]]
            name = "river"
            formats = ["atom", "rss", "jsonfeed", "json"]
            """)
        try Data(try Fixtures.demoFeed("harbour-podcast-rss2.xml")).write(to: folder.appendingPathComponent("podcast.xml"))
        try """
        <?xml version="1.0"?>
        <rss version="2.0"><channel><title>Notes</title><link>https://notes.example/blog/</link><description>d</description>
        <item><title>Relative</title><link>posts/1</link><guid>tag:notes.example,2024:1</guid>
        <description>&lt;p&gt;&lt;img src="/img/a.png" alt="a"&gt; &lt;a href="../about"&gt;about&lt;/a&gt;&lt;/p&gt;</description></item>
        </channel></rss>
        """.write(to: folder.appendingPathComponent("notes.xml"), atomically: true, encoding: .utf8)
        // No site to resolve against: kept as it is.
        try """
        <?xml version="1.0"?>
        <rss version="2.0"><channel><title>Nowhere</title><description>d</description>
        <item><title>Lost</title><link>/lost</link><guid>tag:nowhere.example,2024:1</guid></item>
        </channel></rss>
        """.write(to: folder.appendingPathComponent("nowhere.xml"), atomically: true, encoding: .utf8)
        let run = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")

        let read = { (name: String) in
            try String(contentsOf: folder.appendingPathComponent("public/\(name)"), encoding: .utf8)
        }
        let atom = try read("river.atom")
        #expect(atom.contains("<link rel=\"enclosure\" href=\"https://harbour.example.net/media/ep11.mp3\""))
        #expect(atom.contains("<link rel=\"alternate\" href=\"https://notes.example/blog/posts/1\"/>"))
        #expect(atom.contains("src=&quot;https://notes.example/img/a.png&quot;"))
        #expect(atom.contains("href=&quot;https://notes.example/about&quot;"))
        #expect(atom.contains("<link rel=\"alternate\" href=\"/lost\"/>"))
        #expect(try read("river.rss").contains("<enclosure url=\"https://harbour.example.net/media/ep11.mp3\""))
        #expect(try read("river.feed.json").contains("\"url\" : \"https://harbour.example.net/media/ep11.mp3\""))
        #expect(try read("river.json").contains("\"url\" : \"https://harbour.example.net/media/ep11.mp3\""))
        #expect(!atom.contains("\"/media/"))
    }
}

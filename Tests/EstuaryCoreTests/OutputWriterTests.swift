import EstuaryTestSupport
import Foundation
import Testing

@testable import EstuaryCore

@Suite struct OutputWriterTests {
    static let source = SourceConfig(id: "blog", url: URL(string: "https://blog.example/feed")!, title: "A <Blog>")
    static let article = StoredArticle(
        sourceID: "blog", key: "id:42",
        item: FeedItem(
            id: "42", link: "https://blog.example/42?a=1&b=2", title: "Fish & \"chips\" <3", author: nil,
            published: Date(timeIntervalSince1970: 1_700_000_000), content: "<p>Hello\u{1}</p>",
            enclosures: [Enclosure(url: "https://blog.example/42.mp3", type: "audio/mpeg", length: 1000)],
            categories: ["food"]),
        firstSeen: Date(timeIntervalSince1970: 1_700_000_100))

    func write(formats: [OutputFormat], into folder: URL) throws -> [String] {
        try OutputWriter().write(
            output: OutputConfig(name: "river", formats: formats, maxItems: 10),
            articles: [Self.article], sources: [Self.source],
            statuses: [
                SourceStatus(id: "blog", url: "https://blog.example/feed", feedTitle: "Blog", feedLink: "https://blog.example/")
            ],
            directory: folder.path, generated: Date(timeIntervalSince1970: 1_700_000_200))
    }

    @Test func writesAtomWithEscapingAStableIDAndTheSourceAttributed() throws {
        let folder = try Fixtures.temporaryFolder()
        let files = try write(formats: [.atom], into: folder)
        #expect(files == [folder.appendingPathComponent("river.atom").path])
        let atom = try String(contentsOfFile: files[0], encoding: .utf8)
        #expect(atom.contains("<title type=\"text\">Fish &amp; &quot;chips&quot; &lt;3</title>"))
        #expect(atom.contains("<link rel=\"alternate\" href=\"https://blog.example/42?a=1&amp;b=2\"/>"))
        // "42" is not an IRI: the entry gets a stable URN instead.
        #expect(atom.contains("<id>urn:uuid:"))
        #expect(atom.contains("<published>2023-11-14T22:13:20Z</published>"))
        // No author in the item: the source's title stands in, as Atom requires one.
        #expect(atom.contains("<author><name>A &lt;Blog&gt;</name></author>"))
        #expect(atom.contains("<content type=\"html\">&lt;p&gt;Hello&lt;/p&gt;</content>"))
        #expect(
            atom.contains("<link rel=\"enclosure\" href=\"https://blog.example/42.mp3\" type=\"audio/mpeg\" length=\"1000\"/>"))
        #expect(atom.contains("<source>"))
        #expect(atom.contains("<link rel=\"self\" href=\"https://blog.example/feed\"/>"))
        #expect(atom.contains("<updated>2023-11-14T22:13:20Z</updated>"))

        let again = try write(formats: [.atom], into: folder)
        #expect(try String(contentsOfFile: again[0], encoding: .utf8) == atom)
    }

    /// A feed's links reach hrefs in every output: only web addresses and relative references pass.
    @Test func linksThatAreNotWebAddressesAreDroppedFromEveryOutput() throws {
        let folder = try Fixtures.temporaryFolder()
        let hostile = [
            "javascript:alert(document.cookie)", " JaVa\tScRiPt:alert(1)", "data:text/html,<script>x</script>",
            "file:///etc/passwd", "vbscript:msgbox",
        ]
        var articles = hostile.enumerated().map { index, link in
            StoredArticle(
                sourceID: "blog", key: "id:\(index)", item: FeedItem(id: "\(index)", link: link, title: "Item \(index)"),
                firstSeen: Date(timeIntervalSince1970: 1_700_000_000))
        }
        articles[0].item.enclosures = [Enclosure(url: "javascript:void(0)", type: "audio/mpeg")]
        articles[1].alternates = [.init(sourceID: "planet", key: "k", link: "javascript:alert(2)")]
        articles.append(
            StoredArticle(
                sourceID: "blog", key: "id:ok", item: FeedItem(id: "ok", link: "/relative/post", title: "Relative"),
                firstSeen: Date(timeIntervalSince1970: 1_700_000_000)))
        let files = try OutputWriter().write(
            output: OutputConfig(name: "river", formats: [.atom, .rss, .jsonfeed, .html, .json], maxItems: 10),
            articles: articles, sources: [Self.source],
            statuses: [SourceStatus(id: "blog", url: "https://blog.example/feed", feedLink: "javascript:alert(3)")],
            directory: folder.path, generated: Date(timeIntervalSince1970: 1_700_000_200))
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8).lowercased()
            for scheme in ["javascript:", "script:", "data:", "file:", "vbscript:"] {
                #expect(!text.contains(scheme), "\(file) has \(scheme)")
            }
            #expect(text.contains("/relative/post"), "\(file)")
        }
    }

    /// An item id with a scheme that runs or reads something is replaced by the item's URN; ids
    /// of every other scheme (tag:, urn:, yt:, http:) are kept as the feed gave them.
    @Test func activeSchemeIDsAreNotPublished() {
        func id(_ given: String) -> String {
            StableID.item(StoredArticle(sourceID: "blog", key: "id:\(given)", item: FeedItem(id: given), firstSeen: Date()))
        }
        for given in ["javascript:alert('id')", "JavaScript:alert(1)", "data:text/html,x", "file:///etc/passwd"] {
            #expect(id(given).hasPrefix("urn:uuid:"), "\(given)")
        }
        for given in ["tag:blog.example,2024:1", "urn:isbn:0451450523", "yt:video:abc", "https://blog.example/1"] {
            #expect(id(given) == given)
        }
    }

    /// `estuary export-opml` writes the stored site links itself, outside the output writer: a
    /// feed's `javascript:` site link must not become the outline's `htmlUrl` there either.
    @Test func exportedOPMLCarriesOnlyWebSiteLinks() {
        let other = SourceConfig(id: "other", url: URL(string: "https://other.example/feed")!)
        let document = OPMLWriter(
            title: "Export", sources: [Self.source, other],
            statuses: [
                "blog": SourceStatus(id: "blog", url: "https://blog.example/feed", feedLink: "java\tscript:alert(1)"),
                "other": SourceStatus(id: "other", url: "https://other.example/feed", feedLink: "https://other.example/"),
            ]
        ).document()
        #expect(!document.lowercased().contains("script:"), "\(document)")
        #expect(document.contains("htmlUrl=\"https://other.example/\""), "\(document)")
    }

    /// `link` says where the files are published: each format's self address is its own file there;
    /// `home_page` is the site, in each format's place for it.
    @Test func eachFormatLinksToItsOwnFileAndToTheHomePage() throws {
        var output = OutputConfig(name: "river", formats: [.atom, .rss, .jsonfeed], maxItems: 10)
        for link in ["https://planet.example/feeds/", "https://planet.example/feeds/river.atom", "https://planet.example/feeds"] {
            output.link = link
            #expect(output.selfLink(for: .jsonfeed) == "https://planet.example/feeds/river.feed.json", "\(link)")
        }
        output.link = "https://planet.example"
        #expect(output.selfLink(for: .rss) == "https://planet.example/river.rss")
        output.link = "https://planet.example/feeds/"
        output.homePage = "https://planet.example/"
        let folder = try Fixtures.temporaryFolder()
        let files = try OutputWriter().write(
            output: output, articles: [Self.article], sources: [Self.source], statuses: [], directory: folder.path,
            generated: Date(timeIntervalSince1970: 1_700_000_200))
        let (atom, rss, feed) = try (
            String(contentsOfFile: files[0], encoding: .utf8), String(contentsOfFile: files[1], encoding: .utf8),
            String(contentsOfFile: files[2], encoding: .utf8)
        )
        #expect(atom.contains("<link rel=\"self\" href=\"https://planet.example/feeds/river.atom\"/>"))
        #expect(atom.contains("<link rel=\"alternate\" href=\"https://planet.example/\"/>"))
        #expect(rss.contains("<link>https://planet.example/</link>"))
        #expect(rss.contains("href=\"https://planet.example/feeds/river.rss\""))
        #expect(feed.contains("\"feed_url\" : \"https://planet.example/feeds/river.feed.json\""))
        #expect(feed.contains("\"home_page_url\" : \"https://planet.example/\""))
    }

    /// An item with nothing but an id still makes a valid RSS item and Atom entry; a local file's
    /// path is never published as its source's id.
    @Test func aBareItemStaysValidAndALocalSourcePathIsNotPublished() throws {
        let local = SourceConfig(id: "local", url: URL(fileURLWithPath: "/srv/feeds/local.xml"))
        let bare = StoredArticle(
            sourceID: "local", key: "id:x", item: FeedItem(id: "tag:local,2024:x"),
            firstSeen: Date(timeIntervalSince1970: 1_700_000_000))
        let folder = try Fixtures.temporaryFolder()
        let files = try OutputWriter().write(
            output: OutputConfig(name: "river", formats: [.atom, .rss], maxItems: 10), articles: [bare], sources: [local],
            statuses: [], directory: folder.path, generated: Date(timeIntervalSince1970: 1_700_000_200))
        let atom = try String(contentsOfFile: files[0], encoding: .utf8)
        let rss = try String(contentsOfFile: files[1], encoding: .utf8)
        #expect(atom.contains("<content type=\"html\"></content>"))
        #expect(!atom.contains("/srv/feeds"))
        #expect(rss.contains("<description></description>"))
    }

    /// An entry without a link must have a content element (RFC 4287 4.1.1); for an item with only
    /// a summary (an RSS item with a description and no link) it carries the summary: readers
    /// (feedparser, Miniflux, Thunderbird) show the content when there is one, and an empty one
    /// left the item blank.
    @Test func aLinklessItemWithOnlyASummaryCarriesItAsItsContent() throws {
        let note = StoredArticle(
            sourceID: "blog", key: "hash:n", item: FeedItem(summary: "<p>Only a description &amp; no link</p>"),
            firstSeen: Date(timeIntervalSince1970: 1_700_000_000))
        let folder = try Fixtures.temporaryFolder()
        let files = try OutputWriter().write(
            output: OutputConfig(name: "river", formats: [.atom], maxItems: 10), articles: [note], sources: [Self.source],
            statuses: [], directory: folder.path, generated: Date(timeIntervalSince1970: 1_700_000_200))
        let atom = try String(contentsOfFile: files[0], encoding: .utf8)
        let body = "&lt;p&gt;Only a description &amp;amp; no link&lt;/p&gt;"
        #expect(atom.contains("<content type=\"html\">\(body)</content>"))
        #expect(atom.contains("<summary type=\"html\">\(body)</summary>"))
        #expect(!atom.contains("<content type=\"html\"></content>"))
    }

    /// `index_content = false`: the index leaves the bodies out (every key still present).
    @Test func theIndexCanLeaveTheContentOut() throws {
        var output = OutputConfig(name: "river", formats: [.json], maxItems: 10)
        output.indexContent = false
        let folder = try Fixtures.temporaryFolder()
        let files = try OutputWriter().write(
            output: output, articles: [Self.article], sources: [Self.source], statuses: [], directory: folder.path,
            generated: Date(timeIntervalSince1970: 1_700_000_200))
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files[0]))) as? [String: Any])
        let item = try #require((index["items"] as? [[String: Any]])?.first)
        #expect(item.keys.contains("content"))
        #expect(item["content"] is NSNull)
    }

    /// Plain-text excerpts keep words apart where paragraphs and line breaks were.
    @Test func excerptsKeepWordsApartAcrossBlocks() throws {
        let folder = try Fixtures.temporaryFolder()
        let article = StoredArticle(
            sourceID: "blog", key: "id:1",
            item: FeedItem(id: "1", title: "T", summary: "<p>First paragraph.</p><p>Second<br>line &amp; <b>bold</b></p>"),
            firstSeen: Date(timeIntervalSince1970: 1_700_000_000))
        let files = try OutputWriter().write(
            output: OutputConfig(name: "river", formats: [.jsonfeed], maxItems: 10), articles: [article],
            sources: [Self.source], statuses: [], directory: folder.path, generated: Date(timeIntervalSince1970: 1_700_000_200))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files[0]))) as? [String: Any])
        let summary = (json["items"] as? [[String: Any]])?.first?["summary"] as? String
        #expect(summary == "First paragraph. Second line & bold")
    }

    /// Item ids in a merged feed come from two sources: "1" from one and "1" from another are two items.
    @Test func itemIDsOfTwoSourcesNeverCollide() throws {
        let folder = try Fixtures.temporaryFolder()
        let articles = ["blog", "planet"].map { source in
            StoredArticle(
                sourceID: source, key: "id:1", item: FeedItem(id: "1", title: "One from \(source)"),
                firstSeen: Date(timeIntervalSince1970: 1_700_000_000))
        }
        let files = try OutputWriter().write(
            output: OutputConfig(name: "river", formats: [.rss, .jsonfeed], maxItems: 10), articles: articles,
            sources: [Self.source, SourceConfig(id: "planet", url: URL(string: "https://planet.example/atom")!)],
            statuses: [], directory: folder.path, generated: Date(timeIntervalSince1970: 1_700_000_200))
        let rss = try String(contentsOfFile: files[0], encoding: .utf8)
        let guids = rss.components(separatedBy: "<guid isPermaLink=\"false\">").dropFirst().map { $0.prefix(45) }
        #expect(guids.count == 2 && Set(guids).count == 2, "\(rss)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files[1]))) as? [String: Any])
        let ids = (json["items"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(ids.count == 2 && Set(ids).count == 2 && ids.allSatisfy { $0.hasPrefix("urn:uuid:") })
    }

    @Test func writesTheJSONIndexWithEveryKeyPresent() throws {
        let folder = try Fixtures.temporaryFolder()
        let files = try write(formats: [.json], into: folder)
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: files[0]))) as? [String: Any])
        #expect(index["version"] as? Int == 1)
        #expect(index["output"] as? String == "river")
        #expect(index["generated"] as? String == "2023-11-14T22:16:40Z")
        let items = try #require(index["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items[0]["source"] as? String == "blog")
        #expect(items[0]["key"] as? String == "id:42")
        #expect(items[0]["firstSeen"] as? String == "2023-11-14T22:15:00Z")
        #expect(items[0]["updated"] is NSNull)
        let sources = try #require(index["sources"] as? [[String: Any]])
        #expect(sources[0]["title"] as? String == "A <Blog>")
        #expect(sources[0]["link"] as? String == "https://blog.example/")
    }

    @Test func replacesFilesAtomicallyLeavingNoTemporaryFiles() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("river.json").path
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        // What a run killed while writing left: removed by the next write (another file stays).
        try "torn".write(toFile: folder.appendingPathComponent(".river.json.AbC123").path, atomically: false, encoding: .utf8)
        try "mine".write(toFile: folder.appendingPathComponent(".river.json.keep").path, atomically: false, encoding: .utf8)
        _ = try write(formats: [.json], into: folder)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("{"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == [".river.json.keep", "river.json"])
    }

    @Test func aFolderThatCannotBeWrittenIsAnErrorAndTheOldFileStays() throws {
        let folder = try Fixtures.temporaryFolder()
        let path = folder.appendingPathComponent("river.atom").path
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        // A file where the output folder should be: nothing can be created in it.
        #expect(throws: AtomicFile.WriteError.self) {
            try AtomicFile.write(Array("new".utf8), to: path + "/nested")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    }
}

@Suite struct ParseRecordTests {
    static let document = FeedDocument(
        format: .atom10, encoding: "utf-8", wellFormed: false,
        metadata: FeedMetadata(title: "T \"q\" \\ /", link: "https://a.example/", updated: Date(timeIntervalSince1970: 0)),
        items: [
            FeedItem(
                id: "1", title: "caf\u{E9}\n\t\u{1}", published: Date(timeIntervalSince1970: 86_400),
                content: "<p>x</p>", enclosures: [Enclosure(url: "https://a.example/a.mp3", length: 3)],
                categories: ["a", "b"]),
            FeedItem(),
        ])

    /// The hand-written JSON line says exactly what Foundation's encoder says.
    @Test(arguments: [
        ParseRecord(source: "a.xml", result: .success(document)),
        ParseRecord(source: "b.xml", result: .failure(ParseFailure("not a feed: \"x\""))),
    ])
    func theFastJSONLineMatchesJSONEncoder(record: ParseRecord) throws {
        let fast = try JSONSerialization.jsonObject(with: Data(record.jsonLine().utf8)) as? NSDictionary
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let reference = try JSONSerialization.jsonObject(with: encoder.encode(record)) as? NSDictionary
        #expect(fast != nil)
        #expect(fast == reference)
        #expect(!record.jsonLine().contains("\n"))
    }
}

@Suite struct MoreOutputFormatsTests {
    @Test func formatsRFC822DatesWithTheirWeekday() {
        #expect(CivilTime.rfc822(Date(timeIntervalSince1970: 1_512_378_922)) == "Mon, 04 Dec 2017 09:15:22 +0000")
        #expect(CivilTime.rfc822(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
    }

    @Test func selectsSourcesByIDAndTag() {
        var output = OutputConfig(name: "o")
        let sources = [
            SourceConfig(id: "a", url: URL(string: "https://a.example/")!, tags: ["linux"]),
            SourceConfig(id: "b", url: URL(string: "https://b.example/")!, tags: ["news"]),
            SourceConfig(id: "c", url: URL(string: "https://c.example/")!, tags: ["linux", "news"]),
        ]
        #expect(output.selectedSources(from: sources).map(\.id) == ["a", "b", "c"])
        output.tags = ["linux"]
        #expect(output.selectedSources(from: sources).map(\.id) == ["a", "c"])
        output.sources = ["c", "b"]
        #expect(output.selectedSources(from: sources).map(\.id) == ["c"])
    }

    @Test func aFileWhoseContentDidNotChangeIsNotRewritten() throws {
        let folder = try Fixtures.temporaryFolder()
        let output = OutputConfig(name: "river", formats: [.rss, .opml])
        func write() throws {
            _ = try OutputWriter().write(
                output: output, articles: [OutputWriterTests.article], sources: [OutputWriterTests.source], statuses: [],
                directory: folder.path, generated: Date(timeIntervalSince1970: 0))
        }
        try write()
        let path = folder.appendingPathComponent("river.rss").path
        let before = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        try write()
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == before)
    }

    /// A feed that dates an item years ahead does not date the merged feed there: readers that
    /// check the feed's date would see nothing new until then. The item keeps its own date.
    @Test func anItemDatedInTheFutureDoesNotDateTheWholeFeed() throws {
        let folder = try Fixtures.temporaryFolder()
        let seen = Date(timeIntervalSince1970: 1_800_000_000)
        let future = StoredArticle(
            sourceID: "blog", key: "id:f",
            item: FeedItem(id: "tag:blog.example,2024:f", title: "Future", published: Date(timeIntervalSince1970: 2_051_265_600)),
            firstSeen: seen)
        let recent = StoredArticle(
            sourceID: "blog", key: "id:r",
            item: FeedItem(id: "tag:blog.example,2024:r", title: "Recent", published: seen.addingTimeInterval(3000)),
            firstSeen: seen.addingTimeInterval(3600))
        let files = try OutputWriter().write(
            output: OutputConfig(name: "river", formats: [.atom, .rss]), articles: [future, recent],
            sources: [OutputWriterTests.source],
            statuses: [], directory: folder.path, generated: seen.addingTimeInterval(3600))
        let atom = try String(contentsOfFile: files[0], encoding: .utf8)
        let rss = try String(contentsOfFile: files[1], encoding: .utf8)
        // The feed: the recent item's date. The future item: its own date, as its feed gave it.
        #expect(atom.components(separatedBy: "<entry>")[0].contains("<updated>2027-01-15T08:50:00Z</updated>"))
        #expect(atom.contains("<updated>2035-01-01T12:00:00Z</updated>"))
        #expect(rss.contains("<lastBuildDate>Fri, 15 Jan 2027 08:50:00 +0000</lastBuildDate>"))
        #expect(rss.contains("<pubDate>Mon, 01 Jan 2035 12:00:00 +0000</pubDate>"))
    }
}

@Suite struct OutputFilterTests {
    static func article(_ title: String, body: String = "", categories: [String] = [], daysAgo: Double = 0) -> StoredArticle {
        let now = Date(timeIntervalSince1970: 1_000_000)
        return StoredArticle(
            sourceID: "s", key: title,
            item: FeedItem(
                title: title, published: now.addingTimeInterval(-daysAgo * 86_400), content: body, categories: categories),
            firstSeen: now)
    }

    @Test func includeExcludeAndAgeFilterItems() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        var output = OutputConfig(name: "o")
        output.include = "rust|swift"
        output.exclude = "(?i)sponsored"
        #expect(output.admits(Self.article("Swift 6 is out"), now: now))
        #expect(output.admits(Self.article("Release notes", body: "<p>now in Rust</p>"), now: now))
        #expect(output.admits(Self.article("News", categories: ["swift"]), now: now))
        #expect(!output.admits(Self.article("Go 1.22"), now: now))
        #expect(!output.admits(Self.article("Swift tips (Sponsored)"), now: now))
        output.include = nil
        output.exclude = nil
        output.maxAge = .seconds(7 * 86_400)
        #expect(output.admits(Self.article("fresh", daysAgo: 3), now: now))
        #expect(!output.admits(Self.article("stale", daysAgo: 8), now: now))
    }
}

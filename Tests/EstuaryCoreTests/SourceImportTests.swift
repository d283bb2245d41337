import EstuaryCore
import Foundation
import Testing

/// Planning `import-opml`: which feeds become sources, under which ids and tags, written as which TOML.
@Suite struct SourceImportTests {
    let existing = [
        SourceConfig(id: "lwn", url: URL(string: "https://lwn.net/headlines/rss")!),
        SourceConfig(id: "local", url: URL(fileURLWithPath: "/srv/feeds/a.xml")),
    ]

    /// The plan's TOML read back by the config loader, as the sources it adds.
    func reload(_ plan: SourceImport) throws -> [SourceConfig] {
        let text = "[[source]]\nid = \"lwn\"\nurl = \"https://lwn.net/headlines/rss\"\n" + plan.toml()
        return Array(try ConfigLoader().parse(text: text, file: "t.toml", folder: URL(fileURLWithPath: "/")).sources.dropFirst())
    }

    @Test func configuredFeedsAreLeftOutWhateverTheirURLsSpelling() {
        let feeds = [
            "http://www.lwn.net/headlines/rss/", "HTTPS://LWN.NET/headlines/rss",
            "https://lwn.net:443/headlines/rss?utm_source=x",
        ].map { OPMLFeed(url: $0, title: "LWN") }
        let plan = SourceImport(feeds: feeds, existing: existing)
        #expect(plan.added.isEmpty)
        #expect(plan.alreadyConfigured == 3)
        // The path's case counts: another feed.
        #expect(SourceImport(feeds: [OPMLFeed(url: "https://lwn.net/Headlines/RSS")], existing: existing).added.count == 1)
    }

    @Test func idsComeFromTitlesAreUniqueAndFallBackToTheHost() {
        let feeds = [
            OPMLFeed(url: "https://a.example/1", title: "LWN"),
            OPMLFeed(url: "https://a.example/2", title: "LWN"),
            OPMLFeed(url: "https://a.example/3", title: "Ars Technica: All   content!"),
            OPMLFeed(url: "https://www.b.example/feed", title: nil),
            OPMLFeed(url: "https://c.example/feed", title: "日本語"),
            OPMLFeed(url: "https://d.example/feed", title: "Crème Brûlée"),
            OPMLFeed(url: "https://e.example/feed", title: "...dots_and_under.scores..."),
            OPMLFeed(url: "https://f.example/feed", title: String(repeating: "long ", count: 30)),
        ]
        let ids = SourceImport(feeds: feeds, existing: existing).added.map(\.id)
        #expect(
            ids == [
                "lwn-2", "lwn-3", "ars-technica-all-content", "b.example", "c.example", "creme-brulee",
                "dots_and_under.scores", String(repeating: "long-", count: 12) + "long",
            ])
        #expect(ids.allSatisfy { $0.utf8.count <= 64 })
    }

    /// Thousands of feeds with one title (a typical export of video channels): one id each, numbered.
    @Test func manyFeedsOfOneTitleGetNumberedIDs() {
        let feeds = (1...3000).map { OPMLFeed(url: "https://video.example/feeds/\($0)", title: "YouTube") }
        let ids = SourceImport(feeds: feeds, existing: existing).added.map(\.id)
        #expect(Set(ids).count == 3000)
        #expect(ids.prefix(3) == ["youtube", "youtube-2", "youtube-3"])
        #expect(ids.last == "youtube-3000")
    }

    @Test func foldersBecomeTagsValidNamesAsTheyAre() {
        let plan = SourceImport(
            feeds: [
                OPMLFeed(
                    url: "https://a.example/", title: "A", folders: ["Tech News", "linux", "Tech News", "  ", "C++", "Tech-News"])
            ],
            existing: [])
        #expect(plan.added.map(\.tags) == [["Tech-News", "linux", "C"]])
    }

    @Test func aFeedListedTwiceIsOneSourceWithTheTagsOfBoth() {
        let plan = SourceImport(
            feeds: [
                OPMLFeed(url: "https://a.example/feed", title: "A", folders: ["news"]),
                OPMLFeed(url: "http://www.a.example/feed/", title: "A again", folders: ["tech", "news"]),
            ], existing: [])
        #expect(
            plan.added == [
                SourceConfig(id: "a", url: URL(string: "https://a.example/feed")!, title: "A", tags: ["news", "tech"])
            ])
        #expect(plan.repeated == 1)
    }

    @Test func feedsThatAreNotWebURLsAreRefused() {
        let plan = SourceImport(
            feeds: ["file:///etc/passwd", "javascript:alert(1)", "https:///nohost", "not a url at all"].map { OPMLFeed(url: $0) },
            existing: [])
        #expect(plan.added.isEmpty)
        #expect(plan.refused.count == 4)
        #expect(plan.refused.first?.reason == "xmlUrl \"file:///etc/passwd\" is not an http or https URL")
    }

    @Test func titlesWithQuotesBackslashesAndControlCharactersSurviveTheTOML() throws {
        let titles = [
            "Say \"hi\"", "C:\\path\\", "tab\there\nnewline", "bell\u{07} del\u{7F} esc\u{1B}", "'single' & <xml>", "emoji 🎉",
        ]
        let plan = SourceImport(
            feeds: titles.enumerated().map { OPMLFeed(url: "https://t.example/\($0.offset)", title: $0.element, folders: ["x"]) },
            existing: existing)
        let sources = try reload(plan)
        #expect(sources.map(\.title) == titles)
        #expect(sources.map(\.url.absoluteString) == titles.indices.map { "https://t.example/\($0)" })
        #expect(sources.map(\.tags) == Array(repeating: ["x"], count: titles.count))
        #expect(plan.toml().contains("title = \"bell\\u0007 del\\u007F esc\\u001B\""))
    }
}

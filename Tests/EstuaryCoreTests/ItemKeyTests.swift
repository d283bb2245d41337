import EstuaryCore
import Testing

@Suite struct ItemKeyTests {
    @Test func usesTheFeedsIDThenTheLinkThenAHashOfTitleAndBody() {
        #expect(ItemKey.make(for: FeedItem(id: "guid-1", link: "https://a/1")) == "id:guid-1")
        #expect(ItemKey.make(for: FeedItem(id: "  ", link: "https://a/1")) == "link://a/1")
        #expect(ItemKey.make(for: FeedItem(id: "  ", link: "https://a/1"), normalize: false) == "link:https://a/1")
        let hashed = ItemKey.make(for: FeedItem(title: "Hello", content: "<p>World</p>"))
        #expect(hashed.hasPrefix("hash:"))
        #expect(hashed == ItemKey.make(for: FeedItem(title: "Hello", content: "<p>World</p>")))
        #expect(hashed != ItemKey.make(for: FeedItem(title: "Hello", content: "<p>World!</p>")))
    }

    @Test func theHashIsStableAcrossRuns() {
        // FNV-1a 64 of "" and "a": fixed values, unlike Swift's seeded Hasher.
        #expect(ContentHash.hex(of: "") == "cbf29ce484222325")
        #expect(ContentHash.hex(of: "a") == "af63dc4c8601ec8c")
    }
}

@Suite struct ItemIdentityTests {
    @Test(arguments: [
        ("http://example.com/post/1", "https://www.example.com/post/1/"),
        ("https://www.example.com/", "http://example.com"),
        ("HTTP://example.com/a", "https://example.com/a/"),
    ])
    func schemeWwwAndTrailingSlashDoNotMakeANewItem(a: String, b: String) {
        #expect(ItemKey.make(for: FeedItem(id: a)) == ItemKey.make(for: FeedItem(id: b)))
    }

    @Test func pathsAndHostsStillDiffer() {
        #expect(
            ItemKey.make(for: FeedItem(id: "https://example.com/a")) != ItemKey.make(for: FeedItem(id: "https://example.com/b")))
        #expect(
            ItemKey.make(for: FeedItem(id: "https://a.example.com/x"))
                != ItemKey.make(for: FeedItem(id: "https://b.example.com/x")))
    }

    @Test func anIDReusedOnDifferentLinksAddsTheLink() {
        let items = [
            FeedItem(id: "same", link: "https://example.com/1"), FeedItem(id: "same", link: "https://example.com/2"),
            FeedItem(id: "unique", link: "https://example.com/3"),
        ]
        let keys = ItemKey.keys(for: items)
        #expect(Set(keys).count == 3)
        #expect(keys[2] == "id:unique")
        #expect(keys[0].hasPrefix("id:same "))
    }
}

@Suite struct CanonicalLinkTests {
    @Test(arguments: [
        (
            "https://photo-journal.example.org/2017/12/04/cchr/?utm_source=planet&utm_medium=rss",
            "https://photo-journal.example.org/2017/12/04/cchr/"
        ),
        ("HTTPS://Example.COM:443/a?b=2&a=1#top", "https://example.com/a?a=1&b=2"),
        ("http://example.com:80/x?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=5&ref_src=6&id=7", "http://example.com/x?id=7"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com", "https://example.com/"),
    ])
    func canonicalizes(link: String, canonical: String) {
        #expect(CanonicalLink.make(link) == canonical)
    }

    @Test func titleKeysIgnoreCaseAndPunctuation() {
        #expect(TitleKey.make("CCHR allowed — continue, promoting!") == TitleKey.make("cchr allowed continue promoting"))
        #expect(TitleKey.make("Hi") == nil)
    }
}

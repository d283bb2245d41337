import EstuaryCore
import Testing

@Suite struct ItemKeyTests {
    @Test func usesTheFeedsIDThenTheLinkThenAHashOfTitleAndBody() {
        #expect(ItemKey.make(for: FeedItem(id: "guid-1", link: "https://a/1")) == "id:guid-1")
        #expect(ItemKey.make(for: FeedItem(id: "  ", link: "https://a/1")) == "link:https://a/1")
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

import EstuaryCore
import EstuaryStore
import EstuaryTestSupport
import Foundation
import Testing

@Suite struct SQLiteStoreTests {
    static let source = SourceConfig(id: "blog", url: URL(string: "https://blog.example/feed")!)
    static let other = SourceConfig(id: "news", url: URL(string: "https://news.example/rss")!)

    static func document(_ items: [FeedItem], title: String = "Blog") -> FeedDocument {
        FeedDocument(format: .rss20, metadata: FeedMetadata(title: title, link: "https://blog.example/"), items: items)
    }

    static func item(_ n: Int, day: Int? = nil) -> FeedItem {
        FeedItem(
            id: "post-\(n)", link: "https://blog.example/\(n)", title: "Post \(n)",
            published: day.map { Date(timeIntervalSince1970: Double($0) * 86_400) },
            content: "<p>Body \(n)</p>",
            enclosures: [Enclosure(url: "https://blog.example/\(n).mp3", type: "audio/mpeg", length: n)],
            categories: ["c\(n)"])
    }

    @Test func storesItemsOnceAndCountsOnlyNewOnes() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 1_000_000)
        let first = try store.record(
            source: Self.source, document: Self.document([Self.item(1), Self.item(2)]), status: 200, fetchState: FetchState(),
            at: now)
        #expect(first == StoreOutcome(items: 2, new: 2))
        let second = try store.record(
            source: Self.source, document: Self.document([Self.item(3), Self.item(2), Self.item(1)]), status: 200,
            fetchState: FetchState(), at: now.addingTimeInterval(60))
        #expect(second == StoreOutcome(items: 3, new: 1))
        let articles = try store.articles(sourceIDs: ["blog"], limit: 10)
        #expect(articles.count == 3)
        // Items keep the time they were first seen.
        #expect(articles.first { $0.key == "id:post-1" }?.firstSeen == now)
    }

    @Test func theSameIDInAnotherSourceIsAnotherItem() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        _ = try store.record(
            source: Self.source, document: Self.document([Self.item(1)]), status: 200, fetchState: FetchState(), at: Date())
        let other = try store.record(
            source: Self.other, document: Self.document([Self.item(1)]), status: 200, fetchState: FetchState(), at: Date())
        #expect(other.new == 1)
    }

    @Test func returnsTheNewestFirstWithEveryFieldIntact() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let items = [Self.item(1, day: 10), Self.item(2, day: 30), Self.item(3, day: 20)]
        _ = try store.record(
            source: Self.source, document: Self.document(items), status: 200, fetchState: FetchState(), at: Date())
        let articles = try store.articles(sourceIDs: ["blog"], limit: 2)
        #expect(articles.map(\.item) == [items[1], items[2]])
        #expect(try store.articles(sourceIDs: [], limit: 10).isEmpty)
        #expect(try store.articles(sourceIDs: ["nobody"], limit: 10).isEmpty)
    }

    @Test func anItemWithoutADateSortsByWhenItWasFirstSeen() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        _ = try store.record(
            source: Self.source, document: Self.document([Self.item(1, day: 1)]), status: 200, fetchState: FetchState(),
            at: Date(timeIntervalSince1970: 1000))
        _ = try store.record(
            source: Self.other, document: Self.document([Self.item(9)]), status: 200, fetchState: FetchState(),
            at: Date(timeIntervalSince1970: 5 * 86_400))
        let keys = try store.articles(sourceIDs: ["blog", "news"], limit: 10).map(\.sourceID)
        #expect(keys == ["news", "blog"])
    }

    @Test func aFailureIsRecordedAndKeepsEverythingStored() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        _ = try store.record(
            source: Self.source, document: Self.document([Self.item(1)]), status: 200, fetchState: FetchState(), at: Date())
        try store.recordFailure(
            source: Self.source, stage: "fetch", status: 503, message: "HTTP 503", fetchState: FetchState(),
            at: Date(timeIntervalSince1970: 42))
        let status = try #require(try store.statuses(of: [Self.source, Self.other]).first)
        #expect(status.lastResult == "fetch")
        #expect(status.lastStatus == 503)
        #expect(status.lastError == "HTTP 503")
        #expect(status.lastFetch == Date(timeIntervalSince1970: 42))
        #expect(status.feedTitle == "Blog")
        #expect(status.itemCount == 1)
        #expect(try store.statuses(of: [Self.other]) == [SourceStatus(id: "news", url: "https://news.example/rss")])
    }

    @Test func stateSurvivesReopening() throws {
        let folder = try Fixtures.temporaryFolder().path
        do {
            let store = try SQLiteStore(directory: folder)
            _ = try store.record(
                source: Self.source, document: Self.document([Self.item(1)]), status: 200, fetchState: FetchState(), at: Date())
        }
        let reopened = try SQLiteStore(directory: folder)
        #expect(try reopened.articles(sourceIDs: ["blog"], limit: 10).count == 1)
        #expect(
            try reopened.record(
                source: Self.source, document: Self.document([Self.item(1)]), status: 200, fetchState: FetchState(), at: Date()
            ).new == 0)
    }

    @Test func aStateFolderThatCannotBeCreatedIsAClearError() throws {
        let folder = try Fixtures.temporaryFolder()
        let blocker = folder.appendingPathComponent("file")
        try Data().write(to: blocker)
        do {
            _ = try SQLiteStore(directory: blocker.appendingPathComponent("state").path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("state: cannot open"))
        }
    }

    @Test func fetchStateRoundTrips() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        #expect(try store.fetchStates(of: [Self.source]).isEmpty)
        var state = FetchState()
        state.validators = Validators(etag: "\"v1\"", lastModified: "Sun, 06 Nov 1994 08:49:37 GMT")
        state.bodyHash = "abc"
        state.errorCount = 2
        state.notBefore = Date(timeIntervalSince1970: 1000)
        state.notBeforeReason = "backoff"
        state.goneURL = "https://blog.example/feed"
        state.movedTo = "https://new.example/feed"
        state.movedFrom = "https://blog.example/feed"
        state.redirectTarget = "https://x.example/"
        state.redirectCount = 2
        try store.recordFailure(source: Self.source, stage: "http", status: 500, message: "m", fetchState: state, at: Date())
        #expect(try store.fetchStates(of: [Self.source])["blog"] == state)
        var cleared = state
        cleared.errorCount = 0
        try store.recordUnchanged(source: Self.source, status: 304, fetchState: cleared, at: Date())
        #expect(try store.fetchStates(of: [Self.source])["blog"] == cleared)
        #expect(try store.statuses(of: [Self.source]).first?.lastResult == "ok")
    }
}

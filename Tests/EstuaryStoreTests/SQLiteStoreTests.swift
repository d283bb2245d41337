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

    @Test func fetchStatesReadsTheSourcesAskedForFewOrMany() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let sources = (0..<2500).map { SourceConfig(id: "s\($0)", url: URL(string: "https://s\($0).example/feed")!) }
        var state = FetchState()
        state.errorCount = 1
        for source in sources.prefix(3) + sources.suffix(3) {
            try store.recordFailure(source: source, stage: "http", status: 500, message: "m", fetchState: state, at: Date())
        }
        // By id (a batch), and by one scan (every source of a big config): the same answer.
        #expect(Set(try store.fetchStates(of: Array(sources.prefix(10))).keys) == ["s0", "s1", "s2"])
        #expect(Set(try store.fetchStates(of: sources).keys) == ["s0", "s1", "s2", "s2497", "s2498", "s2499"])
        #expect(try store.fetchStates(of: [sources[1]]).keys.sorted() == ["s1"])
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
        state.nextFetch = Date(timeIntervalSince1970: 2000)
        state.hints = StoredHints(minimumInterval: 3600, skipHours: [0, 23], skipDays: [6])
        try store.recordFailure(source: Self.source, stage: "http", status: 500, message: "m", fetchState: state, at: Date())
        #expect(try store.fetchStates(of: [Self.source])["blog"] == state)
        var cleared = state
        cleared.errorCount = 0
        try store.recordUnchanged([UnchangedAnswer(source: Self.source, status: 304, fetchState: cleared)], at: Date())
        #expect(try store.fetchStates(of: [Self.source])["blog"] == cleared)
        #expect(try store.statuses(of: [Self.source]).first?.lastResult == "ok")
    }
}

@Suite struct OutputQueryTests {
    /// Outputs of many sources walk the date index, of few sources read by source: the same newest
    /// items either way, only from the sources asked for.
    @Test func theNewestItemsOfManyOrFewSources() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let count = SQLiteStore.manySources + 44
        let ids = (0..<count).map { "s\($0)" }
        let writes = ids.enumerated().map { n, id in
            let items = (0..<2).map { k in
                FeedItem(
                    id: "\(id)-\(k)", link: "https://\(id).example/\(k)", title: "Item \(k) of source \(id)",
                    published: Date(timeIntervalSince1970: Double(n * 2 + k) * 3600))
            }
            let document = FeedDocument(format: .rss20, items: items)
            // First seen after every date: none is clamped as a date from the future.
            let time = Date(timeIntervalSince1970: 10_000_000)
            return StoreWrite.record(
                source: SourceConfig(id: id, url: URL(string: "https://\(id).example/feed")!), document: document,
                prepared: PreparedDocument(()), status: 200, fetchState: FetchState(), dedupe: .none, at: time)
        }
        #expect(store.write(writes).allSatisfy { (try? $0.get()) != nil })
        // All but the newest source: the newest items come from the sources asked for only.
        let many = try store.articles(sourceIDs: Array(ids.dropLast()), limit: 5)
        let newest: [String] = [(count - 2, 1), (count - 2, 0), (count - 3, 1), (count - 3, 0), (count - 4, 1)].map {
            "s\($0.0)-\($0.1)"
        }
        #expect(many.compactMap { $0.item.id } == newest)
        let few = try store.articles(sourceIDs: ["s3", "s1"], limit: 3)
        #expect(few.compactMap { $0.item.id } == ["s3-1", "s3-0", "s1-1"])
    }
}

@Suite struct GroupCommitTests {
    static func source(_ id: String) -> SourceConfig { SourceConfig(id: id, url: URL(string: "https://\(id).example/feed")!) }

    static func write(_ id: String, items: Int, bodyBytes: Int, in store: SQLiteStore) throws -> StoreWrite {
        let body = String(repeating: "x", count: bodyBytes)
        let document = FeedDocument(
            format: .rss20, items: (0..<items).map { FeedItem(id: "\(id)-\($0)", title: "\(id) \($0)", content: body) })
        let time = Date(timeIntervalSince1970: 1000)
        return .record(
            source: source(id), document: document, prepared: try store.prepare(document, dedupe: .none, at: time),
            status: 200, fetchState: FetchState(), dedupe: .none, at: time)
    }

    /// Writes committed together still stand or fall alone: the one that does not fit in the
    /// capped database fails, the others around it are stored.
    @Test func aWriteThatFailsCostsTheOthersOfItsGroupNothing() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path, maxBytes: 512 * 1024)
        let writes = [
            try Self.write("small", items: 3, bodyBytes: 100, in: store),
            try Self.write("huge", items: 40, bodyBytes: 20_000, in: store),
            try Self.write("after", items: 2, bodyBytes: 100, in: store),
        ]
        let results = store.write(writes)
        #expect(results.map { (try? $0.get())?.new } == [3, nil, 2])
        #expect("\(results[1])".contains("full"))
        let statuses = try store.statuses(of: ["small", "huge", "after"].map(Self.source))
        #expect(statuses.map(\.itemCount) == [3, 0, 2])
        // The failed source left nothing behind, not even a row.
        #expect(statuses[1].lastResult == nil)
    }

    @Test func writesOfOneGroupSeeEachOther() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let all = DedupeContext(scope: nil, rank: ["a": 0, "b": 1])
        let time = Date(timeIntervalSince1970: 5000)
        func write(_ id: String) throws -> StoreWrite {
            let document = FeedDocument(
                format: .rss20, items: [FeedItem(id: "\(id)-1", link: "https://news.example/story", title: "One story told")])
            return .record(
                source: Self.source(id), document: document, prepared: try store.prepare(document, dedupe: all, at: time),
                status: 200, fetchState: FetchState(), dedupe: all, at: time)
        }
        let results = store.write([try write("a"), try write("b")])
        #expect(results.map { (try? $0.get())?.duplicates } == [0, 1])
        #expect(try store.articles(sourceIDs: ["a", "b"], limit: 10).map(\.sourceID) == ["a"])
    }
}

@Suite struct CheckpointTests {
    /// The writer never checkpoints inside a commit: a background connection copies the WAL back,
    /// and closing the store leaves no WAL behind and nothing lost.
    @Test func theWALIsCopiedBackInTheBackground() throws {
        let folder = try Fixtures.temporaryFolder()
        let body = String(repeating: "<p>An estuary is where the river meets the sea.</p>", count: 80)
        do {
            let store = try SQLiteStore(directory: folder.path)
            for batch in 0..<40 {
                let items = (0..<25).map { n in
                    FeedItem(id: "item-\(batch)-\(n)", title: "Item \(batch) \(n)", content: body)
                }
                _ = try store.record(
                    source: SQLiteStoreTests.source, document: SQLiteStoreTests.document(items), status: 200,
                    fetchState: FetchState(), at: Date(timeIntervalSince1970: Double(batch)))
            }
            // 4 MB of bodies went through the WAL; the checkpoint follows its commits shortly.
            let deadline = Date().addingTimeInterval(10)
            while store.backgroundCheckpoints.count == 0 && Date() < deadline { usleep(20_000) }
            #expect(store.backgroundCheckpoints.count > 0)
        }
        #expect(Self.walBytes(in: folder) == 0)
        let reopened = try SQLiteStore(directory: folder.path)
        #expect(try reopened.statuses(of: [SQLiteStoreTests.source]).first?.itemCount == 1000)
    }
}

extension CheckpointTests {
    /// The WAL's size; it stays, empty, after the last connection closes (persistent WAL, for
    /// read-only readers).
    static func walBytes(in folder: URL) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("estuary.sqlite-wal").path))?[.size]
            as? Int
    }

    /// A store closed while a checkpoint still waits for its delay closes at once: nothing keeps its
    /// connections open, so the WAL is copied back and emptied as the store goes.
    @Test func closingWithACheckpointPendingLeavesNoWAL() throws {
        let folder = try Fixtures.temporaryFolder()
        do {
            let store = try SQLiteStore(directory: folder.path)
            _ = try store.record(
                source: SQLiteStoreTests.source, document: SQLiteStoreTests.document([SQLiteStoreTests.item(1)]),
                status: 200, fetchState: FetchState(), at: Date())
            #expect(store.backgroundCheckpoints.count == 0)
        }
        #expect(Self.walBytes(in: folder) == 0)
        #expect(try SQLiteStore(directory: folder.path).statuses(of: [SQLiteStoreTests.source]).first?.itemCount == 1)
    }
}

@Suite struct IdentityAndDedupeTests {
    static let blog = SourceConfig(id: "blog", url: URL(string: "https://blog.example/feed")!)
    static let planet = SourceConfig(id: "planet", url: URL(string: "https://planet.example/atom")!)
    static let rank = ["blog": 0, "planet": 1]

    func document(_ items: [FeedItem]) -> FeedDocument { FeedDocument(format: .rss20, items: items) }

    /// Records `items` as `source`'s document, matched against every other source.
    @discardableResult
    func record(_ store: SQLiteStore, _ source: SourceConfig, _ items: [FeedItem], at time: Date) throws -> StoreOutcome {
        try store.record(
            source: source, document: document(items), status: 200, fetchState: FetchState(),
            dedupe: DedupeContext(scope: nil, rank: Self.rank), at: time)
    }

    @Test func aChangedTitleOrBodyIsUpdatedInPlaceKeepingFirstSeen() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let t0 = Date(timeIntervalSince1970: 1000)
        let original = FeedItem(id: "1", link: "https://blog.example/1", title: "Draft", content: "<p>v1</p>")
        _ = try store.record(source: Self.blog, document: document([original]), status: 200, fetchState: FetchState(), at: t0)
        var edited = original
        edited.title = "Final"
        edited.content = "<p>v2</p>"
        let outcome = try store.record(
            source: Self.blog, document: document([edited]), status: 200, fetchState: FetchState(), at: t0.addingTimeInterval(60))
        #expect(outcome == StoreOutcome(items: 1, new: 0, updated: 1))
        let articles = try store.articles(sourceIDs: ["blog"], limit: 10)
        #expect(articles.count == 1)
        #expect(articles[0].item.title == "Final")
        #expect(articles[0].firstSeen == t0)
        // Unchanged: nothing written.
        let again = try store.record(
            source: Self.blog, document: document([edited]), status: 200, fetchState: FetchState(), at: t0.addingTimeInterval(120)
        )
        #expect(again == StoreOutcome(items: 1, new: 0, updated: 0))
    }

    @Test func aSiteMovingToHTTPSDoesNotRepublishItsArchive() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let old = (1...3).map { FeedItem(id: "http://blog.example/\($0)/", link: "http://blog.example/\($0)/") }
        _ = try store.record(source: Self.blog, document: document(old), status: 200, fetchState: FetchState(), at: Date())
        let moved = (1...3).map { FeedItem(id: "https://www.blog.example/\($0)", link: "https://www.blog.example/\($0)") }
        let outcome = try store.record(
            source: Self.blog, document: document(moved), status: 200, fetchState: FetchState(), at: Date())
        #expect(outcome.new == 0)
    }

    /// The outputs publish ids made from an item's first id and link: the store keeps them across
    /// every later change of the feed's, and keeps nothing for an item whose id and link stayed.
    @Test func anItemKeepsTheIDAndLinkItWasFirstSeenWith() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        func record(_ items: [FeedItem], at minutes: Double) throws {
            _ = try store.record(
                source: Self.blog, document: document(items), status: 200, fetchState: FetchState(),
                at: t0.addingTimeInterval(minutes * 60))
        }
        let still = FeedItem(id: "tag:blog.example,2024:2", link: "https://blog.example/2", title: "Two", content: "v1")
        try record([FeedItem(id: "http://blog.example/1/", link: "http://blog.example/1/", title: "One"), still], at: 0)
        var edited = still
        edited.content = "v2"
        try record([FeedItem(id: "https://blog.example/1", link: "https://blog.example/1", title: "One"), edited], at: 1)
        try record(
            [FeedItem(id: "https://www.blog.example/1", link: "https://www.blog.example/1", title: "One, renamed"), edited], at: 2
        )
        let articles = try store.articles(sourceIDs: ["blog"], limit: 10)
        let one = try #require(articles.first { $0.key == "id://blog.example/1" })
        #expect(one.item.link == "https://www.blog.example/1")
        #expect(
            one.firstIdentity
                == StoredArticle.Identity(
                    id: "http://blog.example/1/", link: "http://blog.example/1/", key: "id://blog.example/1"))
        let two = try #require(articles.first { $0.item.id == still.id })
        #expect(two.item.content == "v2")
        #expect(two.firstIdentity == nil)
    }

    /// An id reused on items with different links keys them by id and link; when the reuse starts
    /// or stops, the items already stored keep being the same items, never new ones.
    @Test func aFeedThatStartsOrStopsReusingAnIDAddsNothing() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let alpha = FeedItem(id: "g1", link: "https://x.example/a", title: "Alpha")
        let beta = FeedItem(id: "g1", link: "https://x.example/b", title: "Beta")
        let gamma = FeedItem(id: "g1", link: "https://x.example/c", title: "Gamma")
        #expect(try record(store, Self.blog, [alpha, beta], at: t0).new == 2)
        // The reuse stops: Beta alone is the Beta already stored.
        #expect(try record(store, Self.blog, [beta], at: t0.addingTimeInterval(60)).new == 0)
        // It starts again, with a new item: only Gamma is new, and Alpha and Beta are still one each.
        #expect(try record(store, Self.blog, [gamma, alpha, beta], at: t0.addingTimeInterval(120)).new == 1)
        #expect(try record(store, Self.blog, [alpha], at: t0.addingTimeInterval(180)).new == 0)
        let titles = try store.articles(sourceIDs: ["blog"], limit: 10).map { $0.item.title ?? "" }
        #expect(titles.sorted() == ["Alpha", "Beta", "Gamma"])
        // A stored `id:g1` with another link is another item of the group: it is not taken over.
        let other = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        #expect(try record(other, Self.blog, [alpha], at: t0).new == 1)
        #expect(try record(other, Self.blog, [beta, gamma], at: t0.addingTimeInterval(60)).new == 2)
        #expect(try other.articles(sourceIDs: ["blog"], limit: 10).count == 3)
    }

    /// Reuse is judged on the ids as keys hold them: `http://x/1` and `https://x/1` are one id, so two
    /// items carrying them with different links are two items, not one dropped.
    @Test func idsThatNormalizeAlikeOnDifferentLinksAreTwoItems() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let items = [
            FeedItem(id: "http://x.example/p1", link: "https://x.example/one", title: "One"),
            FeedItem(id: "https://x.example/p1", link: "https://x.example/two", title: "Two"),
        ]
        #expect(try record(store, Self.blog, items, at: Date()).new == 2)
    }

    @Test func theSameArticleFromTwoSourcesAppearsOnceWithItsAlternate() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let original = FeedItem(id: "p1", link: "https://blog.example/post/", title: "A post about rivers")
        let copy = FeedItem(
            id: "tag:planet,1", link: "https://blog.example/post/?utm_source=planet", title: "A post about rivers")
        try record(store, Self.blog, [original], at: t0)
        let second = try record(store, Self.planet, [copy], at: t0.addingTimeInterval(60))
        #expect(second.duplicates == 1)
        let articles = try store.articles(sourceIDs: ["blog", "planet"], limit: 10)
        #expect(articles.count == 1)
        #expect(articles[0].sourceID == "blog")
        #expect(articles[0].alternates.map(\.sourceID) == ["planet"])
    }

    /// An output that does not include the source holding the first-seen copy (a per-tag output,
    /// or a source since removed from the config) shows the article through its own earliest copy.
    @Test func anOutputWithoutThePrimarysSourceShowsItsOwnCopy() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let news = SourceConfig(id: "news", url: URL(string: "https://news.example/feed")!)
        let post = { (link: String) in
            FeedItem(id: link, link: link, title: "A post about rivers", published: t0.addingTimeInterval(-3600))
        }
        try record(store, Self.blog, [post("https://blog.example/post/")], at: t0)
        try record(store, Self.planet, [post("https://blog.example/post/?utm_source=planet")], at: t0.addingTimeInterval(60))
        try record(store, news, [post("https://blog.example/post/?ref=news")], at: t0.addingTimeInterval(120))
        let other = FeedItem(id: "n2", link: "https://news.example/2", title: "Other news", published: t0)
        try record(store, news, [post("https://blog.example/post/?ref=news"), other], at: t0.addingTimeInterval(180))

        let everything = try store.articles(sourceIDs: ["blog", "planet", "news"], limit: 10)
        #expect(everything.map(\.sourceID) == ["news", "blog"])
        #expect(everything[1].alternates.map(\.sourceID) == ["planet", "news"])
        // Without the blog: the planet's copy, seen before the news site's, stands in, once.
        let withoutBlog = try store.articles(sourceIDs: ["planet", "news"], limit: 10)
        #expect(withoutBlog.map(\.sourceID) == ["news", "planet"])
        #expect(withoutBlog.map(\.item.title) == ["Other news", "A post about rivers"])
        #expect(withoutBlog[1].alternates.map(\.sourceID) == ["news"])
        #expect(try store.articles(sourceIDs: ["news"], limit: 10).map(\.item.title) == ["Other news", "A post about rivers"])
        #expect(try store.articles(sourceIDs: ["planet", "news"], limit: 1).map(\.sourceID) == ["news"])
    }

    @Test func sameTitleWithin48HoursMatchesAndBeyondDoesNot() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let day = Date(timeIntervalSince1970: 1_700_000_000)
        let a = FeedItem(id: "a", link: "https://a.example/1", title: "Estuaries Are Rivers' Mouths", published: day)
        let b = FeedItem(
            id: "b", link: "https://b.example/x", title: "estuaries are rivers mouths",
            published: day.addingTimeInterval(36 * 3600))
        let c = FeedItem(
            id: "c", link: "https://c.example/y", title: "Estuaries are rivers’ mouths",
            published: day.addingTimeInterval(72 * 3600))
        try record(store, Self.blog, [a], at: day)
        #expect(try record(store, Self.planet, [b, c], at: day).duplicates == 1)
    }

    @Test func withTagScopeOnlySourcesSharingATagMatch() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let item = FeedItem(id: "x", link: "https://shared.example/post", title: "Shared post title")
        _ = try store.record(source: Self.blog, document: document([item]), status: 200, fetchState: FetchState(), at: Date())
        // planet's scope (no shared tag) does not include blog.
        let noShare = DedupeContext(scope: [], rank: Self.rank)
        #expect(
            try store.record(
                source: Self.planet, document: document([item]), status: 200, fetchState: FetchState(), dedupe: noShare,
                at: Date()
            ).duplicates == 0)
        #expect(try store.articles(sourceIDs: ["blog", "planet"], limit: 10).count == 2)
    }

    @Test func sourcesFirstSeenInTheSameCycleGoToTheOneListedFirst() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 5000)
        let item = FeedItem(id: "x", link: "https://blog.example/same", title: "Same article here")
        // The planet's copy is stored first, in the same cycle.
        try record(store, Self.planet, [item], at: now)
        try record(store, Self.blog, [item], at: now)
        let articles = try store.articles(sourceIDs: ["blog", "planet"], limit: 10)
        #expect(articles.map(\.sourceID) == ["blog"])
        #expect(articles[0].alternates.map(\.sourceID) == ["planet"])
    }

    /// Matches are looked up for a whole document at once; a primary that an earlier item of the
    /// same document took over is looked up again, as if each item had been matched alone.
    @Test func twoItemsOfOneDocumentDoNotBothTakeOverTheSamePrimary() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 5000)
        let copy = FeedItem(id: "p", link: "https://blog.example/same", title: "Same article here")
        try record(store, Self.planet, [copy], at: now)
        // Two items of the blog (listed first) with the same canonical link, in the same cycle.
        let first = FeedItem(id: "a", link: "https://blog.example/same?utm_source=feed", title: "Same article here")
        let second = FeedItem(id: "b", link: "https://blog.example/same?utm_medium=rss", title: "Same article, again")
        try record(store, Self.blog, [first, second], at: now)
        let articles = try store.articles(sourceIDs: ["blog", "planet"], limit: 10)
        #expect(articles.compactMap(\.item.id).sorted() == ["a", "b"])
        #expect(articles.first { $0.item.id == "a" }?.alternates.map(\.sourceID) == ["planet"])
        #expect(articles.first { $0.item.id == "b" }?.alternates == [])
    }

    /// Two copies in one source, seen at the same instant: the one that came first in its feed is
    /// the primary, whatever their keys.
    @Test func betweenCopiesSeenTogetherTheFirstInTheFeedIsThePrimary() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 5000)
        let zeta = FeedItem(id: "zeta", link: "https://blog.example/same?utm_source=a", title: "One story told twice")
        let alpha = FeedItem(id: "alpha", link: "https://blog.example/same?utm_source=b", title: "One story told twice")
        try record(store, Self.blog, [zeta, alpha], at: now)
        let copy = FeedItem(id: "p", link: "https://blog.example/same", title: "One story told twice")
        try record(store, Self.planet, [copy], at: now.addingTimeInterval(60))
        let articles = try store.articles(sourceIDs: ["blog", "planet"], limit: 10)
        #expect(articles.first { $0.item.id == "zeta" }?.alternates.map(\.sourceID) == ["planet"])
        #expect(articles.first { $0.item.id == "alpha" }?.alternates == [])
    }

    @Test func aDateFarInTheFutureSortsAtFirstSeen() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 1_000_000)
        let future = FeedItem(id: "f", title: "From the future", published: now.addingTimeInterval(30 * 86_400))
        let recent = FeedItem(id: "r", title: "Recent one", published: now.addingTimeInterval(-3600))
        _ = try store.record(
            source: Self.blog, document: document([future, recent]), status: 200, fetchState: FetchState(), at: now)
        let articles = try store.articles(sourceIDs: ["blog"], limit: 10)
        #expect(articles.map(\.item.id) == ["f", "r"])
        #expect(articles[0].sortDate == now)
        // The raw date is kept.
        #expect(articles[0].item.published == now.addingTimeInterval(30 * 86_400))
    }
}

@Suite struct RetentionTests {
    func source(maxItems: Int = 1000, maxAgeDays: Int = 365) -> SourceConfig {
        var source = SourceConfig(id: "blog", url: URL(string: "https://blog.example/feed")!)
        source.maxItems = maxItems
        source.maxAge = .seconds(maxAgeDays * 86_400)
        return source
    }

    func items(_ range: ClosedRange<Int>, day: (Int) -> Int) -> FeedDocument {
        FeedDocument(
            format: .rss20,
            items: range.map {
                FeedItem(id: "post-\($0)", title: "Post \($0)", published: Date(timeIntervalSince1970: Double(day($0)) * 86_400))
            })
    }

    @Test func keepsTheNewestMaxItemsAndRemovedItemsNeverReturn() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 1000 * 86_400)
        let feed = items(1...5) { 990 + $0 }
        let first = try store.record(source: source(maxItems: 3), document: feed, status: 200, fetchState: FetchState(), at: now)
        #expect(first.new == 5)
        #expect(try store.articles(sourceIDs: ["blog"], limit: 10).map(\.item.id) == ["post-5", "post-4", "post-3"])
        // The feed still carries the two removed posts: they are not new again.
        let second = try store.record(source: source(maxItems: 3), document: feed, status: 200, fetchState: FetchState(), at: now)
        #expect(second.new == 0)
        #expect(try store.articles(sourceIDs: ["blog"], limit: 10).count == 3)
    }

    /// One source's retention removes its own copy only: another source's copy of the article takes
    /// its place, stays until its own source's limits remove it, and is never new again meanwhile.
    @Test func removingAFirstSeenCopyLeavesTheOtherSourcesCopies() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 1000 * 86_400)
        let planet = SourceConfig(id: "planet", url: URL(string: "https://planet.example/atom")!)
        let story = { (link: String, day: Int) in
            FeedItem(
                id: link, link: link, title: "Story \(day) about rivers",
                published: Date(timeIntervalSince1970: Double(day) * 86_400))
        }
        let context = DedupeContext(scope: nil, rank: ["blog": 0, "planet": 1])
        func record(_ source: SourceConfig, _ items: [FeedItem], at time: Date) throws -> StoreOutcome {
            try store.record(
                source: source, document: FeedDocument(format: .rss20, items: items), status: 200, fetchState: FetchState(),
                dedupe: context, at: time)
        }
        _ = try record(source(maxItems: 1), [story("https://blog.example/x", 990)], at: now)
        let copied = try record(planet, [story("https://blog.example/x?utm_source=planet", 990)], at: now.addingTimeInterval(60))
        #expect(copied.duplicates == 1)
        // The blog's window moves on: its copy of X goes; the planet's copy is the article now.
        _ = try record(
            source(maxItems: 1), [story("https://blog.example/y", 995), story("https://blog.example/x", 990)],
            at: now.addingTimeInterval(120))
        let river = try store.articles(sourceIDs: ["blog", "planet"], limit: 10)
        #expect(river.map(\.sourceID) == ["blog", "planet"])
        #expect(river.allSatisfy { $0.alternates.isEmpty })
        // The planet's feed changes and still carries X: nothing of it is new.
        let later = try record(
            planet,
            [story("https://blog.example/z", 996), story("https://blog.example/x?utm_source=planet", 990)],
            at: now.addingTimeInterval(180))
        #expect(later.new == 1)
        #expect(try store.articles(sourceIDs: ["planet"], limit: 10).count == 2)
        // A third source brings X: it is matched to the planet's copy, the article now (an
        // alternate until then, so not in the lookup's indexes before it took over).
        let news = SourceConfig(id: "news", url: URL(string: "https://news.example/rss")!)
        let third = try record(news, [story("https://blog.example/x?utm_medium=news", 990)], at: now.addingTimeInterval(240))
        #expect(third.duplicates == 1)
        let shown = try store.articles(sourceIDs: ["planet", "news"], limit: 10)
        #expect(shown.first { $0.item.link?.contains("/x") == true }?.alternates.map(\.sourceID) == ["news"])
    }

    @Test func removesItemsStoredLongerThanMaxAge() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let day = { (n: Double) in Date(timeIntervalSince1970: n * 86_400) }
        // Old posts are kept when first seen: their age counts from then.
        _ = try store.record(
            source: source(maxAgeDays: 30), document: items(1...2) { 500 + $0 }, status: 200, fetchState: FetchState(),
            at: day(900))
        _ = try store.record(
            source: source(maxAgeDays: 30), document: items(1...3) { 500 + $0 }, status: 200, fetchState: FetchState(),
            at: day(920))
        #expect(try store.articles(sourceIDs: ["blog"], limit: 10).count == 3)
        // 40 days later, the first two have been stored longer than 30 days.
        _ = try store.record(
            source: source(maxAgeDays: 30), document: items(1...3) { 500 + $0 }, status: 200, fetchState: FetchState(),
            at: day(940))
        #expect(try store.articles(sourceIDs: ["blog"], limit: 10).map(\.item.id) == ["post-3"])
    }

    @Test func itemsThatFallOffTheFeedStayAndAFailureNeverPrunes() throws {
        let store = try SQLiteStore(directory: try Fixtures.temporaryFolder().path)
        let now = Date(timeIntervalSince1970: 1000 * 86_400)
        _ = try store.record(
            source: source(), document: items(1...3) { 990 + $0 }, status: 200, fetchState: FetchState(), at: now)
        _ = try store.record(
            source: source(), document: items(3...3) { 990 + $0 }, status: 200, fetchState: FetchState(), at: now)
        try store.recordFailure(
            source: source(maxItems: 1), stage: "http", status: 500, message: "x", fetchState: FetchState(), at: now)
        #expect(try store.articles(sourceIDs: ["blog"], limit: 10).count == 3)
    }
}

import EstuaryTestSupport
import Foundation
import Testing

/// What a reader of the merged feeds keys items on stays the same from run to run.
@Suite struct OutputIdentityTests {
    static func feed(scheme: String, host: String, slash: String, body: String) -> String {
        """
        <?xml version="1.0"?>
        <rss version="2.0"><channel><title>Moving</title><link>\(scheme)://\(host)/</link><description>d</description>
        <item><title>One</title><link>\(scheme)://\(host)/1\(slash)</link><guid>\(scheme)://\(host)/1\(slash)</guid>
        <pubDate>Sat, 01 Jun 2024 12:00:00 GMT</pubDate><description>\(body)</description></item>
        <item><title>Two</title><link>\(scheme)://\(host)/2\(slash)</link>
        <pubDate>Sat, 01 Jun 2024 13:00:00 GMT</pubDate><description>second</description></item>
        </channel></rss>
        """
    }

    /// Every published id (Atom id, RSS guid, JSON Feed id) of `folder`'s outputs, by title.
    static func ids(_ folder: URL) throws -> [String: [String]] {
        var ids: [String: [String]] = [:]
        for (file, pattern) in [
            ("river.atom", #"<id>([^<]*)</id>\s*<title type="text">([^<]*)</title>"#),
            ("river.rss", #"<title>([^<]*)</title>\s*<link>[^<]*</link>\s*<guid[^>]*>([^<]*)</guid>"#),
        ] {
            let text = try String(contentsOf: folder.appendingPathComponent("public/\(file)"), encoding: .utf8)
            for match in text.matches(of: try Regex(pattern)) {
                let a = String(match.output[1].substring ?? "")
                let b = String(match.output[2].substring ?? "")
                let (title, id) = file.hasSuffix(".atom") ? (b, a) : (a, b)
                ids[title, default: []].append(id)
            }
        }
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("public/river.feed.json")))
                as? [String: Any])
        for item in try #require(json["items"] as? [[String: Any]]) {
            ids[try #require(item["title"] as? String), default: []].append(try #require(item["id"] as? String))
        }
        return ids
    }

    /// `normalize_ids` takes a site moving to https (and to www., and dropping a trailing slash)
    /// for the same items: the merged feeds must keep their ids too, or every reader shows the
    /// site's archive a second time.
    @Test func aSiteMovingToHTTPSKeepsItsItemsIDsInEveryFeed() throws {
        let (folder, config) = try Fixtures.config(
            """
            [[source]]
            id = "moving"
            url = "file:moving.xml"

            [[output]]
            name = "river"
            formats = ["atom", "rss", "jsonfeed"]
            """)
        let feed = folder.appendingPathComponent("moving.xml")
        try Self.feed(scheme: "http", host: "moving.example", slash: "/", body: "first").write(
            to: feed, atomically: true, encoding: .utf8)
        let first = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Self.ids(folder)
        #expect(before.keys.sorted() == ["One", "Two"])
        #expect(before.values.allSatisfy { $0.count == 3 })

        try Self.feed(scheme: "https", host: "www.moving.example", slash: "", body: "first, edited").write(
            to: feed, atomically: true, encoding: .utf8)
        let second = try EstuaryBinary.run(["once", "--force", "--config", config.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Self.ids(folder) == before)
        // The items themselves are the new ones: their links and words.
        let atom = try String(contentsOf: folder.appendingPathComponent("public/river.atom"), encoding: .utf8)
        #expect(atom.contains("href=\"https://www.moving.example/1\""))
        #expect(atom.contains("first, edited"))
    }

    /// A feed that starts reusing an id on other items (`<guid>1</guid>` on a new post) has its
    /// items re-keyed by id and link; the item already published keeps its id.
    @Test func anItemKeepsItsIDWhenItsFeedStartsReusingIt() throws {
        let (folder, config) = try Fixtures.config(
            """
            [[source]]
            id = "reusing"
            url = "file:reusing.xml"

            [[output]]
            name = "river"
            formats = ["atom", "rss", "jsonfeed"]
            """)
        func item(_ name: String, day: Int) -> String {
            """
            <item><title>\(name)</title><link>https://reusing.example/\(name)</link><guid isPermaLink="false">1</guid>
            <pubDate>\(day) Jun 2024 12:00:00 GMT</pubDate></item>
            """
        }
        func write(_ items: [String]) throws {
            try """
            <?xml version="1.0"?>
            <rss version="2.0"><channel><title>Reusing</title><link>https://reusing.example/</link><description>d</description>
            \(items.joined(separator: "\n"))
            </channel></rss>
            """.write(to: folder.appendingPathComponent("reusing.xml"), atomically: true, encoding: .utf8)
        }
        try write([item("A", day: 1)])
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let before = try #require(try Self.ids(folder)["A"])
        try write([item("B", day: 2), item("A", day: 1)])
        #expect(try EstuaryBinary.run(["once", "--force", "--config", config.path]).status == 0)
        let after = try Self.ids(folder)
        #expect(after["A"] == before)
        #expect(after["B"]?.count == 3 && after["B"] != before)
    }
}

import EstuaryTestSupport
import Foundation
import Testing

/// Outputs say what the state and the config say, whenever a run could not write them or only
/// the config changed: not only when new items arrive.
@Suite struct OutputFreshnessTests {
    static func setUp() throws -> (folder: URL, config: URL) {
        let feed = try Fixtures.demoFeed("wordpress-rss2.xml")
        let (folder, config) = try Fixtures.config(
            """
            [[source]]
            id = "blog"
            url = "file:blog.xml"

            [[source]]
            id = "other"
            url = "file:other.xml"

            [[output]]
            name = "river"
            title = "First title"
            formats = ["atom", "json"]
            """)
        try Data(feed).write(to: folder.appendingPathComponent("blog.xml"))
        try Data(feed).write(to: folder.appendingPathComponent("other.xml"))
        return (folder, config)
    }

    static func index(_ folder: URL) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("public/river.json")))
                as? [String: Any])
    }

    @Test func aFailedWriteIsRetriedByTheNextRunEvenWithNothingNew() throws {
        let (folder, config) = try Self.setUp()
        // The output folder cannot be created (a file is in its place): the items are stored, the outputs not.
        let blocked = folder.appendingPathComponent("public")
        try Data("not a folder".utf8).write(to: blocked)
        let first = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(first.status == 74, "\(first.stderr)")
        try FileManager.default.removeItem(at: blocked)
        // Nothing is due and nothing is new: the outputs are written all the same.
        let second = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(second.status == 0, "\(second.stderr)")
        #expect((try Self.index(folder)["items"] as? [[String: Any]])?.count == 1)
    }

    @Test func aConfigChangeShowsWithoutNewItemsAndAQuietRunRewritesNothing() throws {
        let (folder, config) = try Self.setUp()
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let atom = folder.appendingPathComponent("public/river.atom")
        let written = try FileManager.default.attributesOfItem(atPath: atom.path)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: atom.path)[.modificationDate] as? Date == written)

        try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "First title", with: "Second title")
            .write(to: config, atomically: true, encoding: .utf8)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        #expect(try String(contentsOf: atom, encoding: .utf8).contains("  <title>Second title</title>"))
    }

    /// The state, not the run's reports, says which sources are failing: what a run killed before
    /// its outputs leaves (here: the index and its stamp put back by hand) is corrected by the next quiet run.
    @Test func aHealthChangeReachesTheIndexEvenAfterARunThatDidNotWriteIt() throws {
        let (folder, config) = try Self.setUp()
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let index = folder.appendingPathComponent("public/river.json")
        let stamp = folder.appendingPathComponent("state/outputs/river")
        let (healthy, healthyStamp) = (try Data(contentsOf: index), try Data(contentsOf: stamp))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("other.xml"))
        #expect(try EstuaryBinary.run(["once", "--force", "--config", config.path]).status == 1)
        try healthy.write(to: index)
        try healthyStamp.write(to: stamp)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let sources = try #require(try Self.index(folder)["sources"] as? [[String: Any]])
        #expect(sources.first { $0["id"] as? String == "other" }?["lastResult"] as? String == "read")
    }

    @Test func aSourceThatStartsFailingShowsInTheIndex() throws {
        let (folder, config) = try Self.setUp()
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("other.xml"))
        #expect(try EstuaryBinary.run(["once", "--force", "--config", config.path]).status == 1)
        let sources = try #require(try Self.index(folder)["sources"] as? [[String: Any]])
        let other = try #require(sources.first { $0["id"] as? String == "other" })
        #expect(other["lastResult"] as? String == "read", "\(other)")
    }
}

import EstuaryCore
import EstuaryTestSupport
import Foundation
import Testing

/// What an output's filters keep, whatever the number of items that do not pass.
@Suite struct OutputFilterTests {
    @Test func aFilterFindsItsItemsBeyondTheNewestOnes() throws {
        let items = (1...60).map { n in
            let title = n == 1 ? "Release 1.0" : "Post \(n)"
            return "<item><title>\(title)</title><link>https://blog.example/\(n)</link>"
                + "<pubDate>\(CivilTime.rfc822(Date(timeIntervalSince1970: Double(1_700_000_000 + n * 3600))))</pubDate></item>"
        }
        let (folder, config) = try Fixtures.config(
            """
            [[source]]
            id = "blog"
            url = "file:blog.xml"

            [[output]]
            name = "releases"
            formats = ["json"]
            max_items = 2
            include = "release"
            """)
        try "<rss version=\"2.0\"><channel><title>Blog</title>\(items.joined())</channel></rss>"
            .write(to: folder.appendingPathComponent("blog.xml"), atomically: true, encoding: .utf8)
        let run = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("public/releases.json")))
                as? [String: Any])
        #expect((index["items"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["Release 1.0"])
    }

    @Test func anOutputOfMoreItemsThanAnyReaderLoadsIsAConfigError() throws {
        let config = try Fixtures.config(
            """
            [[source]]
            id = "blog"
            url = "file:blog.xml"

            [[output]]
            name = "all"
            max_items = 9223372036854775807
            include = "x"
            """
        ).file
        let check = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(check.status == 78)
        #expect(check.stderr.contains("max_items must be between 1 and 100000"), "\(check.stderr)")
    }
}

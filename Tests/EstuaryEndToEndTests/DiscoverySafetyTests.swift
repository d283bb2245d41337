import EstuaryTestSupport
import Foundation
import Testing

/// A web page chooses the feed autodiscovery fetches: what the page can make Estuary do with that
/// choice is bounded like a redirect. No file of this machine, and the source's secrets go only to
/// the source's own origin.
@Suite struct DiscoverySafetyTests {
    static func page(linkingTo href: String) -> TestHTTPServer.Response {
        .init(
            contentType: "text/html",
            body: """
                <!DOCTYPE html><html><head><title>Blog</title>
                <link rel="alternate" type="application/rss+xml" href="\(href)">
                </head><body>Posts</body></html>
                """)
    }

    @Test func aPagesFeedLinkNeverReadsAFile() throws {
        let secret = try Fixtures.temporaryFolder().appendingPathComponent("secret.xml")
        try """
        <rss version="2.0"><channel><title>Local</title>
        <item><title>SECRET local item</title><link>https://local.example/1</link></item></channel></rss>
        """.write(to: secret, atomically: true, encoding: .utf8)
        let server = try TestHTTPServer { _ in Self.page(linkingTo: secret.absoluteString) }
        let (folder, config) = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true

            [[source]]
            id = "page"
            url = "\(server.baseURL)/blog/"

            [[output]]
            name = "river"
            """)

        let run = try EstuaryBinary.run(["once", "--verbose", "--config", config.path])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(
            run.stderr.contains(
                "source \"page\": parse failed: not a feed: the page's feed link \(secret.absoluteString) is not an http or https URL; refused"
            ), "\(run.stderr)")
        let published = try String(contentsOf: folder.appendingPathComponent("public/river.atom"), encoding: .utf8)
        #expect(!published.contains("SECRET"))
    }

    @Test func theSourcesSecretsGoOnlyToItsOwnOrigin() throws {
        let feed = Array(try Fixtures.demoFeed("wordpress-rss2.xml"))
        let elsewhere = try TestHTTPServer { _ in .init(headers: [("Content-Type", "application/rss+xml")], body: feed) }
        let home = try TestHTTPServer { request in
            switch request.path {
            case "/away/": Self.page(linkingTo: "\(elsewhere.baseURL)/feed")
            case "/home/": Self.page(linkingTo: "/feed")
            default: .init(headers: [("Content-Type", "application/rss+xml")], body: feed)
            }
        }
        func source(_ id: String, _ path: String) -> String {
            """
            [[source]]
            id = "\(id)"
            url = "\(home.baseURL)\(path)"
            username = "alice"
            password_env = "ESTUARY_TEST_PASSWORD"
            headers = { "X-Token" = "tok-123" }

            """
        }
        let config = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true

            \(source("away", "/away/"))
            \(source("home", "/home/"))
            """
        ).file

        let run = try EstuaryBinary.run(
            ["once", "--verbose", "--config", config.path], environment: ["ESTUARY_TEST_PASSWORD": "hunter2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("source \"away\": discovered feed \(elsewhere.baseURL)/feed on the page"), "\(run.stderr)")
        // The other origin got a plain request: no password, no extra header.
        let away = try #require(elsewhere.requests.first)
        #expect(away.headers["authorization"] == nil)
        #expect(away.headers["x-token"] == nil)
        // The source's own origin gets them, for the page and for the feed it names.
        let fed = try #require(home.requests.first { $0.path == "/feed" })
        #expect(fed.headers["authorization"] == "Basic " + Data("alice:hunter2".utf8).base64EncodedString())
        #expect(fed.headers["x-token"] == "tok-123")
    }
}

import EstuaryTestSupport
import Foundation
import Testing

/// The address guard refuses loopback, but an operator's proxy on loopback (named in the standard
/// environment variables) still works: the proxy, not the guard, then reaches the feed.
@Suite struct ProxyTests {
    @Test func aProxyOnLoopbackIsAllowedWhileTheGuardStillRefusesLoopbackFeeds() throws {
        let feed = Array(try Fixtures.demoFeed("wordpress-rss2.xml"))
        // A forward proxy: HTTP requests arrive with the absolute URL as their target.
        let proxy = try TestHTTPServer { _ in .init(headers: [("Content-Type", "application/rss+xml")], body: feed) }
        let folder = try Fixtures.temporaryFolder()
        let config = folder.appendingPathComponent("estuary.toml")
        try """
        [estuary]
        state_dir = "state"
        output_dir = "public"

        [[source]]
        id = "behind-proxy"
        url = "http://feeds.example.org/feed.xml"

        [[source]]
        id = "loopback"
        url = "\(proxy.baseURL)/direct.xml"
        """.write(to: config, atomically: true, encoding: .utf8)

        // With the proxy: the feed arrives through it (the guard let the connection to it through).
        let proxied = try EstuaryBinary.run(
            ["once", "--verbose", "--config", config.path],
            environment: ["http_proxy": proxy.baseURL, "no_proxy": "", "NO_PROXY": ""])
        #expect(proxied.stderr.contains("source \"behind-proxy\": 200, 1 item (1 new)"), "\(proxied.stderr)")
        #expect(proxy.requests.contains { $0.path == "http://feeds.example.org/feed.xml" }, "\(proxy.requests.map(\.path))")

        // Without it, the same loopback server is refused as a feed before any request reaches it.
        let before = proxy.requests.count
        let direct = try EstuaryBinary.run(
            ["once", "--force", "--config", config.path], environment: ["http_proxy": "", "no_proxy": "", "NO_PROXY": ""])
        #expect(direct.status == 1)
        #expect(
            direct.stderr.contains("source \"loopback\": fetch failed (guard): address guard: refused to connect to 127.0.0.1"),
            "\(direct.stderr)")
        #expect(proxy.requests.count == before)
    }
}

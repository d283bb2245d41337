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
        let config = try Fixtures.config(
            """
            [[source]]
            id = "behind-proxy"
            url = "http://feeds.example.org/feed.xml"

            [[source]]
            id = "loopback"
            url = "\(proxy.baseURL)/direct.xml"
            """
        ).file

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

    /// Only the proxy itself is let through: a service on another port of the same loopback
    /// address, reached directly (no_proxy names it, a common setup), is still refused.
    @Test func aLoopbackProxyDoesNotOpenTheRestOfLoopback() throws {
        let feed = Array(try Fixtures.demoFeed("wordpress-rss2.xml"))
        let proxy = try TestHTTPServer { _ in .init(headers: [("Content-Type", "application/rss+xml")], body: feed) }
        let service = try TestHTTPServer { _ in .init(headers: [("Content-Type", "application/rss+xml")], body: feed) }
        let config = try Fixtures.config(
            """
            [[source]]
            id = "internal"
            url = "\(service.baseURL)/admin-feed"
            """
        ).file

        let run = try EstuaryBinary.run(
            ["once", "--config", config.path],
            environment: ["http_proxy": proxy.baseURL, "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"])
        #expect(run.status == 1)
        #expect(
            run.stderr.contains("source \"internal\": fetch failed (guard): address guard: refused to connect to 127.0.0.1"),
            "\(run.stderr)")
        #expect(service.requests.isEmpty)
    }
}

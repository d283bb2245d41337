import EstuaryCore
import EstuaryTestSupport
import Foundation
import Logging
import Testing

@testable import EstuaryFetch

/// The address guard, on: every way of spelling loopback is refused.
@Suite struct AddressGuardTests {
    func fetch(_ url: String, resolve: [String] = []) async -> FetchResult {
        var settings = FetchSettings()
        settings.hostSpacing = .zero
        settings.resolve = resolve
        let fetcher = CurlFetcher(settings: settings, logger: Logger(label: "test"))
        for await (_, result) in fetcher.fetch([FetchRequest(sourceID: "s", url: URL(string: url)!)]) { return result }
        fatalError("no result")
    }

    @Test(arguments: [
        "127.0.0.1", "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "127.0.0.2", "[::ffff:127.0.0.1]", "localhost", "[::1]",
    ])
    func refusesLoopbackHoweverItIsWritten(host: String) async throws {
        let server = try TestHTTPServer(routes: ["/feed": .init(body: CurlFetcherTests.feed)])
        let result = await fetch("http://\(host):\(server.port)/feed")
        guard case .failure(let failure) = result else {
            Issue.record("\(host) was fetched")
            return
        }
        #expect(failure.stage == "guard" || failure.stage == "connect", "\(failure.message)")
        if host != "[::1]" {
            #expect(failure.message.hasPrefix("address guard: refused to connect to"), "\(failure.message)")
            #expect(failure.message.contains("allow_private_addresses"))
        }
        #expect(server.requests.isEmpty)
    }

    @Test func refusesANameThatResolvesToLoopback() async throws {
        let server = try TestHTTPServer(routes: ["/feed": .init(body: CurlFetcherTests.feed)])
        let result = await fetch(
            "http://feeds.example.com:\(server.port)/feed", resolve: ["feeds.example.com:\(server.port):127.0.0.1"])
        guard case .failure(let failure) = result else {
            Issue.record("fetched")
            return
        }
        #expect(failure.stage == "guard")
        #expect(server.requests.isEmpty)
    }

    @Test(arguments: [
        ("10.1.2.3", "private (RFC 1918)"), ("172.16.0.1", "private (RFC 1918)"), ("192.168.1.1", "private (RFC 1918)"),
        ("100.64.0.1", "carrier-grade NAT (100.64/10)"), ("169.254.169.254", "link-local (cloud metadata lives here)"),
        ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ])
    func classifiesIPv4(address: String, kind: String) {
        var a = in_addr()
        inet_pton(AF_INET, address, &a)
        #expect(AddressGuard.kind(ipv4: UInt32(bigEndian: a.s_addr)) == kind)
    }

    @Test(arguments: ["8.8.8.8", "93.184.216.34", "172.32.0.1", "100.128.0.1"])
    func letsPublicIPv4Through(address: String) {
        var a = in_addr()
        inet_pton(AF_INET, address, &a)
        #expect(AddressGuard.kind(ipv4: UInt32(bigEndian: a.s_addr)) == nil)
    }

    @Test(arguments: [
        ("::1", "loopback"), ("fd00::1", "unique-local (fc00::/7)"), ("fe80::1", "link-local (fe80::/10)"),
        ("ff02::1", "multicast"), ("::", "unspecified"), ("::ffff:10.0.0.1", "private (RFC 1918)"),
    ])
    func classifiesIPv6(address: String, kind: String) {
        var a = in6_addr()
        inet_pton(AF_INET6, address, &a)
        #expect(AddressGuard.kind(ipv6: withUnsafeBytes(of: a) { Array($0) }) == kind)
    }

    @Test func groupsHostsByRegistrableDomain() {
        #expect(HostGroup.key(for: URL(string: "https://a.tumblr.com/rss")!) == "tumblr.com")
        #expect(HostGroup.key(for: URL(string: "https://b.tumblr.com/rss")!) == "tumblr.com")
        #expect(HostGroup.key(for: URL(string: "https://news.bbc.co.uk/rss")!) == "bbc.co.uk")
        // By the Public Suffix List: suffixes a heuristic gets wrong.
        #expect(HostGroup.key(for: URL(string: "https://a.blogspot.com/feeds/posts/default")!) == "a.blogspot.com")
        #expect(HostGroup.key(for: URL(string: "https://b.blogspot.com/feeds/posts/default")!) == "b.blogspot.com")
        #expect(HostGroup.key(for: URL(string: "https://someone.github.io/feed.xml")!) == "someone.github.io")
        #expect(HostGroup.key(for: URL(string: "https://www.city.kawasaki.jp/rss")!) == "city.kawasaki.jp")
        #expect(HostGroup.key(for: URL(string: "https://planet.debian.org/atom.xml")!) == "debian.org")
        #expect(HostGroup.key(for: URL(string: "http://localhost:8080/feed")!) == "localhost")
        #expect(HostGroup.key(for: URL(string: "http://127.0.0.1:8080/x")!) == "127.0.0.1:8080")
        #expect(HostGroup.key(for: URL(string: "http://192.0.2.7/x")!) == "192.0.2.7")
        #expect(HostGroup.key(for: URL(fileURLWithPath: "/tmp/x.xml")) == nil)
    }
}

/// Politeness: requests to one host group start at least `hostSpacing` apart.
@Suite struct HostSpacingTests {
    @Test func requestsToOneHostAreSpacedAndOthersAreNotDelayed() async throws {
        let server = try TestHTTPServer { _ in .init(body: CurlFetcherTests.feed) }
        let other = try TestHTTPServer { _ in .init(body: CurlFetcherTests.feed) }
        var settings = CurlFetcherTests.local
        settings.hostSpacing = .milliseconds(300)
        settings.resolve = ["one.example:\(server.port):127.0.0.1", "two.example:\(other.port):127.0.0.1"]
        let fetcher = CurlFetcher(settings: settings, logger: Logger(label: "test"))
        var requests = (0..<4).map {
            FetchRequest(sourceID: "a\($0)", url: URL(string: "http://one.example:\(server.port)/\($0)")!)
        }
        requests.append(FetchRequest(sourceID: "b", url: URL(string: "http://two.example:\(other.port)/b")!))
        var finished: Set<String> = []
        for await (request, _) in fetcher.fetch(requests) { finished.insert(request.sourceID) }
        // Four starts on one host: three gaps of at least 300 ms.
        let times = server.requests.map(\.receivedAt).sorted()
        #expect(times.count == 4)
        for (a, b) in zip(times, times.dropFirst()) { #expect(b.timeIntervalSince(a) >= 0.28) }
        // The other host did not wait behind them: it finished before the third spaced request even started.
        // (Server-side times: the test's own task may be scheduled late on a busy machine.)
        let b = try #require(other.requests.first?.receivedAt)
        #expect(b < times[1], "b at \(b), one.example at \(times)")
        #expect(finished.count == 5)
    }
}

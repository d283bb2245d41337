import EstuaryCore
import EstuaryTestSupport
import Foundation
import Logging
import Testing

@testable import EstuaryFetch

/// The libcurl multi fetcher against a real HTTP server on 127.0.0.1.
@Suite struct CurlFetcherTests {
    static let feed = Array("<rss version=\"2.0\"><channel><title>T</title></channel></rss>".utf8)

    /// Settings for a test server on loopback: the address guard and host spacing off.
    static var local: FetchSettings {
        var settings = FetchSettings()
        settings.allowPrivateAddresses = true
        settings.hostSpacing = .zero
        return settings
    }

    func fetch(_ urls: [String], settings: FetchSettings = CurlFetcherTests.local) async -> [String: FetchResult] {
        let fetcher = CurlFetcher(settings: settings, logger: Logger(label: "test"))
        let requests = urls.enumerated().map { index, url in
            var request = FetchRequest(sourceID: "s\(index)", url: URL(string: url)!)
            // As for a source whose config names the file.
            request.readsFile = request.url.isFileURL
            return request
        }
        var results: [String: FetchResult] = [:]
        for await (request, result) in fetcher.fetch(requests) {
            results[request.url.absoluteString] = result
        }
        return results
    }

    func fetchOne(_ url: String, settings: FetchSettings = CurlFetcherTests.local) async -> FetchResult {
        await fetch([url], settings: settings)[url]!
    }

    /// `bytes` compressed by a command line tool (Foundation has no zlib or brotli API on Linux;
    /// scripts/install-deps.sh --test installs both tools), which writes `body` + `suffix`.
    static func compressed(_ bytes: [UInt8], by tool: String, _ options: [String], suffix: String) throws -> [UInt8] {
        let file = try Fixtures.temporaryFolder().appendingPathComponent("body")
        try Data(bytes).write(to: file)
        let (status, output) = try ExternalTool.run(tool, options + [file.path])
        #expect(status == 0, "\(tool): \(String(decoding: output, as: UTF8.self))")
        return Array(try Data(contentsOf: URL(fileURLWithPath: file.path + suffix)))
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        try compressed(bytes, by: "/bin/gzip", ["-9", "-n"], suffix: ".gz")
    }

    static func brotli(_ bytes: [UInt8]) throws -> [UInt8] {
        try compressed(bytes, by: "/usr/bin/brotli", ["-q", "11"], suffix: ".br")
    }

    @Test func fetchesABodyWithItsTypeAndSendsPoliteHeaders() async throws {
        let server = try TestHTTPServer(routes: [
            "/feed": .init(headers: [("Content-Type", "application/rss+xml; charset=utf-8")], body: Self.feed)
        ])
        let body = try await fetchOne("\(server.baseURL)/feed").get()
        #expect(body.status == 200)
        #expect(body.body == Self.feed)
        #expect(body.contentType == "application/rss+xml; charset=utf-8")
        let request = try #require(server.requests.first)
        #expect(request.headers["user-agent"]?.hasPrefix("Estuary/") == true)
        let encodings = request.headers["accept-encoding"] ?? ""
        #expect(encodings.contains("gzip"))
        #expect(encodings.contains("br"))
        #expect(encodings.contains("zstd"))
        #expect(request.headers["accept"]?.contains("application/rss+xml") == true)
    }

    @Test func followsRedirectsAndReportsWhereTheBodyCameFrom() async throws {
        let server = try TestHTTPServer { request in
            switch request.path {
            case "/old": .init(status: 301, headers: [("Location", "/new")])
            case "/new": .init(body: Self.feed)
            default: .init(status: 404)
            }
        }
        let body = try await fetchOne("\(server.baseURL)/old").get()
        #expect(body.effectiveURL.absoluteString == "\(server.baseURL)/new")
        #expect(body.body == Self.feed)
    }

    @Test func httpErrorsAreFailuresWithTheirStatus() async throws {
        let server = try TestHTTPServer(routes: [:])
        let result = await fetchOne("\(server.baseURL)/missing")
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.status == 404)
        #expect(failure.message.hasPrefix("HTTP 404 Not Found"))
    }

    @Test func decompressesGzip() async throws {
        let server = try TestHTTPServer(routes: [
            "/feed.gz": .init(headers: [("Content-Encoding", "gzip")], body: try Self.gzip(Self.feed))
        ])
        #expect(try await fetchOne("\(server.baseURL)/feed.gz").get().body == Self.feed)
    }

    @Test func aGzipBombStopsAtTheDecompressedLimit() async throws {
        // 64 MiB of zeros gzip to about 64 KB on the wire.
        let bomb = try Self.gzip([UInt8](repeating: 0, count: 64 << 20))
        #expect(bomb.count < 200_000)
        let server = try TestHTTPServer(routes: ["/bomb": .init(headers: [("Content-Encoding", "gzip")], body: bomb)])
        let result = await fetchOne("\(server.baseURL)/bomb")
        guard case .failure(let failure) = result else {
            Issue.record("expected the bomb to be stopped")
            return
        }
        #expect(failure.message == "the body is larger than 16 MiB (after decompression); stopped")
    }

    @Test func decompressesBrotli() async throws {
        let server = try TestHTTPServer(routes: [
            "/feed.br": .init(headers: [("Content-Encoding", "br")], body: try Self.brotli(Self.feed))
        ])
        #expect(try await fetchOne("\(server.baseURL)/feed.br").get().body == Self.feed)
    }

    @Test func aChunkedBodyOverTheLimitIsStopped() async throws {
        // No Content-Length to refuse up front: only counting in the write callback stops it.
        let server = try TestHTTPServer(routes: ["/chunked": .init(body: [UInt8](repeating: 65, count: 200_000), chunked: true)])
        var settings = Self.local
        settings.maxBodyBytes = 64 * 1024
        let result = await fetchOne("\(server.baseURL)/chunked", settings: settings)
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "the body is larger than 64 KiB (after decompression); stopped")
        #expect(failure.stage == "body")
    }

    @Test func aBodyOverTheLimitIsStopped() async throws {
        let server = try TestHTTPServer(routes: ["/big": .init(body: [UInt8](repeating: 65, count: 5000))])
        var settings = Self.local
        settings.maxBodyBytes = 4096
        let result = await fetchOne("\(server.baseURL)/big", settings: settings)
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "the body is larger than 4 KiB (after decompression); stopped")
    }

    @Test func aRedirectNeverReachesAFileURL() async throws {
        let server = try TestHTTPServer(routes: ["/evil": .init(status: 302, headers: [("Location", "file:///etc/passwd")])])
        let result = await fetchOne("\(server.baseURL)/evil")
        guard case .failure(let failure) = result else {
            Issue.record("a redirect reached file:")
            return
        }
        #expect(failure.message.contains("Unsupported protocol") || failure.message.contains("not supported"))
    }

    /// A file is read only for a source whose config names it: a page's feed link or any other URL
    /// a server chose never reaches one, and a FIFO or device is refused before libcurl blocks on it.
    @Test func aFileIsReadOnlyWhenTheConfigNamesItAndOnlyARegularOne() async throws {
        let folder = try Fixtures.temporaryFolder()
        let feed = folder.appendingPathComponent("feed.xml")
        try Data(Self.feed).write(to: feed)
        let fifo = folder.appendingPathComponent("fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        // Should the engine open the FIFO anyway, this writer ends its wait, so the test fails instead of hanging.
        let unblock = Thread {
            Thread.sleep(forTimeInterval: 10)
            let fd = open(fifo.path, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        unblock.start()
        let fetcher = CurlFetcher(settings: Self.local, logger: Logger(label: "test"))
        var named = FetchRequest(sourceID: "named", url: feed)
        named.readsFile = true
        var pipe = FetchRequest(sourceID: "pipe", url: fifo)
        pipe.readsFile = true
        let chosen = FetchRequest(sourceID: "chosen", url: feed)
        var results: [String: FetchResult] = [:]
        for await (request, result) in fetcher.fetch([pipe, chosen, named]) { results[request.sourceID] = result }
        #expect(try results["named"]?.get().body == Self.feed)
        guard case .failure(let refused)? = results["chosen"], case .failure(let notRegular)? = results["pipe"] else {
            Issue.record("expected two refusals: \(results)")
            return
        }
        #expect(refused.stage == "read")
        #expect(refused.message.contains("a file is read only for a source whose url in the config names it"))
        #expect(notRegular.stage == "read")
        #expect(notRegular.message.contains("is not a regular file"))
    }

    /// A sub-second limit is kept as such: libcurl reads a timeout of 0 as none at all.
    @Test func aTimeoutUnderASecondStillStopsASlowServer() async throws {
        // 64 bytes every 100 ms (above the low-speed floor): 6 s in all.
        let body = Array(repeating: UInt8(ascii: "x"), count: 64 * 60)
        let server = try TestHTTPServer { _ in .init(body: body, chunkDelay: .milliseconds(100)) }
        var settings = Self.local
        settings.totalTimeout = .milliseconds(500)
        guard case .failure(let failure) = await fetchOne("\(server.baseURL)/slow", settings: settings) else {
            Issue.record("a 6 s body arrived within a 500 ms timeout")
            return
        }
        #expect(failure.message.contains("Timeout"), "\(failure.message)")
        #expect(Curl.milliseconds(.milliseconds(500)) == 500)
        #expect(Curl.milliseconds(.seconds(Int64.max)) == 1_000_000_000_000_000)
    }

    /// A server that takes the request and never answers is not a failure to connect, even when
    /// the request went over a connection kept from an earlier fetch (which has no connect time).
    @Test func aTimeoutOnAKeptConnectionIsNotAConnectFailure() async throws {
        let server = try TestHTTPServer { request in
            if request.path == "/hang" { Thread.sleep(forTimeInterval: 3) }
            return .init(headers: [("Content-Type", "application/rss+xml")], body: Self.feed)
        }
        var settings = Self.local
        settings.totalTimeout = .milliseconds(500)
        let fetcher = CurlFetcher(settings: settings, logger: Logger(label: "test"))
        func fetch(_ path: String) async -> FetchResult? {
            var result: FetchResult?
            for await (_, answer) in fetcher.fetch([FetchRequest(sourceID: "s", url: URL(string: server.baseURL + path)!)]) {
                result = answer
            }
            return result
        }
        guard case .body = await fetch("/feed") else {
            Issue.record("the first fetch failed")
            return
        }
        // The first goes over the connection the feed's fetch left open; the second over a new one
        // (libcurl closes a connection whose transfer timed out).
        guard case .failure(let kept) = await fetch("/hang"), case .failure(let fresh) = await fetch("/hang") else {
            Issue.record("a 3 s answer arrived within a 500 ms timeout")
            return
        }
        #expect(kept.stage == "body", "\(kept)")
        #expect(kept.message.contains("Timeout"), "\(kept.message)")
        #expect(fresh.stage == "body", "\(fresh)")
    }

    /// A timeout names the stage the last hop was in, whoever followed the redirects before it
    /// (libcurl, or the engine for a source with headers): what the earlier hops did (connected,
    /// sent a request) says nothing about where the last one stopped.
    @Test(arguments: [false, true]) func aTimeoutAfterARedirectNamesTheStageOfTheLastHop(sourceHasHeaders: Bool) async throws {
        let silent = try UnansweredPort()
        let server = try TestHTTPServer { request in
            let redirect = [
                "/to-silent": "http://127.0.0.1:\(silent.port)/feed",
                // This plain HTTP server never answers a TLS handshake: it waits for a request head.
                "/to-tls": "https://\(request.headers["host"] ?? "")/feed",
                "/to-hang": "/hang",
            ]
            if let location = redirect[request.path] { return .init(status: 302, headers: [("Location", location)]) }
            Thread.sleep(forTimeInterval: 3)
            return .init(body: Self.feed)
        }
        var settings = Self.local
        settings.totalTimeout = .milliseconds(500)
        let fetcher = CurlFetcher(settings: settings, logger: Logger(label: "test"))
        let cases = [
            ("/to-silent", "connect"), ("/to-tls", "tls"), ("/to-hang", "body"),
            // The same without a redirect.
            ("http://127.0.0.1:\(silent.port)/feed", "connect"), ("https://127.0.0.1:\(server.port)/feed", "tls"),
        ]
        for (target, stage) in cases {
            var request = FetchRequest(
                sourceID: "s", url: URL(string: target.hasPrefix("/") ? server.baseURL + target : target)!)
            if sourceHasHeaders { request.headers = [SourceConfig.Header(name: "X-Token", value: "t")] }
            var result: FetchResult?
            for await (_, answer) in fetcher.fetch([request]) { result = answer }
            guard case .failure(let failure) = result else {
                Issue.record("\(target): no timeout within 500 ms: \(String(describing: result))")
                continue
            }
            #expect(failure.message.contains("timed out") || failure.message.contains("Timeout"), "\(target): \(failure)")
            #expect(failure.stage == stage, "\(target): \(failure)")
        }
    }

    @Test func aRedirectLoopEndsAfterFiveHops() async throws {
        let server = try TestHTTPServer { request in .init(status: 302, headers: [("Location", request.path + "x")]) }
        let result = await fetchOne("\(server.baseURL)/loop")
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message.contains("redirect"))
        #expect(server.requests.count == 6)
    }

    @Test func aServerTooSlowToBearIsAbandoned() async throws {
        // 64 bytes a second, below the 100 B/s floor.
        let server = try TestHTTPServer(routes: [
            "/slow": .init(body: [UInt8](repeating: 65, count: 64 * 20), chunkDelay: .seconds(1))
        ])
        var settings = Self.local
        settings.lowSpeedSeconds = 1
        let result = await fetchOne("\(server.baseURL)/slow", settings: settings)
        guard case .failure(let failure) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message.contains("Timeout") || failure.message.contains("timed out"))
    }

    @Test func fetchesManySourcesConcurrentlyThroughOneMultiHandle() async throws {
        let server = try TestHTTPServer { _ in .init(body: Self.feed) }
        let urls = (0..<60).map { "\(server.baseURL)/feed/\($0)" }
        let results = await fetch(urls)
        #expect(results.count == 60)
        #expect(results.values.allSatisfy { (try? $0.get().body) == Self.feed })
    }

    @Test func readsFileSourcesAndReportsMissingFiles() async throws {
        let folder = try Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("feed.xml")
        try Data(Self.feed).write(to: file)
        let missing = folder.appendingPathComponent("missing.xml")
        let results = await fetch([file.absoluteString, missing.absoluteString])
        #expect(try results[file.absoluteString]?.get().body == Self.feed)
        #expect(try results[file.absoluteString]?.get().status == 200)
        guard case .failure(let failure)? = results[missing.absoluteString] else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message.contains("Couldn't"))
    }

    @Test func anEmptyRequestListFinishesAtOnce() async {
        #expect(await fetch([]).isEmpty)
    }
}

@Suite struct ContentLocationTests {
    @Test func contentLocationBecomesTheDocumentURL() async throws {
        let server = try TestHTTPServer(routes: [
            "/feed": .init(headers: [("Content-Location", "/archive/2024/feed.xml")], body: CurlFetcherTests.feed),
            "/plain": .init(body: CurlFetcherTests.feed),
        ])
        let fetcher = CurlFetcher(settings: CurlFetcherTests.local, logger: Logger(label: "test"))
        var bodies: [String: FetchedBody] = [:]
        let requests = ["/feed", "/plain"].map { FetchRequest(sourceID: $0, url: URL(string: server.baseURL + $0)!) }
        for await (request, result) in fetcher.fetch(requests) { bodies[request.sourceID] = try result.get() }
        #expect(bodies["/feed"]?.contentLocation == "/archive/2024/feed.xml")
        #expect(bodies["/feed"]?.documentURL.absoluteString == "\(server.baseURL)/archive/2024/feed.xml")
        #expect(bodies["/plain"]?.documentURL.absoluteString == "\(server.baseURL)/plain")
    }
}

extension FetchResult {
    struct NotABody: Error {}

    /// The body, for tests that expect one.
    func get() throws -> FetchedBody {
        switch self {
        case .body(let body): return body
        case .failure(let failure): throw failure
        case .notModified: throw NotABody()
        }
    }
}

/// Conditional GET, Retry-After and redirects as the fetcher reports them.
@Suite struct HTTPSemanticsTests {
    func fetchOne(_ url: String, validators: Validators = Validators()) async -> FetchResult {
        let fetcher = CurlFetcher(settings: CurlFetcherTests.local, logger: Logger(label: "test"))
        for await (_, result) in fetcher.fetch([FetchRequest(sourceID: "s", url: URL(string: url)!, validators: validators)]) {
            return result
        }
        fatalError("no result")
    }

    @Test func sendsBothValidatorsAndReportsNotModified() async throws {
        let server = try TestHTTPServer { request in
            if request.headers["if-none-match"] == "\"v1\"", request.headers["if-modified-since"] != nil {
                return .init(status: 304, headers: [("ETag", "\"v1\"")])
            }
            return .init(
                headers: [("ETag", "\"v1\""), ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT")], body: CurlFetcherTests.feed)
        }
        let first = try await fetchOne("\(server.baseURL)/feed").get()
        #expect(first.validators == Validators(etag: "\"v1\"", lastModified: "Sun, 06 Nov 1994 08:49:37 GMT"))
        let second = await fetchOne("\(server.baseURL)/feed", validators: first.validators)
        guard case .notModified(let answer) = second else {
            Issue.record("expected 304, got \(second)")
            return
        }
        #expect(answer.validators.etag == "\"v1\"")
        #expect(server.requests.count == 2)
    }

    @Test func cacheControlAndExpiresSayHowLongTheFeedStaysFresh() async throws {
        let server = try TestHTTPServer { request in
            switch request.path {
            case "/max-age": .init(headers: [("Cache-Control", "public, max-age=7200")], body: CurlFetcherTests.feed)
            case "/no-cache": .init(headers: [("Cache-Control", "no-cache, max-age=7200")], body: CurlFetcherTests.feed)
            default:
                .init(
                    headers: [("Date", "Sun, 29 Nov 2026 05:00:00 GMT"), ("Expires", "Sun, 29 Nov 2026 06:30:00 GMT")],
                    body: CurlFetcherTests.feed)
            }
        }
        func lifetime(_ path: String) async -> TimeInterval? {
            guard case .body(let body) = await fetchOne("\(server.baseURL)\(path)") else { return -1 }
            return body.cacheLifetime
        }
        #expect(await lifetime("/max-age") == 7200)
        #expect(await lifetime("/no-cache") == nil)
        #expect(await lifetime("/expires") == 5400)
    }

    /// Hostile headers: a year no calendar has must not crash the fetcher.
    @Test func absurdDatesInHeadersAreIgnored() {
        #expect(HTTPDate.parse("Thu, 01 Jan 999999999999 00:00:00 GMT") == nil)
        #expect(
            HTTPDate.cacheLifetime(
                cacheControl: nil, expires: "Thu, 01 Jan 999999999999 00:00:00 GMT", date: "Thu, 01 Jan 99999999999 00:00:00 GMT")
                == nil)
        #expect(HTTPDate.retryAfter("9223372036854775807") == .seconds(Int.max))
        #expect(HTTPDate.retryAfter("Thu, 01 Jan 999999999999 00:00:00 GMT") == nil)
    }

    /// RFC 9110 asks recipients to accept all three date forms; a two-digit year more than 50 years
    /// ahead is the latest past year ending in those digits.
    @Test func httpDatesInAllThreeForms() {
        let now = CivilTime.date(year: 2026, month: 11, day: 29)!
        func text(_ value: String) -> String? { HTTPDate.parse(value, now: now).map(CivilTime.rfc3339) }
        #expect(text("Sun, 06 Nov 1994 08:49:37 GMT") == "1994-11-06T08:49:37Z")
        #expect(text("Sunday, 06-Nov-94 08:49:37 GMT") == "1994-11-06T08:49:37Z")
        #expect(text("Sun Nov  6 08:49:37 1994") == "1994-11-06T08:49:37Z")
        #expect(text("Thursday, 01-Jan-76 00:00:00 GMT") == "2076-01-01T00:00:00Z")
        #expect(text("Sunday, 01-Jan-77 00:00:00 GMT") == "1977-01-01T00:00:00Z")
        #expect(text("Sunday, 06-Nov-1994 08:49:37 GMT") == nil)
        #expect(text("Sun Nov 32 08:49:37 1994") == nil)
        let inAsctime = HTTPDate.retryAfter("Sun Nov  6 08:49:37 2044")
        #expect(inAsctime == .date(CivilTime.date(year: 2044, month: 11, day: 6, hour: 8, minute: 49, second: 37)!))
    }

    @Test(arguments: [429, 503])
    func retryAfterInSecondsAndAsADate(status: Int) async throws {
        let server = try TestHTTPServer { request in
            request.path == "/seconds"
                ? .init(status: status, headers: [("Retry-After", "120")])
                : .init(status: status, headers: [("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT")])
        }
        guard case .failure(let inSeconds) = await fetchOne("\(server.baseURL)/seconds") else {
            Issue.record("expected a failure")
            return
        }
        #expect(inSeconds.status == status)
        #expect(inSeconds.retryAfter == .seconds(120))
        guard case .failure(let asDate) = await fetchOne("\(server.baseURL)/date") else {
            Issue.record("expected a failure")
            return
        }
        let date = try #require(asDate.retryAfter?.date(from: Date()))
        #expect(CivilTime.rfc3339(date) == "2099-10-21T07:28:00Z")
    }

    @Test func reportsWhereLeadingPermanentRedirectsPoint() async throws {
        let server = try TestHTTPServer { request in
            switch request.path {
            case "/a": .init(status: 301, headers: [("Location", "/b")])
            case "/b": .init(status: 308, headers: [("Location", "/c")])
            case "/c": .init(status: 302, headers: [("Location", "/d")])
            case "/t": .init(status: 307, headers: [("Location", "/d")])
            default: .init(body: CurlFetcherTests.feed)
            }
        }
        let moved = try await fetchOne("\(server.baseURL)/a").get()
        #expect(moved.permanentTarget?.absoluteString == "\(server.baseURL)/c")
        #expect(moved.effectiveURL.absoluteString == "\(server.baseURL)/d")
        let temporary = try await fetchOne("\(server.baseURL)/t").get()
        #expect(temporary.permanentTarget == nil)
    }

    @Test func failuresNameTheirStage() async throws {
        let server = try TestHTTPServer(routes: [:])
        guard case .failure(let http) = await fetchOne("\(server.baseURL)/x") else {
            Issue.record("expected a failure")
            return
        }
        #expect(http.stage == "http")
        guard case .failure(let dns) = await fetchOne("http://no-such-host.invalid/feed") else {
            Issue.record("expected a failure")
            return
        }
        #expect(dns.stage == "dns")
    }
}

@Suite struct StalledServerTests {
    @Test func aStalledServerDoesNotDelayTheOthers() async throws {
        let stalled = try TestHTTPServer { _ in
            Thread.sleep(forTimeInterval: 3)
            return .init(body: CurlFetcherTests.feed)
        }
        let fast = try TestHTTPServer { _ in .init(body: CurlFetcherTests.feed) }
        let fetcher = CurlFetcher(settings: CurlFetcherTests.local, logger: Logger(label: "test"))
        var order: [String] = []
        let requests = [
            FetchRequest(sourceID: "stalled", url: URL(string: "\(stalled.baseURL)/feed")!),
            FetchRequest(sourceID: "fast", url: URL(string: "\(fast.baseURL)/feed")!),
        ]
        for await (request, _) in fetcher.fetch(requests) { order.append(request.sourceID) }
        #expect(order == ["fast", "stalled"])
    }

    /// What SIGTERM relies on: a cancelled batch aborts its transfer under way and drops its queued ones.
    /// On the engine itself, from plain threads: the test does not depend on Swift's pool, which other
    /// tests keep busy. (CurlFetcher cancels the batch when its stream's listener is cancelled; the
    /// scheduler and daemon tests cover that path.)
    @Test func cancellingABatchAbortsTheTransferUnderWayAndDropsTheQueuedOnes() throws {
        let stalled = try TestHTTPServer { _ in
            Thread.sleep(forTimeInterval: 10)
            return .init(body: CurlFetcherTests.feed)
        }
        let fast = try TestHTTPServer { _ in .init(body: CurlFetcherTests.feed) }
        var settings = CurlFetcherTests.local
        settings.maxConnections = 1
        let engine = MultiEngine(settings: settings)
        defer { engine.shutdown() }
        let results = Results()
        let batch = MultiEngine.Batch()
        for n in 1...3 {
            let request = FetchRequest(sourceID: "s\(n)", url: URL(string: "\(stalled.baseURL)/feed\(n)")!)
            engine.submit([MultiEngine.Job(request: request, batch: batch) { results.append("s\(n)", $0) }])
        }
        #expect(EstuaryBinary.wait(upTo: 10) { stalled.requests.count == 1 })
        let cancelled = Date()
        batch.cancel()
        engine.cancelCancelledBatches()
        #expect(EstuaryBinary.wait(upTo: 5) { results.count == 3 })
        #expect(Date().timeIntervalSince(cancelled) < 5, "the stalled transfer was left to run")
        #expect(results.all.allSatisfy { $0.hasSuffix("failure(cancelled: estuary is stopping)") }, "\(results.all)")
        // The queued ones never started, and the engine goes on working.
        #expect(stalled.requests.count == 1)
        let other = MultiEngine.Batch()
        engine.submit([
            MultiEngine.Job(request: FetchRequest(sourceID: "fast", url: URL(string: "\(fast.baseURL)/feed")!), batch: other) {
                results.append("fast", $0)
            }
        ])
        #expect(EstuaryBinary.wait(upTo: 10) { results.count == 4 })
        #expect(results.all.last?.hasPrefix("fast: body") == true, "\(results.all)")
    }

    /// Results gathered from the engine's thread.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ id: String, _ result: FetchResult) { lock.withLock { lines.append("\(id): \(result)") } }
        var all: [String] { lock.withLock { lines } }
        var count: Int { all.count }
    }
}

/// A reader that falls behind holds back new transfers instead of letting fetched bodies pile up,
/// and a one-off fetch (autodiscovery) is never stuck behind a held batch.
@Suite struct UnreadBudgetTests {
    static func server() throws -> TestHTTPServer {
        try TestHTTPServer { _ in .init(body: Array(repeating: UInt8(ascii: "x"), count: 16 * 1024)) }
    }

    static func settings() -> FetchSettings {
        var settings = CurlFetcherTests.local
        settings.maxConnections = 2
        settings.maxUnreadBytes = 40 * 1024
        return settings
    }

    static func requests(_ server: TestHTTPServer, count: Int) -> [FetchRequest] {
        (0..<count).map { FetchRequest(sourceID: "s\($0)", url: URL(string: "\(server.baseURL)/feed/\($0)")!) }
    }

    /// 40 bodies of 16 KiB fetched under a 40 KiB budget, the first of them read.
    static func startReading() async throws -> (TestHTTPServer, CurlFetcher, FetchResults.AsyncIterator) {
        let server = try Self.server()
        let fetcher = CurlFetcher(settings: Self.settings(), logger: Logger(label: "test"))
        var results = fetcher.fetch(Self.requests(server, count: 40)).makeAsyncIterator()
        _ = await results.next()
        return (server, fetcher, results)
    }

    @Test func aReaderThatFallsBehindHoldsBackNewTransfers() async throws {
        let (server, _, reading) = try await Self.startReading()
        defer { server.stop() }
        var results = reading
        // Unread, 40 bodies of 16 KiB would all be here within this second; about 40 KiB of them are.
        try await Task.sleep(for: .seconds(1))
        #expect(server.requests.count <= 10, "\(server.requests.count) requests while nothing was read")
        var read = 1
        while await results.next() != nil { read += 1 }
        #expect(read == 40)
        #expect(server.requests.count == 40)
    }

    @Test func aOneOffFetchGoesAheadOfAHeldBatch() async throws {
        let (server, fetcher, reading) = try await Self.startReading()
        defer { server.stop() }
        var held = reading
        try await Task.sleep(for: .milliseconds(300))
        let single = Task { () -> FetchResult? in
            for await (_, result) in fetcher.fetch(
                [FetchRequest(sourceID: "found", url: URL(string: "\(server.baseURL)/discovered")!)], urgent: true)
            {
                return result
            }
            return nil
        }
        // The held batch is not read meanwhile: the one-off fetch must not wait for it.
        let deadline = ContinuousClock.now + .seconds(10)
        while server.requests.allSatisfy({ $0.path != "/discovered" }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(server.requests.contains { $0.path == "/discovered" })
        // Stuck (the bug this guards against): stop waiting for it, so the test fails instead of hanging.
        if !server.requests.contains(where: { $0.path == "/discovered" }) { single.cancel() }
        guard case .body? = await single.value else {
            Issue.record("the one-off fetch did not complete")
            return
        }
        while await held.next() != nil {}
    }

    /// The hold is the reader's, not the host's: another fetch's requests to the same host go on.
    @Test func aHeldBatchDoesNotBlockAnotherBatchOnTheSameHost() async throws {
        let (server, fetcher, reading) = try await Self.startReading()
        defer { server.stop() }
        var held = reading
        try await Task.sleep(for: .milliseconds(300))
        let other = Task { () -> Int in
            var count = 0
            for await _ in fetcher.fetch(
                [
                    FetchRequest(sourceID: "a", url: URL(string: "\(server.baseURL)/other/a")!),
                    FetchRequest(sourceID: "b", url: URL(string: "\(server.baseURL)/other/b")!),
                ])
            {
                count += 1
            }
            return count
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while server.requests.filter({ $0.path.hasPrefix("/other/") }).count < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        // Stuck (the bug this guards against): stop waiting for it, so the test fails instead of hanging.
        if server.requests.filter({ $0.path.hasPrefix("/other/") }).count < 2 { other.cancel() }
        #expect(await other.value == 2)
        while await held.next() != nil {}
    }
}

/// A source's extra headers go to its own origin only: the engine follows the redirects of a request
/// that has some (libcurl would send them to every host of the chain).
@Suite struct RedirectHeaderTests {
    func fetchOne(_ url: String, headers: [SourceConfig.Header]) async -> FetchResult {
        var request = FetchRequest(sourceID: "s", url: URL(string: url)!)
        request.headers = headers
        let fetcher = CurlFetcher(settings: CurlFetcherTests.local, logger: Logger(label: "test"))
        for await (_, result) in fetcher.fetch([request]) { return result }
        fatalError("no result")
    }

    static let token = [SourceConfig.Header(name: "X-Token", value: "tok-123")]

    @Test func headersFollowARedirectOnTheSameOriginOnly() async throws {
        let elsewhere = try TestHTTPServer { _ in .init(body: CurlFetcherTests.feed) }
        let home = try TestHTTPServer { request in
            switch request.path {
            case "/away": .init(status: 302, headers: [("Location", "\(elsewhere.baseURL)/feed")])
            case "/here": .init(status: 301, headers: [("Location", "/moved")])
            case "/moved": .init(status: 308, headers: [("Location", "/feed")])
            default: .init(body: CurlFetcherTests.feed)
            }
        }
        let away = try await fetchOne("\(home.baseURL)/away", headers: Self.token).get()
        #expect(away.body == CurlFetcherTests.feed)
        #expect(away.effectiveURL.absoluteString == "\(elsewhere.baseURL)/feed")
        #expect(home.requests.first { $0.path == "/away" }?.headers["x-token"] == "tok-123")
        #expect(elsewhere.requests.count == 1)
        #expect(elsewhere.requests.first?.headers["x-token"] == nil)

        let here = try await fetchOne("\(home.baseURL)/here", headers: Self.token).get()
        #expect(home.requests.filter { $0.path == "/feed" }.allSatisfy { $0.headers["x-token"] == "tok-123" })
        // The hops the engine followed count as libcurl's do: the leading permanent ones move the source.
        #expect(here.permanentTarget?.absoluteString == "\(home.baseURL)/feed")
        #expect(here.effectiveURL.absoluteString == "\(home.baseURL)/feed")
    }

    /// max_redirects bounds the whole chain, also once it has left the source's origin.
    @Test func theRedirectLimitCountsTheWholeChainAcrossOrigins() async throws {
        let elsewhere = try TestHTTPServer { request in .init(status: 302, headers: [("Location", request.path + "x")]) }
        let home = try TestHTTPServer { _ in .init(status: 302, headers: [("Location", "\(elsewhere.baseURL)/loop")]) }
        guard case .failure(let failure) = await fetchOne("\(home.baseURL)/start", headers: Self.token) else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.message == "Maximum (5) redirects followed")
        #expect(home.requests.count + elsewhere.requests.count == 6)
    }

    /// A chain that comes back to the source's origin sends the headers there again.
    @Test func headersGoAgainToAHopBackOnTheOrigin() async throws {
        final class Address: @unchecked Sendable { var home = "" }
        let address = Address()
        let elsewhere = try TestHTTPServer { _ in .init(status: 302, headers: [("Location", "\(address.home)/feed")]) }
        let home = try TestHTTPServer { request in
            request.path == "/feed"
                ? .init(body: CurlFetcherTests.feed) : .init(status: 302, headers: [("Location", "\(elsewhere.baseURL)/x")])
        }
        address.home = home.baseURL
        _ = try await fetchOne("\(home.baseURL)/a", headers: Self.token).get()
        #expect(home.requests.map { $0.headers["x-token"] } == ["tok-123", "tok-123"])
        #expect(elsewhere.requests.first?.headers["x-token"] == nil)
    }

    @Test func aLoopEndsAfterFiveHopsAndAFileIsNeverReached() async throws {
        let server = try TestHTTPServer { request in
            request.path == "/evil"
                ? .init(status: 302, headers: [("Location", "file:///etc/passwd")])
                : .init(status: 302, headers: [("Location", request.path + "x")])
        }
        guard case .failure(let loop) = await fetchOne("\(server.baseURL)/loop", headers: Self.token) else {
            Issue.record("expected a failure")
            return
        }
        #expect(loop.message == "Maximum (5) redirects followed")
        #expect(server.requests.count == 6)
        guard case .failure(let file) = await fetchOne("\(server.baseURL)/evil", headers: Self.token) else {
            Issue.record("a redirect reached file:")
            return
        }
        #expect(file.message.contains("not an http or https URL; refused"))
    }
}

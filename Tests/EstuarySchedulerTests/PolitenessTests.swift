import EstuaryCore
import EstuaryFetch
import EstuaryParse
import EstuaryStore
import EstuaryTestSupport
import Foundation
import Logging
import Testing

/// The daemon's scheduler with its real parts (libcurl, libxml2, SQLite) against a local server
/// that logs every request, on a simulated clock: a day of `estuary run` in seconds, judged from
/// the server's log, in the spirit of rachelbythebay's feed reader score.
@Suite struct PolitenessTests {
    /// One request as the server saw it.
    struct Logged: Sendable {
        var host: String
        var path: String
        var headers: [String: String]
        /// The scheduler's (simulated) time when the request arrived.
        var simulated: Date
        /// The real time, for per-host spacing (which libcurl's engine keeps in real time).
        var real: Date
    }

    final class ServerLog: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [Logged] = []

        func append(_ entry: Logged) -> Int {
            lock.withLock {
                entries.append(entry)
                return entries.filter { $0.path == entry.path }.count
            }
        }

        var all: [Logged] { lock.withLock { entries } }

        func requests(_ path: String) -> [Logged] { all.filter { $0.path == path } }
    }

    /// Monday 2026-11-30, 00:00 UTC.
    static let start = CivilTime.date(year: 2026, month: 11, day: 30, hour: 0, minute: 0, second: 0)!

    static func rss(_ path: String, extra: String = "") -> [UInt8] {
        Array(
            """
            <?xml version="1.0"?><rss version="2.0"><channel><title>\(path)</title><link>https://example.org\(path)</link>
            \(extra)<item><title>Post on \(path)</title><link>https://example.org\(path)/1</link></item></channel></rss>
            """.utf8)
    }

    /// 200 with validators the first time, 304 whenever the client sends them back.
    static func conditional(_ request: TestHTTPServer.Request, body: [UInt8], extraHeaders: [(String, String)] = [])
        -> TestHTTPServer.Response
    {
        let validators = [("ETag", "\"v1\""), ("Last-Modified", "Mon, 30 Nov 2026 00:00:00 GMT")]
        if request.headers["if-none-match"] == "\"v1\"" {
            return .init(status: 304, headers: validators + extraHeaders)
        }
        return .init(headers: validators + extraHeaders + [("Content-Type", "application/rss+xml")], body: body)
    }

    /// A scheduler wired like `estuary run`, on `clock`, for the config `text` (PORT replaced).
    static func scheduler(
        config text: String, server: TestHTTPServer, clock: SimulatedClock, folder: URL, hostSpacing: Duration = .zero
    ) throws -> (Scheduler, Config) {
        let config = try ConfigLoader().parse(
            text: text.replacingOccurrences(of: "PORT", with: "\(server.port)"), file: "estuary.toml", folder: folder)
        let cycle = try cycle(server: server, clock: clock, folder: folder, hostSpacing: hostSpacing)
        return (Scheduler(config: config, cycle: cycle, clock: clock, logger: Logger(label: "test")), config)
    }

    /// The real stages, fetching from `server` for one.test and two.test, on `clock`, with the state in `folder`/state.
    static func cycle(server: TestHTTPServer, clock: SimulatedClock, folder: URL, hostSpacing: Duration = .zero) throws -> Cycle {
        var settings = FetchSettings()
        settings.allowPrivateAddresses = true
        settings.hostSpacing = hostSpacing
        settings.maxHostPause = .milliseconds(300)
        settings.resolve = ["one.test", "two.test"].map { "\($0):\(server.port):127.0.0.1" }
        let logger = Logger(label: "test")
        let random = SeededRandom(seed: 42)
        return Cycle(
            fetcher: CurlFetcher(settings: settings, logger: logger), parser: FeedParser(),
            store: try SQLiteStore(directory: folder.appendingPathComponent("state").path), now: clock.now,
            random: random.next, logger: logger)
    }

    @Test func aSimulatedDayJudgedFromTheServersLog() async throws {
        let clock = SimulatedClock(start: Self.start)
        let log = ServerLog()
        let server = try TestHTTPServer { request in
            let host = String((request.headers["host"] ?? "").split(separator: ":").first ?? "")
            let attempt = log.append(
                Logged(host: host, path: request.path, headers: request.headers, simulated: clock.now(), real: Date()))
            switch request.path {
            case "/plain": return Self.conditional(request, body: Self.rss("/plain"))
            case "/ttl": return Self.conditional(request, body: Self.rss("/ttl", extra: "<ttl>180</ttl>"))
            case "/cache":
                return Self.conditional(
                    request, body: Self.rss("/cache"), extraHeaders: [("Cache-Control", "max-age=7200")])
            case "/skip":
                let hours = (0...5).map { "<hour>\($0)</hour>" }.joined()
                return Self.conditional(request, body: Self.rss("/skip", extra: "<skipHours>\(hours)</skipHours>"))
            case "/limited" where attempt <= 2:
                return .init(status: 429, headers: [("Retry-After", "7200")])
            case "/unavailable" where attempt == 1:
                return .init(status: 503, headers: [("Retry-After", "3600")])
            case "/limited", "/unavailable":
                return Self.conditional(request, body: Self.rss(request.path))
            default:
                return .init(status: 500)
            }
        }
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try Self.scheduler(
            config: """
                [estuary]
                state_dir = "state"
                output_dir = "public"
                interval = "1h"
                min_interval = "30m"
                max_interval = "12h"
                cold_start_spread = "1h"

                [[source]]
                id = "plain"
                url = "http://one.test:PORT/plain"
                [[source]]
                id = "ttl"
                url = "http://one.test:PORT/ttl"
                [[source]]
                id = "cache"
                url = "http://one.test:PORT/cache"
                [[source]]
                id = "skip"
                url = "http://one.test:PORT/skip"
                [[source]]
                id = "limited"
                url = "http://two.test:PORT/limited"
                [[source]]
                id = "unavailable"
                url = "http://two.test:PORT/unavailable"
                [[source]]
                id = "broken"
                url = "http://two.test:PORT/broken"

                [[output]]
                name = "river"
                formats = ["atom", "json"]
                """, server: server, clock: clock, folder: folder, hostSpacing: .milliseconds(100))
        await scheduler.run(until: Self.start.addingTimeInterval(24 * 3600))

        let hour: TimeInterval = 3600
        func gaps(_ path: String) -> [TimeInterval] {
            let times = log.requests(path).map(\.simulated)
            return zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        }
        // Cold start: the first fetches are spread over the first hour, not fired at once.
        let firsts = ["/plain", "/ttl", "/cache", "/skip", "/limited", "/unavailable", "/broken"].compactMap {
            log.requests($0).first?.simulated
        }
        #expect(firsts.count == 7)
        #expect(firsts.allSatisfy { $0 >= Self.start && $0 < Self.start + hour })
        #expect(Set(firsts).count == 7, "\(firsts)")

        // No source more often than its interval allows (less 10% jitter), and none forgotten.
        #expect(gaps("/plain").allSatisfy { $0 >= 0.9 * hour }, "\(gaps("/plain"))")
        #expect(log.requests("/plain").count >= 20)
        // The feed's ttl (180 minutes) and the server's max-age (2 hours) lengthen the interval.
        #expect(gaps("/ttl").allSatisfy { $0 >= 0.9 * 3 * hour }, "\(gaps("/ttl"))")
        #expect(log.requests("/ttl").count >= 6)
        #expect(gaps("/cache").allSatisfy { $0 >= 0.9 * 2 * hour }, "\(gaps("/cache"))")
        // skipHours 0-5: once the feed has said so, nothing in those hours.
        let skipped = log.requests("/skip").dropFirst().filter { $0.simulated.timeIntervalSince(Self.start) < 6 * hour }
        #expect(skipped.isEmpty, "\(skipped.map(\.simulated))")
        #expect(log.requests("/skip").count >= 12)

        // Conditional headers on every request once the validators are known.
        for path in ["/plain", "/ttl", "/cache", "/skip"] {
            for request in log.requests(path).dropFirst() {
                #expect(request.headers["if-none-match"] == "\"v1\"", "\(path)")
                #expect(request.headers["if-modified-since"] == "Mon, 30 Nov 2026 00:00:00 GMT", "\(path)")
            }
        }

        // 429 and 503 with Retry-After: not asked again before the time the server named.
        let limited = gaps("/limited")
        #expect(limited.count >= 3)
        #expect(limited.prefix(2).allSatisfy { $0 >= 2 * hour - 0.001 }, "\(limited)")
        #expect(gaps("/unavailable").first.map { $0 >= hour - 0.001 } == true, "\(gaps("/unavailable"))")

        // Errors back off: interval × 2^errors (2 h, 4 h, 8 h, ...), less 10% jitter.
        let broken = gaps("/broken")
        #expect(broken.count >= 2 && broken.count <= 4, "\(broken)")
        for (index, gap) in broken.enumerated() {
            #expect(gap >= 0.9 * hour * pow(2, Double(index + 1)), "\(broken)")
        }

        // Per-host spacing (100 ms between request starts to one host; a little slack for the
        // server's own clock, which notes a request when its head is read).
        for host in ["one.test", "two.test"] {
            let times = log.all.filter { $0.host == host }.map(\.real)
            let tooClose = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }.filter { $0 < 0.07 }
            #expect(tooClose.isEmpty, "\(host): \(tooClose)")
        }
    }
}

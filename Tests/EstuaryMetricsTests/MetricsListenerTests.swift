import EstuaryCore
import Foundation
import Testing

@testable import EstuaryMetrics

@Suite struct MetricsListenerTests {
    static let loopback = ListenAddress(host: "127.0.0.1", family: .ipv4, port: 0)

    /// A listener on 127.0.0.1, on a port the kernel picks, serving `metrics`; stopped after `body`.
    func withListener<T>(
        _ metrics: Metrics = Metrics(), address: ListenAddress = loopback, requestTimeout: Duration = .seconds(5),
        _ body: (MetricsListener) throws -> T
    ) throws -> T {
        let listener = try MetricsListener(address: address, metrics: metrics, requestTimeout: requestTimeout)
        defer { listener.stop() }
        return try body(listener)
    }

    @Test func servesTheMetricsInTheTextFormatOnAPortTheKernelPicked() throws {
        let metrics = Metrics()
        metrics.observe(SourceReport(sourceID: "a", outcome: .stored(status: 200, items: 4, new: 4), elapsed: .milliseconds(50)))
        try withListener(metrics) { listener in
            #expect(listener.port > 0)
            #expect(listener.address.description == "127.0.0.1:\(listener.port)")
            let answer = try RawClient.exchange(port: listener.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(answer.headers["connection"] == "close")
            #expect(answer.headers["content-length"] == "\(answer.body.utf8.count)")
            #expect(answer.body == metrics.render())
            #expect(samples(answer.body)["estuary_items_new_total"] == 4)
        }
    }

    @Test func headAnswersTheHeadersOfGetWithoutTheBody() throws {
        try withListener { listener in
            let get = try RawClient.exchange(port: listener.port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n")
            let head = try RawClient.exchange(port: listener.port, "HEAD /metrics HTTP/1.1\r\n\r\n")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-length"] == get.headers["content-length"])
            #expect(Int(head.headers["content-length"] ?? "") ?? 0 > 0)
        }
    }

    @Test func theRootPointsAtTheMetrics() throws {
        try withListener { listener in
            let answer = try RawClient.exchange(port: listener.port, "GET / HTTP/1.1\r\n\r\n")
            #expect(answer.status == 200)
            #expect(answer.body == "Estuary \(Estuary.version): metrics are at /metrics\n")
        }
    }

    @Test(
        arguments: [
            ("GET /metrics/x HTTP/1.1\r\n\r\n", 404, nil),
            ("GET /favicon.ico HTTP/1.1\r\n\r\n", 404, nil),
            ("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405, "GET, HEAD"),
            ("DELETE / HTTP/1.1\r\n\r\n", 405, "GET, HEAD"),
            ("hello\r\n\r\n", 400, nil),
            ("GET /metrics SPDY/3\r\n\r\n", 400, nil),
        ] as [(String, Int, String?)])
    func answersOtherRequestsWithTheRightStatus(request: String, status: Int, allow: String?) throws {
        try withListener { listener in
            let answer = try RawClient.exchange(port: listener.port, request)
            #expect(answer.status == status)
            #expect(answer.headers["allow"] == allow)
            #expect(answer.headers["connection"] == "close")
            #expect(!answer.body.contains("estuary_"))
        }
    }

    @Test func refusesARequestHeadOverTheLimit() throws {
        try withListener { listener in
            let padding = String(repeating: "a", count: MetricsListener.maxHeadBytes)
            let answer = try RawClient.exchange(port: listener.port, "GET /metrics HTTP/1.1\r\nX-Padding: \(padding)\r\n\r\n")
            #expect(answer.status == 431)
        }
    }

    @Test func servesClientsWhoseRequestsArriveInterleaved() throws {
        try withListener { listener in
            let first = try RawClient(port: listener.port)
            let second = try RawClient(port: listener.port)
            try first.send("GET /metr")
            try second.send("GET /metrics HT")
            try second.send("TP/1.1\r\n\r\n")
            try first.send("ics HTTP/1.1\r\n\r\n")
            #expect(try RawClient.Answer(second.readToEnd()).status == 200)
            #expect(try RawClient.Answer(first.readToEnd()).status == 200)
        }
    }

    @Test func servesManyClientsAtOnce() throws {
        try withListener { listener in
            let statuses = LockedStatuses()
            DispatchQueue.concurrentPerform(iterations: 40) { _ in
                let answer = try? RawClient.exchange(port: listener.port, "GET /metrics HTTP/1.1\r\n\r\n")
                statuses.append(answer?.status ?? 0)
            }
            #expect(statuses.values == Array(repeating: 200, count: 40))
        }
    }

    @Test func aSilentClientDoesNotHoldUpAnother() throws {
        try withListener(requestTimeout: .seconds(30)) { listener in
            let silent = try RawClient(port: listener.port)
            let start = ContinuousClock.now
            let answer = try RawClient.exchange(port: listener.port, "GET /metrics HTTP/1.1\r\n\r\n")
            #expect(answer.status == 200)
            #expect(ContinuousClock.now - start < .seconds(5))
            _ = silent
        }
    }

    /// Idle connections beyond the cap make room for new ones, oldest first: before, 32 silent
    /// connections filled every slot and a scrape waited behind them for their timeouts.
    @Test func idleConnectionsCannotKeepAScraperOut() throws {
        try withListener(requestTimeout: .seconds(60)) { listener in
            let silent = try (0..<(MetricsListener.maxConnections + 20)).map { _ in try RawClient(port: listener.port) }
            // The scrape's read gives up after 10 s, well before the silent ones time out.
            let answer = try RawClient.exchange(port: listener.port, "GET /metrics HTTP/1.1\r\n\r\n")
            #expect(answer.status == 200)
            _ = silent
        }
    }

    /// A head ended by a bare blank line (LF LF, as netcat and some scripts send it) is complete.
    @Test func aHeadEndedByBareLineFeedsIsAnswered() throws {
        try withListener(requestTimeout: .seconds(30)) { listener in
            let answer = try RawClient.exchange(port: listener.port, "GET /metrics HTTP/1.1\nHost: x\n\n")
            #expect(answer.status == 200)
            #expect(answer.body.contains("estuary_build_info"))
        }
        #expect(MetricsListener.headEnd(Array("GET / HTTP/1.1\r\nA: b\r\n\r\n".utf8)) == 20)
        #expect(MetricsListener.headEnd(Array("GET / HTTP/1.1\r\nA: b\r\n".utf8)) == nil)
    }

    @Test func aSilentClientIsCutOffAfterTheRequestTimeout() throws {
        try withListener(requestTimeout: .milliseconds(300)) { listener in
            let silent = try RawClient(port: listener.port, timeout: .seconds(5))
            let start = ContinuousClock.now
            let answer = try RawClient.Answer(silent.readToEnd())
            #expect(answer.status == 408)
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    @Test func listensOnTheIPv6Loopback() throws {
        try withListener(address: ListenAddress(parsing: "[::1]:0")!) { listener in
            #expect(listener.address.description == "[::1]:\(listener.port)")
            let answer = try RawClient.exchange(port: listener.port, host: "::1", "GET /metrics HTTP/1.1\r\n\r\n")
            #expect(answer.status == 200)
        }
    }

    @Test func aPortInUseIsAnErrorNamingTheAddressAndTheKey() throws {
        try withListener { listener in
            do {
                let second = try MetricsListener(address: listener.address, metrics: Metrics())
                second.stop()
                Issue.record("a second listener on \(listener.address) started")
            } catch {
                #expect(
                    "\(error)"
                        == "metrics: cannot listen on 127.0.0.1:\(listener.port): Address already in use (change [metrics] listen)"
                )
            }
        }
    }

    @Test func stopClosesTheSocketAndIsIdempotent() throws {
        let listener = try MetricsListener(address: Self.loopback, metrics: Metrics())
        let port = listener.port
        #expect(try RawClient.exchange(port: port, "GET / HTTP/1.1\r\n\r\n").status == 200)
        listener.stop()
        listener.stop()
        #expect(throws: RawClient.Failure.self) { try RawClient(port: port) }
    }
}

/// Statuses collected from concurrent clients.
private final class LockedStatuses: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [Int] = []

    func append(_ status: Int) { lock.withLock { collected.append(status) } }
    var values: [Int] { lock.withLock { collected } }
}

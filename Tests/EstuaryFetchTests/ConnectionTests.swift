import EstuaryCore
import EstuaryTestSupport
import Foundation
import Logging
import Testing

@testable import EstuaryFetch

/// How the engine uses connections: kept alive between requests to one host, HTTPS with its
/// certificate checked (against the system's authorities, or a source's `ca_file`), and HTTP/2
/// streams sharing one connection when the server offers HTTP/2.
@Suite struct ConnectionTests {
    /// A small feed, in a folder for the HTTPS server to serve.
    static func feedFolder(count: Int) throws -> URL {
        let folder = try Fixtures.temporaryFolder()
        for index in 0..<count {
            let feed = "<rss version=\"2.0\"><channel><title>Feed \(index)</title></channel></rss>"
            try Data(feed.utf8).write(to: folder.appendingPathComponent("\(index).xml"))
        }
        return folder
    }

    func fetch(_ requests: [FetchRequest], settings: FetchSettings = CurlFetcherTests.local) async -> [String: FetchResult] {
        let fetcher = CurlFetcher(settings: settings, logger: Logger(label: "test"))
        var results: [String: FetchResult] = [:]
        for await (request, result) in fetcher.fetch(requests) { results[request.sourceID] = result }
        return results
    }

    static func requests(_ server: TestTLSServer, count: Int, caFile: URL?) -> [FetchRequest] {
        (0..<count).map { index in
            var request = FetchRequest(sourceID: "s\(index)", url: URL(string: "\(server.baseURL)/\(index).xml")!)
            request.caFile = caFile?.path
            return request
        }
    }

    @Test func requestsToOneHostShareAKeptAliveConnection() async throws {
        let server = try TestHTTPServer(routes: [
            "/a": .init(contentType: "application/rss+xml", body: "<rss version=\"2.0\"><channel/></rss>"),
            "/b": .init(contentType: "application/rss+xml", body: "<rss version=\"2.0\"><channel/></rss>"),
        ])
        var settings = CurlFetcherTests.local
        settings.maxConnectionsPerHost = 1
        let requests = (0..<6).map {
            FetchRequest(sourceID: "s\($0)", url: URL(string: "\(server.baseURL)/\($0 % 2 == 0 ? "a" : "b")")!)
        }

        let results = await fetch(requests, settings: settings)

        #expect(results.count == 6)
        for (_, result) in results {
            guard case .body(let body) = result else {
                Issue.record("expected a body, got \(result)")
                continue
            }
            #expect(body.status == 200)
        }
        #expect(server.requests.count == 6)
        #expect(Set(server.requests.map(\.connection)) == [1], "one connection, reused: \(server.requests.map(\.connection))")
    }

    /// Over cleartext HTTP/1.1 a second request to a host opens its own connection at once: it does
    /// not wait for the first one's answer, which a stalled server may never send.
    @Test func aRequestDoesNotWaitForAStalledCleartextConnectionToItsHost() async throws {
        let released = Fixtures.Flag()
        let server = try TestHTTPServer { request in
            let held = Date()
            while request.path == "/stalled", !released.isSet, Date().timeIntervalSince(held) < 60 {
                Thread.sleep(forTimeInterval: 0.01)
            }
            return .init(contentType: "application/rss+xml", body: "<rss version=\"2.0\"><channel/></rss>")
        }
        defer { released.set() }
        let fetcher = CurlFetcher(settings: CurlFetcherTests.local, logger: Logger(label: "test"))
        let requests = ["stalled", "fine"].map { FetchRequest(sourceID: $0, url: URL(string: "\(server.baseURL)/\($0)")!) }
        var first: String?
        for await (request, _) in fetcher.fetch(requests) {
            first = first ?? request.sourceID
            released.set()
        }
        #expect(first == "fine")
        #expect(Set(server.requests.map(\.connection)).count == 2, "\(server.requests.map(\.connection))")
    }

    @Test func aCertificateNoAuthoritySignedFailsAtTheTLSStageAndSaysWhatToDo() async throws {
        let server = try TestTLSServer(root: try Self.feedFolder(count: 1))
        let result = await fetch(Self.requests(server, count: 1, caFile: nil))["s0"]

        guard case .failure(let failure) = result else {
            Issue.record("a self-signed certificate must be refused, got \(String(describing: result))")
            return
        }
        #expect(failure.stage == "tls")
        #expect(failure.message.contains("certificate"), "\(failure.message)")
        #expect(failure.message.contains("ca_file"), "\(failure.message)")
        #expect(server.requests.isEmpty, "no request may be sent over an unverified connection")
    }

    @Test func aSourcesCAFileIsTheAuthorityItsServerIsCheckedAgainst() async throws {
        let server = try TestTLSServer(root: try Self.feedFolder(count: 1))
        let result = await fetch(Self.requests(server, count: 1, caFile: server.certificate))["s0"]

        guard case .body(let body) = result else {
            Issue.record("the certificate its ca_file names must be trusted, got \(String(describing: result))")
            return
        }
        #expect(String(decoding: body.body, as: UTF8.self).contains("Feed 0"))
    }

    @Test func aCAFileThatDidNotSignTheCertificateIsRefused() async throws {
        let server = try TestTLSServer(root: try Self.feedFolder(count: 1))
        // Another server's certificate: an authority, but not this server's.
        let other = try TestTLSServer(root: try Self.feedFolder(count: 1))
        let result = await fetch(Self.requests(server, count: 1, caFile: other.certificate))["s0"]

        guard case .failure(let failure) = result else {
            Issue.record("a certificate its ca_file did not sign must be refused, got \(String(describing: result))")
            return
        }
        #expect(failure.stage == "tls")
        #expect(failure.message.contains(other.certificate.path), "\(failure.message)")
    }

    @Test func turningVerificationOffIsTheOnlyOtherWayIn() async throws {
        let server = try TestTLSServer(root: try Self.feedFolder(count: 1))
        var request = Self.requests(server, count: 1, caFile: nil)[0]
        request.verifyTLS = false
        let result = await fetch([request])["s0"]

        guard case .body = result else {
            Issue.record("tls_verify = false must fetch, got \(String(describing: result))")
            return
        }
    }

    /// The HTTPS server is a python process: it must end with the test process however that
    /// ends (a crash or a kill -9 runs no deinit), not listen on for ever.
    @Test func theHTTPSServerEndsWithTheTestProcess() async throws {
        let server = try TestTLSServer(root: try Self.feedFolder(count: 1))
        server.endLifeline()
        let deadline = ContinuousClock.now + .seconds(10)
        while server.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning)
    }

    /// With HTTP/2 on offer (ALPN), requests to one host run as streams of one connection at once:
    /// the server holds its answers until four requests wait on the same connection.
    @Test func http2StreamsShareOneConnectionAtOnce() async throws {
        let server = try TestTLSServer(root: try Self.feedFolder(count: 8), holdFor: 4)
        var settings = CurlFetcherTests.local
        settings.maxConnectionsPerHost = 4
        let results = await fetch(Self.requests(server, count: 8, caFile: server.certificate), settings: settings)

        #expect(results.count == 8)
        for (source, result) in results {
            guard case .body(let body) = result else {
                Issue.record("\(source): expected a body, got \(result)")
                continue
            }
            #expect(String(decoding: body.body, as: UTF8.self).contains("Feed \(source.dropFirst())"))
        }
        let seen = server.requests
        #expect(seen.count == 8)
        #expect(seen.allSatisfy { $0.protocolName == "h2" }, "\(seen.map(\.protocolName))")
        #expect(Set(seen.map(\.connection)).count == 1, "one connection: \(seen.map(\.connection))")
        #expect(seen.map(\.concurrent).max() == 4, "four streams at once: \(seen.map(\.concurrent))")
    }
}

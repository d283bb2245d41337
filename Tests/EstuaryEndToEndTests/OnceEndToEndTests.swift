import EstuaryCore
import EstuaryParse
import EstuaryTestSupport
import Foundation
import Testing

/// `estuary once`, the real executable, over a real HTTP server on 127.0.0.1.
@Suite struct OnceEndToEndTests {
    /// Serves the seed feeds and a few broken sources.
    static func makeServer() throws -> TestHTTPServer {
        let wordpress = try Fixtures.demoFeed("wordpress-rss2.xml")
        let planet = try Fixtures.demoFeed("planet-atom.xml")
        let routes: [String: TestHTTPServer.Response] = [
            "/wordpress/feed/": .init(
                headers: [("Content-Type", "application/rss+xml; charset=UTF-8"), ("ETag", "\"wp-1\"")], body: wordpress),
            "/planet/atom.xml": .init(
                headers: [("Content-Type", "application/atom+xml"), ("Last-Modified", "Mon, 04 Dec 2017 10:02:00 GMT")],
                body: planet),
            "/a-web-page/": .init(
                contentType: "text/html", body: "<!doctype html><html><head><title>Hi</title></head><body>Hello</body></html>"),
            "/blog/": .init(
                contentType: "text/html",
                body: """
                    <!DOCTYPE html><html><head><title>Blog</title>
                    <link rel="stylesheet" href="/style.css">
                    <link rel="alternate" type="application/atom+xml" title="Atom" href="../planet/atom.xml">
                    </head><body>Posts</body></html>
                    """),
        ]
        // Conditional GET as a real server does it: 304 when a validator matches.
        return try TestHTTPServer { request in
            guard let response = routes[request.path] else { return .init(status: 404, contentType: "text/plain", body: "no\n") }
            let etag = response.headers.first { $0.0 == "ETag" }?.1
            let modified = response.headers.first { $0.0 == "Last-Modified" }?.1
            if (etag != nil && request.headers["if-none-match"] == etag)
                || (modified != nil && request.headers["if-modified-since"] == modified)
            {
                return .init(status: 304, headers: response.headers.filter { $0.0 != "Content-Type" })
            }
            return response
        }
    }

    static func writeConfig(in folder: URL, server: TestHTTPServer, extraSources: String = "") throws -> URL {
        let config = folder.appendingPathComponent("estuary.toml")
        try """
        [estuary]
        state_dir = "state"
        output_dir = "public"
        # A daemon in a test fetches every source at once instead of spreading them over an interval.
        cold_start_spread = "0s"

        [fetch]
        # The test server is on loopback, and every source shares it.
        allow_private_addresses = true
        host_spacing = "0s"

        [[source]]
        id = "photo-journal"
        url = "\(server.baseURL)/wordpress/feed/"

        [[source]]
        id = "planet"
        url = "\(server.baseURL)/planet/atom.xml"
        \(extraSources)
        [[output]]
        name = "river"
        formats = ["atom", "rss", "jsonfeed", "json", "opml"]
        """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    static func index(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("public/river.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func items(_ folder: URL) throws -> [[String: Any]] {
        try #require(try index(folder)["items"] as? [[String: Any]])
    }

    /// `once --verbose` is its report, one line per source and output: the log's own debug lines
    /// (a "fetch" line for every source, before any report line) come only with --log-level debug.
    @Test func onceVerboseIsOneLinePerSourceWithoutTheDebugLog() throws {
        let feeds = ["wordpress-rss2.xml", "planet-atom.xml", "river-notes-atom.xml"]
        let (_, config) = try Fixtures.config(
            feeds.enumerated().map { index, name in
                "[[source]]\nid = \"s\(index)\"\nurl = \"\(Fixtures.demoFeeds.appendingPathComponent(name).absoluteString)\"\n"
            }.joined(separator: "\n") + "\n[[output]]\nname = \"river\"\n")
        let verbose = try EstuaryBinary.run(["once", "--verbose", "--config", config.path])
        #expect(verbose.status == 0, "\(verbose.stderr)")
        let lines = verbose.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("source \"") }.count == feeds.count, "\(verbose.stderr)")
        #expect(lines.contains { $0.hasPrefix("output \"river\": wrote") }, "\(verbose.stderr)")
        #expect(!lines.contains { $0.hasPrefix("debug ") }, "\(verbose.stderr)")

        let debug = try EstuaryBinary.run(["once", "--force", "--verbose", "--log-level", "debug", "--config", config.path])
        #expect(debug.status == 0, "\(debug.stderr)")
        #expect(debug.stderr.contains("debug source=s0 fetch url="), "\(debug.stderr)")
        #expect(debug.stderr.contains("source \"s0\": 200, body unchanged"), "\(debug.stderr)")
    }

    @Test func carriesTheSeedArticleByteExactThroughTheJSONIndexAndTheAtomFeed() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        let article = try Fixtures.seedArticle()

        let run = try EstuaryBinary.run(["once", "--verbose", "--config", config.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("source \"photo-journal\": 200, 1 item (1 new)"))
        #expect(run.stderr.contains("source \"planet\": 200, 1 item ("))
        #expect(run.stderr.contains(folder.appendingPathComponent("public").path))

        // The JSON index.
        let items = try Self.items(folder)
        let post = try #require(items.first { $0["source"] as? String == "photo-journal" })
        #expect(post["title"] as? String == article.title)
        #expect(post["author"] as? String == "Joakim Persson")
        #expect(post["categories"] as? [String] == ["Cambodia", "Human rights", "NGO"])
        #expect(post["published"] as? String == "2017-12-04T09:15:22Z")
        // The two feeds hold one article: the WordPress original (listed first) keeps it,
        // the planet's copy with its tracking parameters is recorded as an alternate.
        #expect(items.count == 1)
        let alternates = try #require(post["alternates"] as? [[String: Any]])
        #expect(alternates.map { $0["source"] as? String } == ["planet"])
        #expect((alternates.first?["link"] as? String)?.contains("utm_source=planet") == true)
        let body = try #require(post["content"] as? String)
        #expect(VisibleText.paragraphs(body) == Array(article.paragraphs.prefix(10)))

        // The merged Atom feed, read back by Estuary's own parser.
        let atomBytes = Array(try Data(contentsOf: folder.appendingPathComponent("public/river.atom")))
        let atom = try FeedParser().parse(atomBytes, documentURL: nil, contentType: nil).get()
        #expect(atom.format == .atom10)
        #expect(atom.wellFormed)
        // The planet's re-publication is the same article: one entry.
        #expect(atom.items.count == 1)
        let entry = try #require(atom.items.first { $0.id == "https://photo-journal.example.org/?p=4711" })
        #expect(entry.title == article.title)
        #expect(entry.author == "Joakim Persson")
        #expect(entry.categories == ["Cambodia", "Human rights", "NGO"])
        #expect(VisibleText.paragraphs(try #require(entry.content)) == Array(article.paragraphs.prefix(10)))
        // Curly quotes and dashes as characters, not lost on the way.
        #expect(VisibleText.paragraphs(entry.content!)[2].hasPrefix("\u{201C}CCHR firmly believes"))

        // The RSS and JSON Feed outputs, read back: the same article, once.
        for (file, format) in [("river.rss", FeedFormat.rss20), ("river.feed.json", .json11)] {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent("public/\(file)")))
            let feed = try FeedParser().parse(bytes, documentURL: nil, contentType: nil).get()
            #expect(feed.format == format)
            #expect(feed.items.count == 1, "\(file)")
            let copy = try #require(feed.items.first)
            #expect(copy.title == article.title, "\(file)")
            #expect(copy.author == "Joakim Persson", "\(file)")
            #expect(copy.categories == ["Cambodia", "Human rights", "NGO"], "\(file)")
            #expect(VisibleText.paragraphs(try #require(copy.content)) == Array(article.paragraphs.prefix(10)), "\(file)")
        }
        let opml = try String(contentsOf: folder.appendingPathComponent("public/river.opml"), encoding: .utf8)
        #expect(opml.contains("xmlUrl=\"\(server.baseURL)/wordpress/feed/\""))
        #expect(opml.contains("htmlUrl=\"https://photo-journal.example.org\""))
    }

    @Test func aSecondRunAddsNothing() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)

        let first = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let before = try Self.items(folder)

        let indexFile = folder.appendingPathComponent("public/river.json").path
        let writtenBefore = try FileManager.default.attributesOfItem(atPath: indexFile)[.modificationDate] as? Date

        // Not due yet: a plain run fetches nothing, says nothing and writes nothing, not even to the
        // database: its file and WAL stay byte for byte. (A run may still checkpoint what the previous
        // process left in the WAL, so compare two such runs.)
        let database = folder.appendingPathComponent("state/estuary.sqlite")
        let wal = folder.appendingPathComponent("state/estuary.sqlite-wal")
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let snapshot = (try Data(contentsOf: database), try? Data(contentsOf: wal))
        let notDue = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(notDue.status == 0)
        #expect(notDue.stderr.isEmpty, "\(notDue.stderr)")
        #expect(server.requests.count == 2)
        #expect(try Data(contentsOf: database) == snapshot.0)
        #expect((try? Data(contentsOf: wal)) == snapshot.1)

        let second = try EstuaryBinary.run(["once", "--force", "--verbose", "--config", config.path])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        // Both validators went back, the server answered 304, nothing was parsed or written.
        #expect(second.stderr.contains("source \"photo-journal\": 304, not modified"))
        #expect(second.stderr.contains("source \"planet\": 304, not modified"))
        #expect(second.stderr.contains("output \"river\": unchanged"))
        let conditional = server.requests.filter { $0.path == "/wordpress/feed/" }.last
        #expect(conditional?.headers["if-none-match"] == "\"wp-1\"")
        #expect(server.requests.filter { $0.path == "/planet/atom.xml" }.last?.headers["if-modified-since"] != nil)
        let writtenAfter = try FileManager.default.attributesOfItem(atPath: indexFile)[.modificationDate] as? Date
        #expect(writtenAfter == writtenBefore)
        // A run that finds nothing new changes only each source's schedule in the state: the next
        // fetch moves on by an interval; the outputs stay as they were.
        let quiet = try EstuaryBinary.run(["once", "--force", "--config", config.path])
        #expect(quiet.status == 0, "stderr: \(quiet.stderr)")
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
        let status = try EstuaryBinary.run(["status", "--json", "--config", config.path]).stdout
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [[String: Any]])
        let formatter = ISO8601DateFormatter()
        for row in rows {
            // Due again one interval (30 minutes, less 10% jitter at most) after this run.
            let next = try #require((row["nextAttempt"] as? String).flatMap(formatter.date(from:)), "\(row)")
            #expect(next > Date().addingTimeInterval(26 * 60), "\(row)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: indexFile)[.modificationDate] as? Date == writtenBefore)

        let after = try Self.items(folder)
        #expect(after.count == before.count)
        #expect(after.map { $0["key"] as? String } == before.map { $0["key"] as? String })
        #expect(after.map { $0["firstSeen"] as? String } == before.map { $0["firstSeen"] as? String })
    }

    @Test func brokenSourcesFailAloneAndTheOutputsAreStillWritten() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        // A port nothing listens on: bind one, then close it.
        let closed = try TestHTTPServer(routes: [:])
        let deadPort = closed.port
        closed.stop()
        let config = try Self.writeConfig(
            in: folder, server: server,
            extraSources: """

                [[source]]
                id = "missing"
                url = "\(server.baseURL)/no-such-feed.xml"

                [[source]]
                id = "webpage"
                url = "\(server.baseURL)/a-web-page/"

                [[source]]
                id = "down"
                url = "http://127.0.0.1:\(deadPort)/feed.xml"

                [[source]]
                id = "nofile"
                url = "file:does-not-exist.xml"

                """)

        let run = try EstuaryBinary.run(["once", "--verbose", "--config", config.path])
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("source \"missing\": fetch failed (http): HTTP 404 Not Found"))
        #expect(run.stderr.contains("source \"webpage\": parse failed: not a feed: the url is a web page without a feed link"))
        #expect(run.stderr.contains("source \"down\": fetch failed (connect): Couldn't connect to server"))
        #expect(run.stderr.contains("source \"nofile\": fetch failed (read):"))
        // Every failure says when the next attempt is.
        #expect(run.stderr.contains("; next attempt at "))
        #expect(run.stderr.contains("source \"photo-journal\": 200, 1 item (1 new)"))

        let index = try Self.index(folder)
        let items = try #require(index["items"] as? [[String: Any]])
        #expect(items.compactMap { $0["source"] as? String } == ["photo-journal"])
        let sources = try #require(index["sources"] as? [[String: Any]])
        let missing = try #require(sources.first { $0["id"] as? String == "missing" })
        #expect(missing["lastResult"] as? String == "http")
        #expect(missing["lastStatus"] as? Int == 404)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("public/river.atom").path))
    }

    @Test func aWebPageLeadsToItsFeedAndTheOperatorIsTold() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "\(server.baseURL)/planet/atom.xml", with: "\(server.baseURL)/blog/")
        try text.write(to: config, atomically: true, encoding: .utf8)

        let run = try EstuaryBinary.run(["once", "--verbose", "--config", config.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(
            run.stderr.contains(
                "source \"planet\": discovered feed \(server.baseURL)/planet/atom.xml on the page; put it in the config"))
        #expect(run.stderr.contains("source \"planet\": 200, 1 item ("))
        // The discovered feed is the planet: its article is the WordPress post's alternate.
        let post = try #require(try Self.items(folder).first)
        #expect((post["alternates"] as? [[String: Any]])?.first?["source"] as? String == "planet")
    }

    @Test func aPermanentRedirectMovesTheSourceAfterThreeFetchesAndStatusSaysSo() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        // The planet's old address redirects permanently to the real one.
        let old = "\(server.baseURL)/old-planet.xml"
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "\(server.baseURL)/planet/atom.xml", with: old)
        try text.write(to: config, atomically: true, encoding: .utf8)
        let moved = try TestHTTPServer { _ in .init(status: 301, headers: [("Location", "\(server.baseURL)/planet/atom.xml")]) }
        try text.replacingOccurrences(of: old, with: "\(moved.baseURL)/old-planet.xml")
            .write(to: config, atomically: true, encoding: .utf8)

        for run in 1...3 {
            let result = try EstuaryBinary.run(["once", "--force", "--config", config.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(moved.requests.count == run)
            let status = try EstuaryBinary.run(["status", "--config", config.path])
            let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("planet: moved") } ?? ""
            #expect(line.contains("moved to \(server.baseURL)/planet/atom.xml") == (run == 3), "\(line)")
            // The run that moves the source says so once, with what to do.
            let notice =
                "moved: 3 fetches in a row were redirected permanently to \(server.baseURL)/planet/atom.xml, which is fetched from now on; the config still says \(moved.baseURL)/old-planet.xml: update it"
            #expect(result.stderr.contains(notice) == (run == 3), "\(result.stderr)")
        }
        // The fourth fetch goes straight to the new address, and the move is not announced again.
        let fourth = try EstuaryBinary.run(["once", "--force", "--config", config.path])
        #expect(moved.requests.count == 3)
        #expect(!fourth.stderr.contains("moved:"), "\(fourth.stderr)")
        #expect(try String(contentsOf: config, encoding: .utf8).contains("/old-planet.xml"))
    }

    /// A feed that has news at every fetch: the fetch that moves the source parses a new body,
    /// and the move is still said once (the new state was worked out twice, each time saying it).
    @Test func aMoveIsSaidOnceWhenTheMovingFetchBringsNews() throws {
        let target = try TestHTTPServer { _ in
            let n = UUID().uuidString
            return .init(
                contentType: "application/rss+xml",
                body:
                    "<rss version=\"2.0\"><channel><title>T</title><item><title>i\(n)</title><link>https://example.org/\(n)</link></item></channel></rss>"
            )
        }
        let old = try TestHTTPServer { _ in .init(status: 301, headers: [("Location", "\(target.baseURL)/feed.xml")]) }
        let config = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true

            [[source]]
            id = "news"
            url = "\(old.baseURL)/feed.xml"
            """
        ).file

        var notices: [Int] = []
        for _ in 1...4 {
            let result = try EstuaryBinary.run(["once", "--force", "--config", config.path])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            notices.append(result.stderr.components(separatedBy: "\n").filter { $0.contains("moved:") }.count)
        }
        #expect(notices == [0, 0, 1, 0])
    }

    /// The move is said once it is recorded: a fetch that would move the source but whose state
    /// cannot be saved (the state database full) says nothing of a move, and the next fetch that
    /// saves it says it then.
    @Test func aMoveIsSaidOnlyOnceItIsSaved() throws {
        // New items at every fetch, large enough that storing them needs room in the database.
        let target = try TestHTTPServer { _ in
            let items = (0..<40).map { _ in
                let n = UUID().uuidString
                return "<item><title>i\(n)</title><link>https://example.org/\(n)</link><description>"
                    + String(repeating: "\(n) ", count: 100) + "</description></item>"
            }
            return .init(
                contentType: "application/rss+xml",
                body: "<rss version=\"2.0\"><channel><title>T</title>\(items.joined())</channel></rss>")
        }
        let old = try TestHTTPServer { _ in .init(status: 301, headers: [("Location", "\(target.baseURL)/feed.xml")]) }
        let (folder, config) = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true

            [[source]]
            id = "news"
            url = "\(old.baseURL)/feed.xml"
            """)
        func run() throws -> EstuaryBinary.Run {
            try EstuaryBinary.run(["once", "--force", "--config", config.path])
        }
        for _ in 1...2 {
            let result = try run()
            #expect(result.status == 0 && !result.stderr.contains("moved:"), "\(result.stderr)")
        }
        // The third fetch moves the source, on a disk with no room left for what it brings.
        let text = try String(contentsOf: config, encoding: .utf8)
        let database = folder.appendingPathComponent("state/estuary.sqlite").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: database)[.size] as? Int)
        try text.replacingOccurrences(
            of: "output_dir = \"public\"\n", with: "output_dir = \"public\"\nmax_state_bytes = \(max(65_536, size))\n"
        ).write(to: config, atomically: true, encoding: .utf8)
        let full = try run()
        #expect(full.status == 74 && full.stderr.contains("full"), "\(full.stderr)")
        #expect(!full.stderr.contains("moved:"), "\(full.stderr)")
        let status = try EstuaryBinary.run(["status", "--config", config.path])
        #expect(!status.stdout.contains("moved to"), "\(status.stdout)")

        // Room again: the next fetch moves the source, saves it and says so, once.
        try text.write(to: config, atomically: true, encoding: .utf8)
        var notices: [Int] = []
        for _ in 1...2 {
            let result = try run()
            #expect(result.status == 0, "\(result.stderr)")
            notices.append(result.stderr.components(separatedBy: "\n").filter { $0.contains("moved:") }.count)
        }
        #expect(notices == [1, 0])
    }

    @Test func retryAfterKeepsTheSourceWaitingAndGoneKeepsItAway() throws {
        let server = try Self.makeServer()
        let busy = try TestHTTPServer { request in
            request.path == "/busy" ? .init(status: 503, headers: [("Retry-After", "3600")]) : .init(status: 410)
        }
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(
            in: folder, server: server,
            extraSources: """

                [[source]]
                id = "busy"
                url = "\(busy.baseURL)/busy"

                [[source]]
                id = "gone"
                url = "\(busy.baseURL)/gone"

                """)
        let first = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(first.status == 1)
        #expect(first.stderr.contains("source \"busy\": fetch failed (http): HTTP 503 Service Unavailable; next attempt at"))
        #expect(first.stderr.contains("(Retry-After from the server)"))
        #expect(first.stderr.contains("source \"gone\": fetch failed (http): HTTP 410 Gone"))
        #expect(first.stderr.contains("marked gone: remove it from the config"))

        // Even forced, neither is asked again.
        let second = try EstuaryBinary.run(["once", "--force", "--verbose", "--config", config.path])
        #expect(second.status == 0, "stderr: \(second.stderr)")
        #expect(second.stderr.contains("source \"busy\": skipped, not due: next attempt at"))
        #expect(second.stderr.contains("source \"gone\": skipped, gone: the server answered 410 Gone"))
        // Neither was asked again.
        #expect(busy.requests.count == 2)
        // status says once that the source is gone and what to do, not twice in other words.
        let status = try EstuaryBinary.run(["status", "--config", config.path]).stdout
        let notes = status.split(separator: "\n").filter { $0.hasPrefix("gone: ") }
        #expect(notes == ["gone: gone (HTTP 410): remove it from the config"], "\(status)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func showsAProgressBarOnATerminalAndNeverInAPipe() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        // script(1) gives the run a pseudo-terminal, as an operator's shell would.
        let command = "\(EstuaryBinary.url.path) once --force --config \(config.path)"
        let (status, output) = try ExternalTool.run("/usr/bin/script", ["-qefc", command, "/dev/null"])
        let text = String(decoding: output, as: UTF8.self)
        #expect(status == 0, "\(text)")
        #expect(text.contains("2/2 sources"), "\(text)")
        #expect(text.contains("[##############################]"), "\(text)")
        // Through a pipe (cron's mail) there is no bar, and a good run prints nothing.
        let piped = try EstuaryBinary.run(["once", "--force", "--config", config.path])
        #expect(piped.stderr.isEmpty, "\(piped.stderr)")
    }

    @Test func theSameStateGivesByteIdenticalOutputs() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let names = ["river.atom", "river.rss", "river.feed.json", "river.json", "river.opml"]
        let outputFolder = folder.appendingPathComponent("public")
        let first = try names.map { try Data(contentsOf: outputFolder.appendingPathComponent($0)) }
        // Removed files are written again (nothing is due, so the state is the same) a second later.
        Thread.sleep(forTimeInterval: 1.1)
        for name in names { try FileManager.default.removeItem(at: outputFolder.appendingPathComponent(name)) }
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let second = try names.map { try Data(contentsOf: outputFolder.appendingPathComponent($0)) }
        for (index, name) in names.enumerated() { #expect(first[index] == second[index], "\(name)") }
    }

    @Test func writesTheMetricsTextfileForNodeExporter() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("metrics"), withIntermediateDirectories: true)
        try (String(contentsOf: config, encoding: .utf8) + "\n[metrics]\ntextfile = \"metrics/estuary.prom\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let text = try String(contentsOf: folder.appendingPathComponent("metrics/estuary.prom"), encoding: .utf8)
        #expect(text.contains("estuary_fetches_total{result=\"stored\"} 2"), "\(text)")
        #expect(text.contains("estuary_sources 2"), "\(text)")
        #expect(text.contains("estuary_sources_failing 0"), "\(text)")
        // A run with nothing due counts its sources as skipped.
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let again = try String(contentsOf: folder.appendingPathComponent("metrics/estuary.prom"), encoding: .utf8)
        #expect(again.contains("estuary_fetches_total{result=\"skipped\"} 2"), "\(again)")
    }

    @Test func aBadConfigExits78AndNamesTheFileLineAndKey() throws {
        let folder = try Fixtures.temporaryFolder()
        let config = folder.appendingPathComponent("estuary.toml")
        try """
        [estuary]
        state_dir = "state"

        [[source]]
        id = "lwn"
        url = "htp:/lwn.net"
        """.write(to: config, atomically: true, encoding: .utf8)
        for command in ["once", "check"] {
            let run = try EstuaryBinary.run([command, "--config", config.path])
            #expect(run.status == 78)
            #expect(
                run.stderr.contains(
                    "\(config.path):6: [[source]] \"lwn\": url \"htp:/lwn.net\" is not an http, https or file URL"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("state").path))
    }

    /// A script that forgot its subcommand fails as any wrong command line does; asking for help succeeds.
    @Test func noSubcommandIsAUsageErrorAndHelpIsNot() throws {
        let bare = try EstuaryBinary.run([])
        #expect(bare.status == 64)
        #expect(bare.stderr.contains("SUBCOMMANDS:") && bare.stdout.isEmpty, "\(bare.stderr)")
        let help = try EstuaryBinary.run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("SUBCOMMANDS:"))
    }

    @Test func aMissingConfigFileSaysSoAndWhatToDo() throws {
        let path = try Fixtures.temporaryFolder().appendingPathComponent("estuary.toml").path
        let run = try EstuaryBinary.run(["check", "--config", path])
        #expect(run.status == 78)
        #expect(
            run.stderr.contains("\(path): no config file here; write one (config/estuary.example.toml shows every section)"),
            "\(run.stderr)")
    }

    /// `check` shows the interval the scheduler will use: a source's own, held within the global bounds.
    @Test func checkShowsASourcesIntervalAsTheBoundsLeaveIt() throws {
        let config = try Fixtures.config(
            """
            [[source]]
            id = "eager"
            url = "https://eager.example/feed"
            interval = "1m"

            [[source]]
            id = "calm"
            url = "https://calm.example/feed"
            interval = "2h"
            """, estuary: "min_interval = \"5m\""
        ).file
        let run = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("https://eager.example/feed  every 5m (interval = 1m, raised to min_interval)"), "\(run.stdout)")
        #expect(run.stdout.contains("https://calm.example/feed  every 2h\n"), "\(run.stdout)")
    }

    @Test func theConfigPathComesFromTheEnvironmentWhenNotGiven() throws {
        let server = try Self.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.writeConfig(in: folder, server: server)
        let run = try EstuaryBinary.run(["check"], environment: ["ESTUARY_CONFIG": config.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("valid: 2 sources, 1 output"))
    }

    @Test func theBundledDemoRunsWithoutNetwork() throws {
        // The demo config names its state and output folders relative to itself; run a copy.
        let folder = try Fixtures.temporaryFolder()
        let demo = try String(contentsOf: Fixtures.repository.appendingPathComponent("config/demo.toml"), encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("demo-feeds"), withDestinationURL: Fixtures.demoFeeds)
        let config = folder.appendingPathComponent("demo.toml")
        try demo.write(to: config, atomically: true, encoding: .utf8)

        let run = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let output = folder.appendingPathComponent("../out/demo/output/river.json").standardizedFileURL
        let index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
        let items = try #require(index["items"] as? [[String: Any]])
        // Six items in four feeds, two of them the same article (the seed post and its planet copy).
        #expect(items.count == 5)
        try Self.expectTheSeedArticleOnceInEveryFormat(in: output.deletingLastPathComponent())
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("../out").standardizedFileURL)
    }

    /// Every output format of `folder` carries the seed article exactly once, with title, author,
    /// categories and (in the feeds) body text byte-exact against article.txt.
    static func expectTheSeedArticleOnceInEveryFormat(in folder: URL) throws {
        let article = try Fixtures.seedArticle()
        let categories = ["Cambodia", "Human rights", "NGO"]
        let paragraphs = Array(article.paragraphs.prefix(10))
        for (file, format) in [("river.atom", FeedFormat.atom10), ("river.rss", .rss20), ("river.feed.json", .json11)] {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(file)))
            let feed = try FeedParser().parse(bytes, documentURL: nil, contentType: nil).get()
            #expect(feed.format == format, "\(file)")
            let copies = feed.items.filter { $0.title == article.title }
            #expect(copies.count == 1, "\(file)")
            let copy = try #require(copies.first)
            #expect(copy.author == "Joakim Persson", "\(file)")
            #expect(copy.categories == categories, "\(file)")
            #expect(VisibleText.paragraphs(try #require(copy.content)) == paragraphs, "\(file)")
        }
        let index = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("river.json")))
                as? [String: Any])
        let posts = (index["items"] as? [[String: Any]] ?? []).filter { $0["title"] as? String == article.title }
        #expect(posts.count == 1)
        #expect(posts.first?["author"] as? String == "Joakim Persson")
        #expect(posts.first?["categories"] as? [String] == categories)
        #expect(VisibleText.paragraphs(posts.first?["content"] as? String ?? "") == paragraphs)
        // The river page shows text excerpts: the title once (escaped as HTML), the author, the start of the body.
        let page = try String(contentsOf: folder.appendingPathComponent("river.html"), encoding: .utf8)
        let title = VisibleText.decode(page).components(separatedBy: article.title).count - 1
        #expect(title == 1, "the title appears \(title) times on the page")
        #expect(page.contains("Joakim Persson"))
        #expect(VisibleText.decode(page).contains(String(paragraphs[0].prefix(60))))

        // JSON Feed 1.1, structurally: version, title, items with an id and a body, authors as
        // objects, attachments with url and mime_type, the _estuary extension naming the source.
        let feed = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("river.feed.json")))
                as? [String: Any])
        #expect(feed["version"] as? String == "https://jsonfeed.org/version/1.1")
        #expect(feed["title"] is String)
        for item in feed["items"] as? [[String: Any]] ?? [] {
            #expect(item["id"] is String)
            #expect(item["content_html"] is String || item["content_text"] is String)
            for author in item["authors"] as? [[String: Any]] ?? [] { #expect(author["name"] is String) }
            for attachment in item["attachments"] as? [[String: Any]] ?? [] {
                #expect(attachment["url"] is String && attachment["mime_type"] is String)
            }
            #expect((item["_estuary"] as? [String: Any])?["source"] is String)
            #expect(item["author"] == nil, "JSON Feed 1.1 uses authors, not author")
        }
    }
}

/// What happens around the cycle: outputs that cannot be written, the daemon loop.
@Suite struct CycleOperationsTests {
    @Test func anOutputThatCannotBeWrittenExits74AndKeepsTheState() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        // A file where the output folder should be.
        try Data("not a folder".utf8).write(to: folder.appendingPathComponent("public"))

        let run = try EstuaryBinary.run(["once", "--verbose", "--config", config.path])
        #expect(run.status == 74, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("output \"river\": not written: cannot create the folder"))
        // One line, saying where to look.
        #expect(run.stderr.components(separatedBy: "not written").count == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("(check output_dir in \(config.path) and its permissions"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("source \"photo-journal\": 200, 1 item (1 new)"))

        // The items were stored: once the folder is fixed, nothing is new and the outputs appear.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("public"))
        let again = try EstuaryBinary.run(["once", "--force", "--verbose", "--config", config.path])
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(again.stderr.contains("source \"photo-journal\": 304, not modified"))
        #expect(try OnceEndToEndTests.items(folder).count == 1)
    }

    @Test func runFetchesEachSourceAgainWhenItIsDue() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "[estuary]\n", with: "[estuary]\ninterval = \"1s\"\nmin_interval = \"1s\"\n")
        try text.write(to: config, atomically: true, encoding: .utf8)

        let err = Pipe()
        let process = try EstuaryBinary.start(["run", "--verbose", "--config", config.path], stderr: err)
        // Three cycles' worth of requests to each feed, within a generous deadline.
        EstuaryBinary.wait(upTo: 20) { server.requests.filter { $0.path == "/planet/atom.xml" }.count >= 3 }
        process.terminate()
        process.waitUntilExit()
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(server.requests.filter { $0.path == "/planet/atom.xml" }.count >= 3, "log: \(log)")
        #expect(log.hasPrefix("info estuary "), "\(log)")
        #expect(log.contains(" started: 2 sources"), "\(log)")
        #expect(log.contains("debug source=planet 200, 1 item ("))
        #expect(log.contains("debug source=planet 304, not modified"))
        #expect(try OnceEndToEndTests.items(folder).count == 1)
    }
}

/// One writer per state folder.
@Suite struct StateLockTests {
    @Test func aSecondWriterExits75WhileReadersStillWork() throws {
        let server = try OnceEndToEndTests.makeServer()
        let slow = try TestHTTPServer { _ in
            Thread.sleep(forTimeInterval: 2)
            return .init(body: Array("<rss version=\"2.0\"><channel><title>s</title></channel></rss>".utf8))
        }
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(
            in: folder, server: server,
            extraSources: """

                [[source]]
                id = "slow"
                url = "\(slow.baseURL)/feed"

                """)
        let first = try EstuaryBinary.start(["once", "--config", config.path])
        // Wait until the first run holds the lock (its request reached the slow server).
        EstuaryBinary.wait(upTo: 10) { !slow.requests.isEmpty }

        let second = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(second.status == 75)
        #expect(second.stderr.contains("another estuary process (pid \(first.processIdentifier)) is using"))
        let status = try EstuaryBinary.run(["status", "--config", config.path])
        #expect(status.status == 0, "stderr: \(status.stderr)")

        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        // The lock went with the process: the next writer runs.
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
    }

    /// A server answering 500 after `seconds`, and a config in a new folder whose one source it is.
    static func slowSource(seconds: TimeInterval) throws -> (server: TestHTTPServer, config: URL) {
        let slow = try TestHTTPServer { _ in
            Thread.sleep(forTimeInterval: seconds)
            return .init(status: 500)
        }
        let config = try Fixtures.temporaryFolder().appendingPathComponent("estuary.toml")
        try """
        [estuary]
        state_dir = "state"
        output_dir = "public"
        # A daemon in a test fetches every source at once instead of spreading them over an interval.
        cold_start_spread = "0s"

        [fetch]
        allow_private_addresses = true

        [[source]]
        id = "slow"
        url = "\(slow.baseURL)/feed"
        """.write(to: config, atomically: true, encoding: .utf8)
        return (slow, config)
    }

    @Test func aKilledWriterLeavesNoStaleLock() throws {
        let (slow, config) = try Self.slowSource(seconds: 5)
        let first = try EstuaryBinary.start(["once", "--config", config.path])
        EstuaryBinary.wait(upTo: 10) { !slow.requests.isEmpty }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let next = try EstuaryBinary.run(["check", "--config", config.path])
        #expect(next.status == 0)
        let again = try EstuaryBinary.start(["once", "--config", config.path])
        Thread.sleep(forTimeInterval: 0.5)
        // It got past the lock: it is fetching, not exiting 75.
        #expect(again.isRunning || again.terminationStatus != 75)
        again.terminate()
        again.waitUntilExit()
    }

    /// A state folder that cannot exist (a file in its place; a read-only file system or a
    /// permission behaves alike) is the operator's to fix: exit 78, which the unit does not
    /// restart, where 74 restarted it every 30 s forever.
    @Test func aStateFolderThatCannotBeMadeExits78() throws {
        let folder = try Fixtures.temporaryFolder()
        try Data().write(to: folder.appendingPathComponent("file"))
        let config = folder.appendingPathComponent("estuary.toml")
        try """
        [estuary]
        state_dir = "file/state"
        output_dir = "public"

        [[source]]
        id = "local"
        url = "\(folder.appendingPathComponent("feed.xml").absoluteString)"
        """.write(to: config, atomically: true, encoding: .utf8)
        for command in ["once", "run"] {
            let result = try EstuaryBinary.run([command, "--config", config.path])
            #expect(result.status == 78, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("cannot lock \(folder.path)/file/state: Not a directory"), "\(result.stderr)")
        }
    }
}

@Suite struct OpenFileLimitTests {
    /// A writer raises its soft limit on open files to the hard one: under systemd the soft limit
    /// is 1024, shared by libcurl's connections, SQLite and the metrics listener's clients.
    @Test func aWriterRaisesItsOpenFileLimit() throws {
        let (slow, config) = try StateLockTests.slowSource(seconds: 3)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--nofile=64:4096", EstuaryBinary.url.path, "once", "--config", config.path]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        #expect(EstuaryBinary.wait(upTo: 10) { !slow.requests.isEmpty })
        let limits = try String(contentsOfFile: "/proc/\(process.processIdentifier)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        #expect(
            line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).prefix(2) == ["4096", "4096"], "\(line)")
    }
}

@Suite struct StatusCommandTests {
    static let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    /// Runs estuary with `arguments` as the user nobody: its status and its output (stdout and stderr).
    static func runAsNobody(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let (status, output) = try ExternalTool.run(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", EstuaryBinary.url.path] + arguments)
        return (status, String(decoding: output, as: UTF8.self))
    }

    /// `status` opens the state read-only: another user with read access can run it while no
    /// writer has the database open (the WAL files stay, so it need not create them).
    @Test(.enabled(if: canSwitchUser))
    func anotherUserReadsTheStatusWhileNoWriterRuns() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        // Readable by all, writable by the owner only (umask 022).
        _ = try ExternalTool.run("/bin/chmod", ["-R", "a+rX,go-w", folder.path])
        let (status, text) = try Self.runAsNobody(["status", "--config", config.path])
        #expect(status == 0, "\(text)")
        #expect(text.contains("photo-journal      ok 200"), "\(text)")
    }

    /// A state made by root (`sudo estuary once`) and then run by another user: the lock can be
    /// taken but the database not written. That is the operator's to fix, so exit 78, which the
    /// unit does not restart (74 restarted it every 30 s forever).
    @Test(.enabled(if: canSwitchUser))
    func aStateDatabaseThisUserCannotWriteExits78() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let state = folder.appendingPathComponent("state")
        _ = try ExternalTool.run("/bin/chmod", ["-R", "a+rX,go-w", folder.path])
        _ = try ExternalTool.run("/bin/chmod", ["a+rwx", state.path])
        _ = try ExternalTool.run("/bin/chmod", ["a+rw", state.appendingPathComponent("estuary.lock").path])
        let (status, text) = try Self.runAsNobody(["once", "--force", "--config", config.path])
        #expect(status == 78, "\(text)")
        #expect(text.contains("must be writable by the user estuary runs as"), "\(text)")
    }

    @Test func statusChangesNothingWhenThereIsNoStateYet() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        let run = try EstuaryBinary.run(["status", "--config", config.path])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("photo-journal      never"))
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("state").path))
    }

    @Test func showsATableIn80ColumnsAndJSONForScripts() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(
            in: folder, server: server,
            extraSources: """

                [[source]]
                id = "a-rather-long-source-identifier-name"
                url = "\(server.baseURL)/missing/\(String(repeating: "long-path-", count: 8)).xml"

                """)
        _ = try EstuaryBinary.run(["once", "--config", config.path])
        let table = try EstuaryBinary.run(["status", "--config", config.path])
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("SOURCE") == true)
        // The times are UTC, and the header says so.
        #expect(lines.first?.contains("LAST FETCH (UTC)") == true, "\(table.stdout)")
        #expect(lines.first?.hasSuffix("NEXT (UTC)") == true, "\(table.stdout)")
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(table.stdout)")
        // A long id is never cut (it is what the config and the log name): it has a line of its own.
        #expect(lines.contains("a-rather-long-source-identifier-name"), "\(table.stdout)")
        #expect(!lines.contains { $0.hasPrefix("a-rather-long-sou…") }, "\(table.stdout)")
        #expect(table.stdout.contains("photo-journal      ok 200"))
        // Each source's URL below it; a long one keeps its start and its end.
        #expect(lines.contains("  \(server.baseURL)/planet/atom.xml"), "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("  \(server.baseURL)/missing/long-") && $0.hasSuffix("long-path-.xml") })
        #expect(table.stdout.contains("HTTP 404 Not Found"))

        let json = try EstuaryBinary.run(["status", "--json", "--config", config.path])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == ["photo-journal", "planet", "a-rather-long-source-identifier-name"])
        let failing = try #require(rows.last)
        #expect(failing["errors"] as? Int == 1)
        #expect(failing["lastStatus"] as? Int == 404)
        #expect(failing["nextAttempt"] is String)
        #expect(rows.first?["items"] as? Int == 1)
    }
}

/// Other readers read what Estuary writes: Python's feedparser on the Atom and RSS outputs.
@Suite struct FeedparserRoundTripTests {
    @Test func feedparserReadsTheAtomAndRSSOutputsWithoutComplaint() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let script = """
            import feedparser, json, sys
            out = {}
            for name in sys.argv[1:]:
                d = feedparser.parse(name)
                out[name.rsplit(".", 1)[1]] = {"bozo": int(d.bozo), "version": d.version,
                    "titles": [e.get("title") for e in d.entries], "authors": [e.get("author") for e in d.entries],
                    "tags": [[t.term for t in e.get("tags", [])] for e in d.entries]}
            print(json.dumps(out))
            """
        let files = ["atom", "rss"].map { folder.appendingPathComponent("public/river.\($0)").path }
        let (status, data) = try ExternalTool.run("/usr/bin/env", ["python3", "-c", script] + files, mergingStderr: false)
        #expect(status == 0, "python3 with feedparser is needed (scripts/test.sh installs it)")
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let title = try Fixtures.seedArticle().title
        for format in ["atom", "rss"] {
            let feed = try #require(result[format])
            #expect(feed["bozo"] as? Int == 0, "\(format): \(feed)")
            #expect(feed["titles"] as? [String] == [title], "\(format)")
            #expect(feed["authors"] as? [String] == ["Joakim Persson"], "\(format)")
            #expect(feed["tags"] as? [[String]] == [["Cambodia", "Human rights", "NGO"]], "\(format)")
        }
        #expect(result["atom"]?["version"] as? String == "atom10")
        #expect(result["rss"]?["version"] as? String == "rss20")
    }
}

@Suite struct JSONIndexSchemaTests {
    @Test func theIndexValidatesAgainstItsSchema() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(
            in: folder, server: server,
            extraSources: """

                [[source]]
                id = "missing"
                url = "\(server.baseURL)/missing.xml"

                """)
        _ = try EstuaryBinary.run(["once", "--config", config.path])
        let schema = Fixtures.repository.appendingPathComponent("docs/json-index.schema.json").path
        let index = folder.appendingPathComponent("public/river.json").path
        let validate =
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1]))); print('valid')"
        let (status, data) = try ExternalTool.run("/usr/bin/env", ["python3", "-c", validate, schema, index])
        let output = String(decoding: data, as: UTF8.self)
        #expect(status == 0, "\(output)")
        #expect(output.contains("valid"))
    }
}

@Suite struct RiverPageTests {
    @Test func theRiverPageIsSelfContainedGroupedByDayAndCarriesTheSeedArticleOnce() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "\"jsonfeed\", \"json\"", with: "\"jsonfeed\", \"json\", \"html\"")
        try text.write(to: config, atomically: true, encoding: .utf8)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let page = try String(contentsOf: folder.appendingPathComponent("public/river.html"), encoding: .utf8)
        let title = try Fixtures.seedArticle().title
        #expect(page.components(separatedBy: title).count == 2, "the seed article, exactly once")
        #expect(page.contains("<h2>Monday 4 December 2017</h2>"))
        #expect(page.contains("also in planet"))
        // Self-contained: no scripts, no external stylesheets, images or fonts.
        for forbidden in ["<script", "<link ", "<img", "src=", "@import", "url("] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
        #expect(page.contains("Sweden\u{2019}s Diakonia"))
    }

    @Test func anOperatorTemplateReplacesTheBuiltInOne() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        try "<ul>{{#days}}{{#items}}<li>{{title}} ({{source}})</li>{{/items}}{{/days}}</ul>\n"
            .write(to: folder.appendingPathComponent("mine.mustache"), atomically: true, encoding: .utf8)
        let text =
            try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "\"jsonfeed\", \"json\"", with: "\"jsonfeed\", \"json\", \"html\"")
            + "\ntemplate = \"mine.mustache\"\n"
        try text.write(to: config, atomically: true, encoding: .utf8)
        #expect(try EstuaryBinary.run(["once", "--config", config.path]).status == 0)
        let page = try String(contentsOf: folder.appendingPathComponent("public/river.html"), encoding: .utf8)
        #expect(
            page == "<ul><li>\(try Fixtures.seedArticle().title) (Photo Journal \u{2013} Joakim Persson)</li></ul>\n", "\(page)")
    }
}

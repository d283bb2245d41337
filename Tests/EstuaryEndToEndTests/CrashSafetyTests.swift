import EstuaryParse
import EstuaryTestSupport
import Foundation
import GRDB
import Testing

/// `estuary once` killed with SIGKILL at random moments, again and again: the state
/// stays intact, nothing committed is lost, nothing is doubled, and a final run
/// ends where an uninterrupted run ends.
@Suite struct CrashSafetyTests {
    /// 120 feeds of 25 items each, as bundled files (no network in the way of the timing).
    static func corpus(in folder: URL) throws -> URL {
        let feeds = folder.appendingPathComponent("feeds")
        try FileManager.default.createDirectory(at: feeds, withIntermediateDirectories: true)
        var config = """
            [estuary]
            state_dir = "state"
            output_dir = "public"

            """
        for feed in 0..<120 {
            var items = ""
            for item in 0..<25 {
                items += """
                    <item><title>Feed \(feed) item \(item) about estuaries</title>
                    <link>https://site\(feed).example/\(item)</link><guid>https://site\(feed).example/\(item)</guid>
                    <pubDate>Mon, 0\(1 + item % 9) Jan 2024 10:00:00 GMT</pubDate>
                    <description>\(String(repeating: "Tidal water, salt and silt. ", count: 40))</description></item>
                    """
            }
            try "<rss version=\"2.0\"><channel><title>Feed \(feed)</title>\(items)</channel></rss>"
                .write(to: feeds.appendingPathComponent("\(feed).xml"), atomically: true, encoding: .utf8)
            config += "[[source]]\nid = \"f\(feed)\"\nurl = \"file:feeds/\(feed).xml\"\n\n"
        }
        config += "[[output]]\nname = \"river\"\n"
        let file = folder.appendingPathComponent("estuary.toml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Every stored item as (source, key, title, link), and the integrity check's verdict.
    /// After a run on a full disk: the state is sound and holds whole sources only. Its items.
    static func expectWholeSourcesOnly(_ folder: URL) throws -> [String] {
        let (partial, integrity) = try snapshot(folder)
        #expect(integrity == "ok")
        #expect(partial.count < 120 * 25)
        #expect(partial.count % 25 == 0, "a source was stored in part")
        return partial
    }

    /// With room again, a forced run stores every item once and loses none of `partial`.
    static func expectEverythingArrives(_ folder: URL, config: URL, keeping partial: [String]) throws {
        let second = try EstuaryBinary.run(["once", "--force", "--config", config.path])
        #expect(second.status == 0, "stderr: \(second.stderr.suffix(400))")
        let (final, finalIntegrity) = try snapshot(folder)
        #expect(finalIntegrity == "ok")
        #expect(final.count == 120 * 25)
        #expect(Set(partial).isSubset(of: Set(final)))
    }

    static func snapshot(_ folder: URL) throws -> (items: [String], integrity: String) {
        let path = folder.appendingPathComponent("state/estuary.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { return ([], "ok") }
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            let integrity = try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "?"
            guard try db.tableExists("item") else { return ([], integrity) }
            let items = try String.fetchAll(
                db,
                sql:
                    "SELECT source_id || ' ' || key || ' ' || coalesce(title, '') || ' ' || coalesce(link, '') FROM item ORDER BY 1"
            )
            return (items, integrity)
        }
    }

    @Test func killedFiftyTimesTheStateStaysWhole() throws {
        let folder = try Fixtures.temporaryFolder()
        let config = try Self.corpus(in: folder)
        var generator = SystemRandomNumberGenerator()
        var committed: Set<String> = []
        for round in 0..<50 {
            let process = try EstuaryBinary.start(["once", "--config", config.path])
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.6, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let (items, integrity) = try Self.snapshot(folder)
            #expect(integrity == "ok", "round \(round)")
            #expect(Set(items).count == items.count, "round \(round): an item is stored twice")
            #expect(committed.isSubset(of: Set(items)), "round \(round): committed items were lost")
            committed = Set(items)
        }
        // A clean run finishes the work; it matches a run that was never interrupted.
        let finish = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(finish.status == 0, "stderr: \(finish.stderr.suffix(500))")
        let reference = try Fixtures.temporaryFolder()
        let referenceConfig = try Self.corpus(in: reference)
        #expect(try EstuaryBinary.run(["once", "--config", referenceConfig.path]).status == 0)
        let (final, integrity) = try Self.snapshot(folder)
        #expect(integrity == "ok")
        #expect(final == (try Self.snapshot(reference)).items)
        #expect(final.count == 120 * 25)
    }
}

/// A full disk (here: the state database capped with max_state_bytes) rolls back the
/// sources that do not fit, says so, tears nothing, and the next run with room recovers all.
@Suite struct FullDiskTests {
    @Test func sourcesThatDoNotFitRollBackAndTheNextRunRecovers() throws {
        let folder = try Fixtures.temporaryFolder()
        let config = try CrashSafetyTests.corpus(in: folder)
        let full = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "[estuary]\n", with: "[estuary]\nmax_state_bytes = 262144\n")
        try full.write(to: config, atomically: true, encoding: .utf8)

        let first = try EstuaryBinary.run(["once", "--config", config.path])
        // EX_IOERR, as when an output cannot be written: the timer unit's SuccessExitStatus=1 must not
        // hide a full disk. One line per source, the log adds none.
        #expect(first.status == 74, "stderr: \(first.stderr.suffix(400))")
        #expect(first.stderr.contains("store failed: could not save to the state database"))
        #expect(first.stderr.contains("full"))
        #expect(!first.stderr.contains("could not record the failure"))
        let partial = try CrashSafetyTests.expectWholeSourcesOnly(folder)
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("public/river.json").path) {
            let data = try Data(contentsOf: folder.appendingPathComponent("public/river.json"))
            #expect(try JSONSerialization.jsonObject(with: data) is [String: Any])
        }

        // Space again: everything arrives, nothing twice. (Sources whose failure could be recorded
        // wait min_interval before a plain run retries them; the operator who freed space forces it.)
        try full.replacingOccurrences(of: "max_state_bytes = 262144\n", with: "").write(
            to: config, atomically: true, encoding: .utf8)
        try CrashSafetyTests.expectEverythingArrives(folder, config: config, keeping: partial)
    }
}

/// A real full disk: the state folder on a small tmpfs, mounted by the test. It runs where the
/// tests may mount (root, with the capability), as in CI; elsewhere `max_state_bytes` above stands in.
@Suite(.enabled(if: Tmpfs.canMount)) struct RealFullDiskTests {
    @Test func onAFullTmpfsSourcesRollBackAndGrowingItRecoversEverything() throws {
        let folder = try Fixtures.temporaryFolder()
        let config = try CrashSafetyTests.corpus(in: folder)
        let state = folder.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try Tmpfs.mount(at: state.path, size: "1m")
        defer { Tmpfs.unmount(state.path) }

        let first = try EstuaryBinary.run(["once", "--config", config.path])
        #expect(first.status == 74, "a 1 MiB disk cannot hold 3000 items: \(first.stderr.suffix(300))")
        #expect(first.stderr.contains("full"), "\(first.stderr.suffix(600))")
        let partial = try CrashSafetyTests.expectWholeSourcesOnly(folder)

        // The disk grows (space freed): everything arrives, nothing twice.
        try Tmpfs.remount(at: state.path, size: "64m")
        try CrashSafetyTests.expectEverythingArrives(folder, config: config, keeping: partial)
    }
}

/// Mounting a tmpfs with mount(8), for the full-disk test.
enum Tmpfs {
    static let canMount: Bool = {
        guard getuid() == 0, let probe = try? Fixtures.temporaryFolder() else { return false }
        guard (try? mount(at: probe.path, size: "64k")) != nil else { return false }
        unmount(probe.path)
        return true
    }()

    static func mount(at path: String, size: String, readOnly: Bool = false) throws {
        let options = (readOnly ? "ro," : "") + "size=\(size)"
        let (status, output) = try ExternalTool.run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
        guard status == 0 else { throw POSIXError(.EPERM, userInfo: ["output": String(decoding: output, as: UTF8.self)]) }
    }

    static func remount(at path: String, size: String) throws {
        let (status, _) = try ExternalTool.run("/bin/mount", ["-o", "remount,size=\(size)", path])
        guard status == 0 else { throw POSIXError(.EPERM) }
    }

    static func unmount(_ path: String) { _ = try? ExternalTool.run("/bin/umount", [path]) }
}

/// Outputs are never torn: 200 runs killed at random moments, each followed by a reader
/// that parses every output file.
@Suite struct OutputAtomicityTests {
    @Test func killedWhileWritingOutputsNoFileIsEverTornOrEmpty() throws {
        let folder = try Fixtures.temporaryFolder()
        let feeds = folder.appendingPathComponent("feeds")
        try FileManager.default.createDirectory(at: feeds, withIntermediateDirectories: true)
        var config = "[estuary]\nstate_dir = \"state\"\noutput_dir = \"public\"\n\n"
        for feed in 0..<20 { config += "[[source]]\nid = \"f\(feed)\"\nurl = \"file:feeds/\(feed).xml\"\n\n" }
        config +=
            "[[output]]\nname = \"river\"\nformats = [\"atom\", \"rss\", \"jsonfeed\", \"json\", \"html\", \"opml\"]\nmax_items = 500\n"
        let configFile = folder.appendingPathComponent("estuary.toml")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        func writeFeeds(round: Int) throws {
            for feed in 0..<20 {
                // Every round brings one new item per feed, so every round rewrites the outputs.
                let items = (0...round).map { n in
                    "<item><title>Feed \(feed) item \(n)</title><guid>f\(feed)-\(n)</guid>"
                        + "<description>\(String(repeating: "Silt and tide. ", count: 30))</description></item>"
                }
                try "<rss version=\"2.0\"><channel><title>Feed \(feed)</title>\(items.joined())</channel></rss>"
                    .write(to: feeds.appendingPathComponent("\(feed).xml"), atomically: true, encoding: .utf8)
            }
        }
        var generator = SystemRandomNumberGenerator()
        let publicFolder = folder.appendingPathComponent("public")
        var checked = 0
        for round in 0..<200 {
            try writeFeeds(round: round % 40)
            let process = try EstuaryBinary.start(["once", "--config", configFile.path])
            Thread.sleep(forTimeInterval: Double.random(in: 0.005...0.25, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            for name in ["river.atom", "river.rss", "river.feed.json", "river.json", "river.html", "river.opml"] {
                let file = publicFolder.appendingPathComponent(name)
                guard let data = FileManager.default.contents(atPath: file.path) else { continue }
                checked += 1
                #expect(!data.isEmpty, "round \(round): \(name) is empty")
                switch name {
                case "river.json", "river.feed.json":
                    #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "round \(round): \(name) is torn")
                case "river.atom", "river.rss":
                    let parsed = FeedParser().parse(Array(data), documentURL: nil, contentType: nil)
                    let whole = (try? parsed.get())?.wellFormed == true
                    #expect(whole, "round \(round): \(name) is torn")
                default:
                    let text = String(decoding: data, as: UTF8.self)
                    #expect(text.hasSuffix("</html>\n") || text.hasSuffix("</opml>\n"), "round \(round): \(name) is torn")
                }
            }
        }
        // The kills did land while outputs existed and were being replaced.
        #expect(checked > 100)
    }
}

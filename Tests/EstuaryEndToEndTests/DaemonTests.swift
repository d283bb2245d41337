import EstuaryTestSupport
import Foundation
import Testing

/// `estuary run` under a fake systemd: a notify socket the test listens on.
@Suite struct DaemonTests {
    /// A datagram socket bound to a fresh path, as systemd's notify socket is.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init() throws {
            path = try Fixtures.temporaryFolder().appendingPathComponent("notify").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (i, byte) in path.utf8.enumerated() { buffer[i] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// Messages received until one contains `needle` or `timeout` passes.
        func wait(for needle: String, timeout: TimeInterval) -> [String] {
            var messages: [String] = []
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { continue }
                let message = String(decoding: buffer[0..<n], as: UTF8.self)
                messages.append(message)
                if message.contains(needle) { break }
            }
            return messages
        }
    }

    /// `estuary run` on the end-to-end config (two sources on a test server), through its first cycle.
    struct RunningDaemon {
        let server: TestHTTPServer
        let config: URL
        /// The config file's text as started.
        let original: String
        let notify: NotifySocket
        /// The daemon's stderr, unread (a ``LineCollector`` can follow it).
        let stderr = Pipe()
        let process: Process
        /// What the daemon told systemd up to the first message containing `message`.
        let first: [String]

        /// Started, and waited for until it says `message` (by default its first status: the
        /// sources fetched and the next fetch planned).
        init(until message: String? = nil) throws {
            server = try OnceEndToEndTests.makeServer()
            config = try OnceEndToEndTests.writeConfig(in: try Fixtures.temporaryFolder(), server: server)
            original = try String(contentsOf: config, encoding: .utf8)
            notify = try NotifySocket()
            process = try EstuaryBinary.start(
                ["run", "--config", config.path], stderr: stderr, environment: ["NOTIFY_SOCKET": notify.path])
            first = notify.wait(for: message ?? "failing, next fetch in", timeout: 10)
            if message == nil { #expect(first.contains { $0.contains("STATUS=2 sources, 0 failing") }, "\(first)") }
        }
    }

    @Test func tellsSystemdItIsReadyReportsStatusAndStopsCleanlyOnSIGTERM() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        let notify = try NotifySocket()
        let process = try EstuaryBinary.start(
            ["run", "--config", config.path], environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])

        let ready = notify.wait(for: "READY=1", timeout: 10)
        #expect(ready.contains { $0.contains("READY=1") }, "\(ready)")
        let status = notify.wait(for: "failing, next fetch in", timeout: 10)
        #expect(status.contains { $0.contains("failing, next fetch in") }, "\(status)")
        let watchdog = notify.wait(for: "WATCHDOG=1", timeout: 5)
        #expect(watchdog.contains { $0.contains("WATCHDOG=1") }, "\(watchdog)")
        // Waiting half an hour for the next fetch is progress too: the watchdog keeps being fed
        // (every 0.2 s here) long after the last source finished.
        Thread.sleep(forTimeInterval: 2)
        let idle = notify.wait(for: "no such message", timeout: 2)
        #expect(idle.filter { $0.contains("WATCHDOG=1") }.count >= 5, "\(idle)")

        kill(process.processIdentifier, SIGTERM)
        let stopping = notify.wait(for: "STOPPING=1", timeout: 10)
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(process.terminationReason == .exit)
    }

    /// "No new fetch starts" on SIGTERM: sources still waiting for their host's turn are not fetched.
    @Test func aStopStartsNoFetchThatWasStillWaiting() throws {
        let feed = Array(try Fixtures.demoFeed("wordpress-rss2.xml"))
        let slow = try TestHTTPServer { _ in
            Thread.sleep(forTimeInterval: 1.5)
            return .init(headers: [("Content-Type", "application/rss+xml")], body: feed)
        }
        let sources = (1...6).map { "[[source]]\nid = \"slow\($0)\"\nurl = \"\(slow.baseURL)/feed\($0)\"\n" }
        let config = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true
            per_host = 1
            host_spacing = "0s"

            \(sources.joined(separator: "\n"))
            """, estuary: "stop_timeout = \"30s\"\ncold_start_spread = \"0s\""
        ).file
        let process = try EstuaryBinary.start(["run", "--config", config.path])
        #expect(EstuaryBinary.wait(upTo: 10) { slow.requests.count == 1 })
        kill(process.processIdentifier, SIGTERM)
        let stopped = Date()
        process.waitUntilExit()
        // The transfer under way finishes (1.5 s); the five waiting never start.
        Thread.sleep(forTimeInterval: 2)
        #expect(slow.requests.count == 1, "\(slow.requests.map(\.path))")
        #expect(Date().timeIntervalSince(stopped) < 20, "the stop waited for stop_timeout")
        #expect(process.terminationStatus == 0)
    }

    /// A long transfer, within its timeout, is progress: the watchdog keeps being fed through it.
    @Test func theWatchdogIsFedThroughALongTransfer() throws {
        let slow = try TestHTTPServer { _ in
            // 64 bytes every 100 ms (above the low-speed floor): 6 s in all.
            .init(body: Array(repeating: UInt8(ascii: "x"), count: 64 * 60), chunkDelay: .milliseconds(100))
        }
        let config = try Fixtures.config(
            """
            [fetch]
            allow_private_addresses = true

            [[source]]
            id = "slow"
            url = "\(slow.baseURL)/feed"
            """
        ).file
        let notify = try NotifySocket()
        let process = try EstuaryBinary.start(
            ["run", "--config", config.path], environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "600000"])
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        #expect(EstuaryBinary.wait(upTo: 10) { slow.requests.count == 1 })
        // Skip what came before the transfer began, then listen for 3 s of it.
        _ = notify.wait(for: "no such message", timeout: 1)
        let during = notify.wait(for: "no such message", timeout: 3)
        #expect(during.filter { $0.contains("WATCHDOG=1") }.count >= 4, "\(during)")
    }

    /// The state folder removed under a running daemon (by mistake): it stops with an error instead
    /// of writing on to a deleted database while another estuary could start a new state there.
    @Test func aDaemonWhoseStateFolderIsRemovedStops() throws {
        let daemon = try RunningDaemon()
        let (process, log) = (daemon.process, LineCollector(daemon.stderr))
        #expect(daemon.first.contains { $0.contains("failing, next fetch in") }, "\(daemon.first)")
        try FileManager.default.removeItem(at: daemon.config.deletingLastPathComponent().appendingPathComponent("state"))
        let stopped = EstuaryBinary.wait(upTo: 30) { !process.isRunning }
        if !stopped { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(stopped)
        #expect(process.terminationStatus != 0)
        #expect(log.all.contains("was removed or replaced while estuary ran"), "\(log.all)")
    }

    /// With the shipped WatchdogSec=5min the watchdog waits 150 s between messages: a stop must not wait for it.
    @Test func aLongWatchdogIntervalDoesNotDelayTheStop() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(in: folder, server: server)
        let notify = try NotifySocket()
        let process = try EstuaryBinary.start(
            ["run", "--config", config.path], environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "300000000"])
        let status = notify.wait(for: "failing, next fetch in", timeout: 10)
        #expect(status.contains { $0.contains("failing, next fetch in") }, "\(status)")
        let stopped = Date()
        kill(process.processIdentifier, SIGTERM)
        let stopping = notify.wait(for: "STOPPING=1", timeout: 10)
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(stopped) < 8, "the stop waited for the watchdog's interval")
        #expect(process.terminationStatus == 0)
    }

    @Test func sighupAppliesAValidConfigAndKeepsTheRunningOneWhenTheNewOneIsInvalid() throws {
        let daemon = try RunningDaemon()
        let (config, original, notify, process) = (daemon.config, daemon.original, daemon.notify, daemon.process)

        // A broken file: rejected, logged, and the daemon keeps running.
        try (original + "\n[[source]]\nid = \"broken\"\n").write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let rejected = notify.wait(for: "READY=1", timeout: 10)
        #expect(rejected.contains { $0.contains("RELOADING=1") }, "\(rejected)")
        #expect(rejected.contains { $0.contains("STATUS=2 sources, reload rejected: the running config stays") }, "\(rejected)")

        // One source removed: applied.
        let planet = try #require(original.range(of: "[[source]]\nid = \"planet\""))
        let output = try #require(original.range(of: "[[output]]"))
        try original.replacingCharacters(in: planet.lowerBound..<output.lowerBound, with: "")
            .write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let applied = notify.wait(for: "READY=1", timeout: 10)
        #expect(applied.contains { $0.contains("STATUS=1 sources, config reloaded") }, "\(applied)")
        #expect(process.isRunning)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: daemon.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("reload rejected, the running config stays"), "\(log)")
        #expect(log.contains("broken"), "the rejection names the problem: \(log)")
        #expect(log.contains("config reloaded: 1 sources (0 added, 1 removed)"), "\(log)")
    }

    /// READY=1 means the signals are handled: `systemctl reload` or `stop` may come at once.
    @Test func aReloadOrAStopSentAsSoonAsItIsReadyIsHandled() throws {
        let daemon = try RunningDaemon(until: "READY=1")
        let (config, notify, process, ready) = (daemon.config, daemon.notify, daemon.process, daemon.first)
        let log = LineCollector(daemon.stderr)
        kill(process.processIdentifier, SIGHUP)
        #expect(ready.contains { $0.contains("READY=1") }, "\(ready)")
        let reloaded = notify.wait(for: "config reloaded", timeout: 10)
        #expect(reloaded.contains { $0.contains("RELOADING=1") }, "the SIGHUP was lost: \(reloaded)")
        #expect(reloaded.contains { $0.contains("STATUS=2 sources, config reloaded") }, "\(reloaded)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        EstuaryBinary.wait(upTo: 10) { log.all.contains("info stopped") }
        #expect(log.all.contains("config reloaded: 2 sources (0 added, 0 removed)"), "\(log.all)")

        let again = try NotifySocket()
        let stopped = try EstuaryBinary.start(["run", "--config", config.path], environment: ["NOTIFY_SOCKET": again.path])
        let second = again.wait(for: "READY=1", timeout: 10)
        kill(stopped.processIdentifier, SIGTERM)
        #expect(second.contains { $0.contains("READY=1") }, "\(second)")
        stopped.waitUntilExit()
        // A stop, not a death by SIGTERM: the state committed and pending outputs written.
        #expect(stopped.terminationReason == .exit, "killed by signal \(stopped.terminationStatus)")
        #expect(stopped.terminationStatus == 0)
    }

    /// `log_level` is part of the config a reload applies, like every key but state_dir,
    /// max_state_bytes and [metrics].
    @Test func aReloadAppliesANewLogLevel() throws {
        let daemon = try RunningDaemon()
        let (config, original, notify, process) = (daemon.config, daemon.original, daemon.notify, daemon.process)
        let log = LineCollector(daemon.stderr)

        try original.replacingOccurrences(of: "[estuary]\n", with: "[estuary]\nlog_level = \"warning\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let quieter = notify.wait(for: "config reloaded", timeout: 10)
        #expect(quieter.contains { $0.contains("STATUS=2 sources, config reloaded") }, "\(quieter)")
        // Reloaded again at warning: its info line is left out now.
        kill(process.processIdentifier, SIGHUP)
        let again = notify.wait(for: "config reloaded", timeout: 10)
        #expect(again.contains { $0.contains("STATUS=2 sources, config reloaded") }, "\(again)")

        try original.replacingOccurrences(of: "[estuary]\n", with: "[estuary]\nlog_level = \"debug\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let louder = notify.wait(for: "config reloaded", timeout: 10)
        #expect(louder.contains { $0.contains("STATUS=2 sources, config reloaded") }, "\(louder)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The pipe is read as it comes: its last line may follow the exit.
        EstuaryBinary.wait(upTo: 10) { log.all.contains("info stopped") }

        let lines = log.all.split(separator: "\n")
        // The first reload is logged at info (the level it was sent at), the second is not.
        #expect(lines.filter { $0.hasPrefix("info config reloaded") }.count == 1, "\(log.all)")
        // The reload to debug is not logged (warning then); the way out is, with the pending
        // outputs written at debug.
        #expect(lines.contains { $0.hasPrefix("debug output \"river\": wrote") }, "\(log.all)")
        #expect(lines.last == "info stopped", "\(log.all)")
    }

    /// A reload does not apply [metrics]: it says so as long as the file's differs from the one
    /// the daemon started with, and not once the file is back to it.
    @Test func aReloadWarnsAboutMetricsAgainstTheOnesInEffect() throws {
        let daemon = try RunningDaemon()
        let (config, original, process) = (daemon.config, daemon.original, daemon.process)
        let log = LineCollector(daemon.stderr)

        var reloads = 0
        func reload(_ text: String) -> Int {
            try? text.write(to: config, atomically: true, encoding: .utf8)
            kill(process.processIdentifier, SIGHUP)
            reloads += 1
            // The warning comes before the reload's own line.
            let logged = EstuaryBinary.wait(upTo: 10) {
                log.all.components(separatedBy: "info config reloaded").count - 1 == reloads
            }
            #expect(logged, "\(log.all)")
            return log.all.components(separatedBy: "[metrics] changed: restart estuary").count - 1
        }
        let withMetrics = original + "\n[metrics]\ntextfile = \"estuary.prom\"\n"
        #expect(reload(withMetrics) == 1, "\(log.all)")
        // Still not in effect: said again.
        #expect(reload(withMetrics) == 2, "\(log.all)")
        // Back to what runs: nothing to say.
        #expect(reload(original) == 2, "\(log.all)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func logLevelWarningLeavesOnlyWhatAnOperatorMustActOn() throws {
        let server = try OnceEndToEndTests.makeServer()
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(
            in: folder, server: server,
            extraSources: "\n[[source]]\nid = \"gone\"\nurl = \"\(server.baseURL)/no-such-feed\"\n")
        let notify = try NotifySocket()
        let stderr = Pipe()
        let process = try EstuaryBinary.start(
            ["run", "--log-level", "warning", "--config", config.path], stderr: stderr,
            environment: ["NOTIFY_SOCKET": notify.path])
        let status = notify.wait(for: "failing, next fetch in", timeout: 10)
        #expect(status.contains { $0.contains("STATUS=3 sources, 1 failing") }, "\(status)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("warning source=gone fetch failed (http): HTTP 404 Not Found"), "\(log)")
        #expect(!log.contains("info "), "info lines are left out at warning: \(log)")
        #expect(!log.contains("source=planet"), "\(log)")

        let wrong = try EstuaryBinary.run(["once", "--log-level", "loud", "--config", config.path])
        #expect(wrong.status == 64)
        #expect(wrong.stderr.contains("--log-level loud must be one of"), "\(wrong.stderr)")
    }

    /// Lines a process writes to a pipe, gathered as they come.
    final class LineCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""

        init(_ pipe: Pipe) {
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                self?.lock.withLock { self?.text += String(decoding: data, as: UTF8.self) }
            }
        }

        var all: String { lock.withLock { text } }
    }

    @Test func servesPrometheusMetricsAndStopsWithinStopTimeoutWhenAFetchIsStuck() throws {
        let server = try OnceEndToEndTests.makeServer()
        let stalled = try TestHTTPServer { _ in
            Thread.sleep(forTimeInterval: 30)
            return .init(status: 500)
        }
        let folder = try Fixtures.temporaryFolder()
        let config = try OnceEndToEndTests.writeConfig(
            in: folder, server: server, extraSources: "\n[[source]]\nid = \"stuck\"\nurl = \"\(stalled.baseURL)/feed\"\n")
        let text =
            try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "[estuary]\n", with: "[estuary]\nstop_timeout = \"1s\"\n")
            + "\n[metrics]\nlisten = \"127.0.0.1:0\"\n"
        try text.write(to: config, atomically: true, encoding: .utf8)
        let stderr = Pipe()
        let log = LineCollector(stderr)
        let process = try EstuaryBinary.start(["run", "--config", config.path], stderr: stderr)
        EstuaryBinary.wait(upTo: 10) { log.all.contains("metrics at http://") && stalled.requests.count == 1 }
        let url = try #require(
            log.all.split(whereSeparator: { $0 == " " || $0 == "\n" }).first {
                $0.hasPrefix("http://127.0.0.1:") && $0.contains("/metrics")
            })
        // The two good sources are stored while the third hangs.
        var scraped = ""
        EstuaryBinary.wait(upTo: 10) {
            let (_, body) =
                (try? ExternalTool.run(
                    "/usr/bin/env",
                    [
                        "python3", "-c",
                        "import sys,urllib.request;sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                        String(url),
                    ])) ?? (1, Data())
            scraped = String(decoding: body, as: UTF8.self)
            return scraped.contains("estuary_fetches_total{result=\"stored\"} 2")
        }
        #expect(scraped.contains("estuary_fetches_total{result=\"stored\"} 2"), "\(url) \(log.all) \(scraped)")
        #expect(scraped.contains("estuary_items_new_total 2"), "\(scraped)")
        #expect(scraped.contains("estuary_fetch_duration_seconds_count 2"), "\(scraped)")

        let stopped = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        // stop_timeout (1 s) and the way out, not the stuck server's 30 s.
        #expect(Date().timeIntervalSince(stopped) < 10)
        #expect(process.terminationStatus == 0)
        #expect(log.all.contains("warning fetches still under way after stop_timeout are cancelled"), "\(log.all)")
        // Nothing was recorded against the stuck source: it stays due, without an error.
        let status = try EstuaryBinary.run(["status", "--json", "--config", config.path])
        #expect(!status.stdout.contains("\"errors\":1"), "\(status.stdout)")
        #expect(try OnceEndToEndTests.items(folder).count == 1)
    }
}

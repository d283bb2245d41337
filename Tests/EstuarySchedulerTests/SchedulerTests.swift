import EstuaryCore
import EstuaryTestSupport
import Foundation
import Testing

/// The daemon loop's own promises: outputs once per burst, reloads applied at once, a stop that
/// does not wait for a stalled server.
@Suite struct SchedulerTests {
    final class Recorder<Value: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Value] = []
        func append(_ value: Value) { lock.withLock { values.append(value) } }
        var all: [Value] { lock.withLock { values } }
    }

    static func sources(_ ids: [String], path: (String) -> String = { "/\($0)" }) -> String {
        ids.map { "[[source]]\nid = \"\($0)\"\nurl = \"http://one.test:PORT\(path($0))\"\n" }.joined(separator: "\n")
    }

    /// A config with state and outputs in the test's folder, `settings` in [estuary], the sources, and a JSON index.
    static func config(_ settings: String, sources ids: [String]) -> String {
        "[estuary]\nstate_dir = \"state\"\noutput_dir = \"public\"\n\(settings)\n\n\(sources(ids))\n"
            + "[[output]]\nname = \"river\"\nformats = [\"json\"]\n"
    }

    static func feedServer(log: Recorder<(String, Date)>? = nil, clock: SimulatedClock? = nil) throws -> TestHTTPServer {
        try TestHTTPServer { request in
            if let log, let clock { log.append((request.path, clock.now())) }
            if request.path == "/stalled" { Thread.sleep(forTimeInterval: 20) }
            return .init(
                contentType: "application/rss+xml", body: String(decoding: PolitenessTests.rss(request.path), as: UTF8.self))
        }
    }

    @Test func outputsAreWrittenOnceAfterABurstOfChanges() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let server = try Self.feedServer()
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.config("cold_start_spread = \"2m\"\noutput_delay = \"5m\"", sources: ["a", "b", "c", "d", "e"]),
            server: server, clock: clock, folder: folder)
        let writes = Recorder<Date>()
        let fetched = Recorder<Date>()
        scheduler.onOutputs = { _ in writes.append(clock.now()) }
        scheduler.onSource = { _ in fetched.append(clock.now()) }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(20 * 60))

        // Five sources first fetched over two minutes, five batches with new items; the outputs
        // are written when the daemon starts (they did not exist) and once after the burst.
        #expect(fetched.all.count == 5)
        #expect(Set(fetched.all).count == 5)
        #expect(writes.all.count == 2, "\(writes.all)")
        let last = try #require(fetched.all.max())
        #expect(writes.all.last.map { $0 > last && $0 >= PolitenessTests.start + 5 * 60 } == true)
        let index = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("public/river.json")))
        #expect(((index as? [String: Any])?["items"] as? [Any])?.count == 5)
    }

    /// Outputs that could not be written (the folder blocked) are written once they can be, while
    /// the daemon idles: no new item is needed to retry them.
    @Test func aFailedOutputWriteIsRetriedWhileIdle() async throws {
        let (scheduler, _, _, folder) = try Self.blockedOutput(
            settings: "cold_start_spread = \"0s\"\noutput_delay = \"1m\"\ninterval = \"1h\"")
        let blocked = folder.appendingPathComponent("public")
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(10 * 60))
        #expect(!FileManager.default.fileExists(atPath: blocked.appendingPathComponent("river.json").path))
        try FileManager.default.removeItem(at: blocked)
        // Nothing new before the next fetch, an hour after the first: the retry comes from the idle loop.
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(20 * 60))
        #expect(FileManager.default.fileExists(atPath: blocked.appendingPathComponent("river.json").path))
    }

    /// An output folder that stays blocked: the write is retried less and less often, not at every wake.
    @Test func aWriteThatKeepsFailingBacksOff() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let server = try Self.feedServer()
        let folder = try Fixtures.temporaryFolder()
        try Data("not a folder".utf8).write(to: folder.appendingPathComponent("public"))
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.config(
                "cold_start_spread = \"1h\"\noutput_delay = \"5m\"\ninterval = \"1h\"", sources: (1...60).map { "s\($0)" }),
            server: server, clock: clock, folder: folder)
        let failed = Recorder<Date>()
        scheduler.onOutputs = { outputs in if outputs.contains(where: { $0.error != nil }) { failed.append(clock.now()) } }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(3 * 3600))
        #expect(failed.all.count >= 3 && failed.all.count <= 10, "\(failed.all.count) failed writes")
    }

    /// The retries come output_delay apart, then twice that each time (up to max_interval).
    @Test func failedWritesAreRetriedAfterOutputDelayThenTwiceThat() async throws {
        let (scheduler, clock, _, _) = try Self.blockedOutput()
        let failed = Recorder<Date>()
        scheduler.onOutputs = { outputs in if outputs.contains(where: { $0.error != nil }) { failed.append(clock.now()) } }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(6 * 3600))
        let minutes = failed.all.map { Int($0.timeIntervalSince(PolitenessTests.start) / 60) }
        #expect(Array(zip(minutes.dropFirst(), minutes).map { $0 - $1 }.prefix(4)) == [5, 5, 10, 20], "\(minutes)")
    }

    /// A reload that fixes the output folder is written output_delay later, whatever the backoff reached.
    @Test func aReloadThatFixesTheOutputEndsTheBackoff() async throws {
        let (scheduler, clock, server, folder) = try Self.blockedOutput()
        let (failed, written, reloadedAt) = (Recorder<Date>(), Recorder<Date>(), Recorder<Date>())
        scheduler.onOutputs = { outputs in
            (outputs.contains { $0.error != nil } ? failed : written).append(clock.now())
        }
        let fixed = Self.config(Self.blockedSettings, sources: ["a"])
            .replacingOccurrences(of: "output_dir = \"public\"", with: "output_dir = \"public2\"")
            .replacingOccurrences(of: "PORT", with: "\(server.port)")
        scheduler.onStatus = { _ in
            guard failed.all.count >= 5, reloadedAt.all.isEmpty else { return }
            reloadedAt.append(clock.now())
            let config = try! ConfigLoader().parse(text: fixed, file: "estuary.toml", folder: folder)
            scheduler.reload(config: config, cycle: try! PolitenessTests.cycle(server: server, clock: clock, folder: folder))
        }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(12 * 3600))
        let reload = try #require(reloadedAt.all.first)
        let firstWritten = try #require(written.all.first)
        #expect(firstWritten.timeIntervalSince(reload) <= 6 * 60)
    }

    static let blockedSettings = "cold_start_spread = \"0s\"\noutput_delay = \"5m\"\ninterval = \"1d\""

    /// A daemon (simulated clock) with one source whose output folder is blocked by a file.
    static func blockedOutput(settings: String = blockedSettings) throws -> (Scheduler, SimulatedClock, TestHTTPServer, URL) {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let server = try feedServer()
        let folder = try Fixtures.temporaryFolder()
        try Data("not a folder".utf8).write(to: folder.appendingPathComponent("public"))
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: config(settings, sources: ["a"]), server: server, clock: clock, folder: folder)
        return (scheduler, clock, server, folder)
    }

    /// A template edited while the daemon idles shows without a reload and without new items.
    @Test func aTemplateEditedWhileIdleShows() async throws {
        let page = try await Self.pageAfterATemplateEdit(setBack: 0)
        #expect(page.hasPrefix("TWO"), "\(page.prefix(20))")
    }

    /// The same after the clock was set back an hour (an NTP step) during the first fetch: the
    /// outputs are still compared with the state every output_delay, not an hour later.
    @Test func aTemplateEditedAfterTheClockWasSetBackShows() async throws {
        let page = try await Self.pageAfterATemplateEdit(setBack: 3600)
        #expect(page.hasPrefix("TWO"), "\(page.prefix(20))")
    }

    /// A daemon with one page output from a template, whose clock is set back `setBack` seconds as
    /// the source's first fetch is served; the template is edited five minutes after the outputs
    /// were written, and the page is read an hour (and a minute) after that fetch.
    static func pageAfterATemplateEdit(setBack: TimeInterval) async throws -> String {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let served = Fixtures.Flag()
        let server = try TestHTTPServer { request in
            if !served.isSet { clock.advance(by: -setBack) }
            served.set()
            return .init(
                contentType: "application/rss+xml", body: String(decoding: PolitenessTests.rss(request.path), as: UTF8.self))
        }
        let folder = try Fixtures.temporaryFolder()
        let template = folder.appendingPathComponent("page.mustache")
        try Data("ONE {{title}}".utf8).write(to: template)
        let text =
            "[estuary]\nstate_dir = \"state\"\noutput_dir = \"public\"\ncold_start_spread = \"0s\"\noutput_delay = \"1m\"\n"
            + "interval = \"1d\"\n\n" + Self.sources(["a"])
            + "\n[[output]]\nname = \"page\"\nformats = [\"html\"]\ntemplate = \"page.mustache\"\n"
        let (scheduler, _) = try PolitenessTests.scheduler(config: text, server: server, clock: clock, folder: folder)
        let (writes, edited) = (Recorder<Date>(), Recorder<Date>())
        scheduler.onOutputs = { _ in writes.append(clock.now()) }
        scheduler.onStatus = { _ in
            guard let written = writes.all.dropFirst().first, edited.all.isEmpty, clock.now() > written + 5 * 60 else {
                return
            }
            edited.append(clock.now())
            try! Data("TWO {{title}}".utf8).write(to: template)
        }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(61 * 60 - setBack))
        #expect(!edited.all.isEmpty)
        return try String(contentsOf: folder.appendingPathComponent("public/page.html"), encoding: .utf8)
    }

    /// A source changed by one reload and fetched since is on its schedule: a later reload that
    /// changes nothing, during that fetch, does not make it due again.
    @Test func aSourceFetchedSinceItsReloadIsNotDueAgainAfterAnotherReload() async throws {
        let (clock, log, server, folder, scheduler, run) = try Self.slowDaemon(id: "a", until: 30 * 60)
        let header = Self.slowHeader
        #expect(await EstuaryBinary.wait(upTo: 120) { !log.all.isEmpty })
        let text = (header + Self.sources(["a"]) { _ in "/slow2" }).replacingOccurrences(of: "PORT", with: "\(server.port)")
        for wait in [{ !log.all.isEmpty }, { log.all.contains { $0.0 == "/slow2" } }] {
            #expect(await EstuaryBinary.wait(upTo: 120, until: wait))
            let config = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
            scheduler.reload(config: config, cycle: try PolitenessTests.cycle(server: server, clock: clock, folder: folder))
        }
        await run.value
        #expect(log.all.filter { $0.0 == "/slow2" }.count == 1, "\(log.all)")
    }

    /// A reload during a source's fetch that leaves the source as it was keeps its schedule.
    @Test func anUnchangedSourceIsNotFetchedAgainAfterAReloadDuringItsFetch() async throws {
        let log = try await Self.reloadDuringASlowFetch(until: 30 * 60) { "/\($0)" }
        #expect(log.all.filter { $0.0 == "/slow" }.count == 1, "\(log.all)")
    }

    /// Sources falling due all the time (each fetch takes longer than the gap to the next due one)
    /// must not hold the outputs back until the daemon stops.
    @Test func outputsAreWrittenWhileSourcesKeepFallingDue() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let server = try TestHTTPServer { request in
            clock.advance(by: 20)  // every fetch takes 20 s of the scheduler's time
            return .init(
                contentType: "application/rss+xml", body: String(decoding: PolitenessTests.rss(request.path), as: UTF8.self))
        }
        let folder = try Fixtures.temporaryFolder()
        let ids = (1...60).map { "s\($0)" }
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.config("cold_start_spread = \"10m\"\noutput_delay = \"30s\"", sources: ids), server: server,
            clock: clock, folder: folder)
        let writes = Recorder<Date>()
        scheduler.onOutputs = { _ in writes.append(clock.now()) }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(11 * 60))
        // Written at the start (no files yet), then soon after the first change (output_delay, and
        // what the batches under way meanwhile add to this clock): long before the last source's
        // first fetch, ten minutes in.
        let afterStart = writes.all.dropFirst()
        #expect(afterStart.first.map { $0 < PolitenessTests.start + 5 * 60 } == true, "\(writes.all)")
        // And again while they go on falling due, not only on the way out (how often depends on how
        // far the batches under way move this clock between the loop's turns).
        #expect(afterStart.count >= 2, "\(writes.all)")
    }

    @Test func aReloadSchedulesNewSourcesDropsRemovedOnesAndFetchesChangedOnesAtOnce() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let log = Recorder<(String, Date)>()
        let server = try Self.feedServer(log: log, clock: clock)
        let folder = try Fixtures.temporaryFolder()
        let header = """
            [estuary]
            state_dir = "state"
            output_dir = "public"
            cold_start_spread = "0s"
            interval = "1h"

            """
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: header + Self.sources(["kept", "removed", "changed"]), server: server, clock: clock, folder: folder)
        let first = Task { await scheduler.run(until: PolitenessTests.start.addingTimeInterval(60)) }
        await first.value
        #expect(Set(log.all.map(\.0)) == ["/kept", "/removed", "/changed"])

        // A minute in (within min_interval of the first fetches, whose floor a change lifts): one
        // source removed, one added, one moved to a new url.
        let text = (header + Self.sources(["kept", "changed", "added"]) { $0 == "changed" ? "/changed-v2" : "/\($0)" })
            .replacingOccurrences(of: "PORT", with: "\(server.port)")
        let newConfig = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
        scheduler.reload(config: newConfig, cycle: try PolitenessTests.cycle(server: server, clock: clock, folder: folder))
        let reloadTime = clock.now()
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(3 * 3600))

        let after = log.all.filter { $0.1 >= reloadTime }
        #expect(!after.contains { $0.0 == "/removed" })
        #expect(after.first { $0.0 == "/changed-v2" }?.1 == reloadTime)
        #expect(after.first { $0.0 == "/added" }?.1 == reloadTime)
        // The kept source stays on its schedule: not fetched again before its interval.
        let kept = log.all.filter { $0.0 == "/kept" }.map(\.1)
        #expect(kept.count >= 3)
        #expect(zip(kept.dropFirst(), kept).allSatisfy { $0.timeIntervalSince($1) >= 0.9 * 3600 })
    }

    /// The reload comes while that source's own (slow) fetch is under way: it is still fetched at
    /// once after (in the next batch, which starts a second after the slow one at the earliest).
    @Test func aSourceChangedDuringItsOwnFetchIsFetchedAtOnce() async throws {
        var reloadTime: Date?
        let log = try await Self.reloadDuringASlowFetch(until: 3 * 3600) { _ in
            "/slow-v2"
        } reloadedAt: {
            reloadTime = $0
        }
        let refetched = try #require(log.all.first { $0.0 == "/slow-v2" }?.1, "\(log.all)")
        let reload = try #require(reloadTime)
        #expect(refetched >= reload && refetched <= reload + Scheduler.batchGap, "\(log.all)")
    }

    /// The reload comes as the batch that fetches the source begins (after the source was taken
    /// from the schedule, before its fetch: a SIGHUP can land there): the batch fetches the old
    /// version, and the new one is still fetched at once after, not an interval later.
    @Test func aSourceChangedAsItsBatchBeginsIsFetchedAtOnce() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let log = Recorder<(String, Date)>()
        let server = try Self.feedServer(log: log, clock: clock)
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.slowHeader + Self.sources(["a"]), server: server, clock: clock, folder: folder)
        let text = (Self.slowHeader + Self.sources(["a"]) { _ in "/a-v2" })
            .replacingOccurrences(of: "PORT", with: "\(server.port)")
        let newConfig = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
        let newCycle = try PolitenessTests.cycle(server: server, clock: clock, folder: folder)
        let reloadedAt = Recorder<Date>()
        scheduler.onBatch = { _ in
            guard reloadedAt.all.isEmpty else { return }
            reloadedAt.append(clock.now())
            scheduler.reload(config: newConfig, cycle: newCycle)
        }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(30 * 60))
        let reload = try #require(reloadedAt.all.first)
        #expect(log.all.first?.0 == "/a", "\(log.all)")
        let refetched = try #require(log.all.first { $0.0 == "/a-v2" }?.1, "\(log.all)")
        #expect(refetched <= reload + Scheduler.batchGap, "\(log.all)")
    }

    /// The clock set back an hour (an NTP step, a corrected date) during a batch: a source added
    /// then is fetched at once, not when the clock gets back to that batch's start.
    @Test func aClockSetBackDoesNotHoldTheNextBatchBack() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let log = Recorder<(String, Date)>()
        let reloadedAt = Recorder<Date>()
        let reload = Recorder<@Sendable () -> Void>()
        // The first request for "a" sets the clock back, then the config gains "b" (on another host).
        let server = try TestHTTPServer { request in
            if request.path == "/a", log.all.isEmpty {
                clock.advance(by: -3600)
                reloadedAt.append(clock.now())
                reload.all.first?()
            }
            log.append((request.path, clock.now()))
            return .init(
                contentType: "application/rss+xml", body: String(decoding: PolitenessTests.rss(request.path), as: UTF8.self))
        }
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.slowHeader + Self.sources(["a"]), server: server, clock: clock, folder: folder)
        let text = (Self.slowHeader + Self.sources(["a", "b"]))
            .replacingOccurrences(of: "one.test:PORT/b", with: "two.test:PORT/b")
            .replacingOccurrences(of: "PORT", with: "\(server.port)")
        let newConfig = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
        let newCycle = try PolitenessTests.cycle(server: server, clock: clock, folder: folder)
        reload.append { scheduler.reload(config: newConfig, cycle: newCycle) }
        await scheduler.run(until: PolitenessTests.start.addingTimeInterval(30 * 60))
        let reloaded = try #require(reloadedAt.all.first)
        let added = try #require(log.all.first { $0.0 == "/b" }?.1, "\(log.all)")
        #expect(added <= reloaded + Scheduler.batchGap, "\(log.all)")
    }

    /// A failing source removed by a reload while its fetch is under way, its batch ending after
    /// the schedule was made from the new config: the status counts the config's sources only.
    @Test func aSourceRemovedDuringItsFetchIsNotCountedFailing() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let log = Recorder<(String, Date)>()
        let released = Fixtures.Flag()
        let server = try Self.holdingServer("/bad", failing: true, log: log, clock: clock, released: released)
        defer { released.set() }
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.slowHeader + Self.sources(["bad", "ok"]), server: server, clock: clock, folder: folder)
        let statuses = Recorder<Scheduler.Status>()
        scheduler.onStatus = { statuses.append($0) }
        let run = Task { await scheduler.run(until: PolitenessTests.start.addingTimeInterval(2 * 3600)) }
        #expect(await EstuaryBinary.wait(upTo: 60) { log.all.contains { $0.0 == "/bad" } })
        let text = (Self.slowHeader + Self.sources(["ok", "added"]))
            .replacingOccurrences(of: "one.test:PORT/added", with: "two.test:PORT/added")
            .replacingOccurrences(of: "PORT", with: "\(server.port)")
        let config = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
        scheduler.reload(config: config, cycle: try PolitenessTests.cycle(server: server, clock: clock, folder: folder))
        // The added source is fetched in a batch of its own (a batch gap later): the schedule has
        // been made from the new config while "bad" is still under way.
        clock.advance(by: 2 * Scheduler.batchGap)
        #expect(await EstuaryBinary.wait(upTo: 60) { log.all.contains { $0.0 == "/added" } }, "\(log.all)")
        released.set()
        await run.value
        let last = try #require(statuses.all.last)
        #expect(last.sources == 2 && last.failing == 0 && last.gone == 0, "\(last.description)")
    }

    /// A server that holds every `/slow` request until the test lets it go (a slow server in real
    /// life: the daemon's time goes on meanwhile; here the test moves the clock).
    @Test func aSlowSourceDoesNotHoldBackOneFallingDueDuringItsFetch() async throws {
        // "slow" first, "quick" five minutes later (two first fetches spread over ten minutes).
        let daemon = try SlowAndQuick(settings: "cold_start_spread = \"10m\"\ninterval = \"1h\"", until: 3 * 3600)
        let (clock, log, released, reports, run) = (daemon.clock, daemon.log, daemon.released, daemon.reports, daemon.run)
        defer { released.set() }
        #expect(await EstuaryBinary.wait(upTo: 60) { log.all.contains { $0.0 == "/slow" } })
        // Six minutes pass while the slow server has not answered: "quick" falls due, and is fetched
        // and stored, though the batch that fetches "slow" has not ended.
        clock.advance(by: 6 * 60)
        let quickDone = await EstuaryBinary.wait(upTo: 60) { reports.all.contains { $0.sourceID == "quick" } }
        #expect(quickDone, "the quick source waited for the slow one")
        #expect(reports.all.map(\.sourceID) == ["quick"], "\(reports.all)")
        // "slow", still under way and overdue by then, was not asked for a second time.
        #expect(log.all.map(\.0) == ["/slow", "/quick"], "\(log.all.map(\.0))")
        #expect(log.all.last.map { $0.1 >= PolitenessTests.start + 5 * 60 } == true)

        released.set()
        await run.value
        // Then both on their schedules: three hours, about three fetches each.
        for path in ["/slow", "/quick"] {
            let count = log.all.filter { $0.0 == path }.count
            #expect((2...4).contains(count), "\(path): \(count) fetches")
        }
        #expect(reports.all.allSatisfy { !$0.failed }, "\(reports.all)")
    }

    /// A server logging each request at the simulated time, that holds the requests for `path` until
    /// `released` is set (a minute at most), then answers them with a feed (`failing`: a 500).
    static func holdingServer(
        _ path: String, failing: Bool = false, log: Recorder<(String, Date)>, clock: SimulatedClock, released: Fixtures.Flag
    ) throws -> TestHTTPServer {
        try TestHTTPServer { request in
            log.append((request.path, clock.now()))
            let held = Date()
            while request.path == path, !released.isSet, Date().timeIntervalSince(held) < 60 {
                Thread.sleep(forTimeInterval: 0.01)
            }
            if request.path == path, failing { return .init(status: 500, contentType: "text/plain", body: "down") }
            return .init(
                contentType: "application/rss+xml", body: String(decoding: PolitenessTests.rss(request.path), as: UTF8.self))
        }
    }

    /// A quick source in the same batch as a slow one is on its own schedule: its min_interval
    /// floor counts from when it was done, not from when the slow one let the batch end.
    @Test func aQuickSourceIsNotHeldToTheEndOfItsBatch() async throws {
        // Both first fetched at once, in one batch; then every minute, the least min_interval allows.
        let daemon = try SlowAndQuick(
            settings: "cold_start_spread = \"0s\"\ninterval = \"1m\"\nmin_interval = \"1m\"", until: 5 * 60)
        let (clock, log, released, reports, run) = (daemon.clock, daemon.log, daemon.released, daemon.reports, daemon.run)
        defer { released.set() }
        #expect(await EstuaryBinary.wait(upTo: 60) { reports.all.contains { $0.sourceID == "quick" } })
        // The slow server answers 50 s later.
        clock.advance(by: 50)
        released.set()
        await run.value
        let quick = log.all.filter { $0.0 == "/quick" }.map { $0.1.timeIntervalSince(PolitenessTests.start) }
        // A minute after its first fetch (with up to 10% jitter), not a minute after the batch's end (110 s).
        #expect(quick.count >= 2 && quick[1] >= 60 && quick[1] <= 66 + Scheduler.batchGap, "\(quick)")
    }

    /// A daemon (simulated clock) with `settings`, running until `seconds`, over "slow", whose server
    /// holds every request until `released`, and "quick", on another host (libcurl may keep a second
    /// transfer to a host for the connection under way).
    struct SlowAndQuick {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let log = Recorder<(String, Date)>()
        let released = Fixtures.Flag()
        let reports = Recorder<SourceReport>()
        let server: TestHTTPServer
        let run: Task<Void, Never>

        init(settings: String, until seconds: TimeInterval) throws {
            server = try SchedulerTests.holdingServer("/slow", log: log, clock: clock, released: released)
            let config = SchedulerTests.config(settings, sources: ["slow", "quick"])
                .replacingOccurrences(of: "one.test:PORT/quick", with: "two.test:PORT/quick")
            let (scheduler, _) = try PolitenessTests.scheduler(
                config: config, server: server, clock: clock, folder: try Fixtures.temporaryFolder())
            scheduler.onSource = { [reports] in reports.append($0) }
            run = Task { await scheduler.run(until: PolitenessTests.start.addingTimeInterval(seconds)) }
        }
    }

    /// A server whose `/slow…` feeds take 4 s (real time), logging each request at the simulated time.
    static func slowServer(log: Recorder<(String, Date)>, clock: SimulatedClock) throws -> TestHTTPServer {
        try TestHTTPServer { request in
            log.append((request.path, clock.now()))
            if request.path.hasPrefix("/slow") { Thread.sleep(forTimeInterval: 4) }
            return .init(
                contentType: "application/rss+xml", body: String(decoding: PolitenessTests.rss(request.path), as: UTF8.self))
        }
    }

    /// A daemon (simulated clock) running until `seconds` with one source `id` at `/slow`, on ``slowServer(log:clock:)``.
    static func slowDaemon(id: String, until seconds: TimeInterval) throws -> (
        SimulatedClock, Recorder<(String, Date)>, TestHTTPServer, URL, Scheduler, Task<Void, Never>
    ) {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let log = Recorder<(String, Date)>()
        let server = try slowServer(log: log, clock: clock)
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: slowHeader + sources([id]) { _ in "/slow" }, server: server, clock: clock, folder: folder)
        let run = Task { await scheduler.run(until: PolitenessTests.start.addingTimeInterval(seconds)) }
        return (clock, log, server, folder, scheduler, run)
    }

    static let slowHeader =
        "[estuary]\nstate_dir = \"state\"\noutput_dir = \"public\"\ncold_start_spread = \"0s\"\ninterval = \"1h\"\n\n"

    /// A daemon fetching one slow source ("/slow", 4 s) reloads, during that fetch, a config whose
    /// source has the path `path` gives; returns the server's log once the run reaches `seconds`.
    static func reloadDuringASlowFetch(
        until seconds: TimeInterval, path: @escaping (String) -> String, reloadedAt: (Date) -> Void = { _ in }
    ) async throws -> Recorder<(String, Date)> {
        let (clock, log, server, folder, scheduler, run) = try Self.slowDaemon(id: "slow", until: seconds)
        let header = Self.slowHeader
        // (Generous: a busy test run can keep the scheduler's tasks waiting for a thread.)
        #expect(await EstuaryBinary.wait(upTo: 120) { !log.all.isEmpty })
        let text = (header + Self.sources(["slow"], path: path)).replacingOccurrences(of: "PORT", with: "\(server.port)")
        let newConfig = try ConfigLoader().parse(text: text, file: "estuary.toml", folder: folder)
        reloadedAt(clock.now())
        scheduler.reload(config: newConfig, cycle: try PolitenessTests.cycle(server: server, clock: clock, folder: folder))
        await run.value
        return log
    }

    @Test func stopCancelsAFetchStuckOnAStalledServerAndTheSourceStaysDue() async throws {
        let clock = SimulatedClock(start: PolitenessTests.start)
        let server = try Self.feedServer()
        let folder = try Fixtures.temporaryFolder()
        let (scheduler, _) = try PolitenessTests.scheduler(
            config: Self.config("cold_start_spread = \"0s\"\nstop_timeout = \"1s\"", sources: ["fine", "stalled"]),
            server: server, clock: clock, folder: folder)
        let reports = Recorder<SourceReport>()
        scheduler.onSource = { reports.append($0) }
        let running = Task { await scheduler.run() }
        await EstuaryBinary.wait(upTo: 60) { server.requests.contains { $0.path == "/stalled" } && !reports.all.isEmpty }
        let stopped = Date()
        scheduler.stop()
        await running.value
        // Within stop_timeout and a little, not the server's 20 s (generous: other tests share the pool).
        #expect(Date().timeIntervalSince(stopped) < 15)
        let stalled = reports.all.first { $0.sourceID == "stalled" }
        if let stalled { #expect(!stalled.failed, "a cancelled fetch is not the server's failure: \(stalled)") }
        // The finished source's item reached the outputs on the way out.
        let index = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("public/river.json")))
        #expect(((index as? [String: Any])?["items"] as? [Any])?.count == 1)
    }
}

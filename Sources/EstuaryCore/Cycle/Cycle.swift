import Foundation
import Logging

/// The pipeline for a set of sources: fetch, parse, store; then write every output.
///
/// The ``Scheduler`` decides which sources are due and calls ``fetch(_:config:states:onSource:)``
/// and ``writeOutputs(config:changed:)``: `estuary once` runs one pass of it, `estuary run`
/// loops, so the cron path and the daemon path cannot drift apart.
public struct Cycle: Sendable {
    let fetcher: any FeedFetching
    let parser: any FeedParsing
    let store: any ArticleStore
    let writer: OutputWriter
    let now: @Sendable () -> Date
    let logger: Logger
    /// Jitter for the schedule and the backoff; injected so tests are repeatable.
    let random: @Sendable () -> Double
    /// Time spent in each stage during the current run (parse, store and output run on many tasks).
    let timings = StageTimings()
    /// The state's one writer, with group commit (see ``StoreQueue``).
    let storeQueue = StoreQueue()
    /// The outputs' sources digests (``OutputStamp/sourcesDigest(of:in:)``): a cycle serves one
    /// config (a reload makes a new cycle).
    let sourcesDigests = Memo<String>()
    /// The config's dedupe contexts (``Config/dedupeContexts()``), made at the first batch.
    let dedupeContexts = Memo<[String: DedupeContext]>()

    public init(
        fetcher: any FeedFetching, parser: any FeedParsing, store: any ArticleStore,
        writer: OutputWriter = OutputWriter(), now: @escaping @Sendable () -> Date = Date.init,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, logger: Logger
    ) {
        self.fetcher = fetcher
        self.parser = parser
        self.store = store
        self.writer = writer
        self.now = now
        self.random = random
        self.logger = logger
    }

    /// Writes to the state, in one transaction with the writes other tasks have waiting.
    func save(_ write: StoreWrite) async -> Result<StoreOutcome, any Error> {
        await storeQueue.perform(write, on: store) { work in timings.measure(\.store, work) }
    }

    /// Sources parsed and stored at once: enough for the writer's groups to form (most of them wait
    /// for it, holding their parsed items), and never more than one group. Each holds its body
    /// (at most `max_feed_bytes`) and its items until its write commits.
    static let processingWidth = min(max(4, ProcessInfo.processInfo.activeProcessorCount * 8), StoreQueue.groupLimit)

    /// The politeness rules and the schedule for `config`.
    func policy(_ config: Config) -> FetchPolicy {
        var policy = FetchPolicy(config: config)
        policy.random = random
        return policy
    }

    /// Tells the operator that `source` moved, when `next`, just saved in place of `state`, moved
    /// it. Only after the save: a move that could not be recorded has not happened, and the next
    /// fetch that records it says it then.
    func announceMove(of source: SourceConfig, from state: FetchState, to next: FetchState, policy: FetchPolicy) {
        guard let target = FetchPolicy.move(of: source, from: state, to: next) else { return }
        logger.with(source: source).notice(
            "moved: \(policy.moveAfter) fetches in a row were redirected permanently to \(target.absoluteString), which is fetched from now on; the config still says \(source.url.absoluteString): update it"
        )
    }

    /// What the state remembers about fetching each of `sources` (every source of `config` when nil), by id.
    /// A failure is logged and thrown: fetching without the state would forget validators, Retry-After
    /// and gone marks, so callers fetch nothing rather than everything.
    public func fetchStates(_ config: Config, sources: [SourceConfig]? = nil) throws -> [String: FetchState] {
        do {
            return try store.fetchStates(of: sources ?? config.sources)
        } catch {
            logger.error("could not read the fetch state from the state database: \(error)")
            throw error
        }
    }

    /// Splits `config`'s sources (or those of them in `sources`) into those to fetch at `time` and
    /// reports for the others (gone, or not due; with `force` only gone or under a Retry-After).
    public func plan(
        config: Config, sources: [SourceConfig]? = nil, states: [String: FetchState], at time: Date, force: Bool
    ) -> (due: [SourceConfig], skipped: [SourceReport]) {
        let policy = policy(config)
        var due: [SourceConfig] = []
        var skipped: [SourceReport] = []
        for source in sources ?? config.sources {
            if let reason = policy.skipReason(for: source, state: states[source.id] ?? FetchState(), now: time, force: force) {
                skipped.append(SourceReport(sourceID: source.id, outcome: .skipped(reason: reason), elapsed: .zero))
            } else {
                due.append(source)
            }
        }
        return (due, skipped)
    }

    /// Fetches, parses and stores `sources`. `onSource` hears about each as soon as it is done.
    /// Cancelling the task cancels the transfers under way; the sources they were for report nothing
    /// and stay due.
    public func fetch(
        _ sources: [SourceConfig], config: Config, states: [String: FetchState],
        onSource: @escaping @Sendable (SourceReport) -> Void = { _ in }
    ) async -> [SourceReport] {
        let policy = policy(config)
        var requests: [FetchRequest] = []
        for source in sources {
            if !source.verifyTLS {
                logger.warning(
                    "TLS verification is off for this source (tls_verify = false): anyone on the path can change what it says",
                    metadata: ["source": "\(source.id)"])
            }
            let state = states[source.id] ?? FetchState()
            requests.append(
                FetchRequest(source: source, url: policy.url(for: source, state: state), validators: state.validators))
        }
        // Positions, not copies: a source's config is large, and a cycle may have 100,000.
        let indexByID = Dictionary(uniqueKeysWithValues: sources.indices.map { (sources[$0].id, $0) })
        // Once per config: a daemon's batches would each look at every source.
        let dedupe = dedupeContexts.value(for: config.file) { config.dedupeContexts() }
        let started = now()

        return await withTaskGroup(of: SourceReport.self) { group in
            var reports: [SourceReport] = []
            var inFlight = 0
            // 304s need no parsing: their new schedules are written together, a few hundred per transaction.
            var notModified: [NotModifiedAnswer] = []
            for await (request, result) in fetcher.fetch(requests) {
                guard let source = indexByID[request.sourceID].map({ sources[$0] }) else { continue }
                let state = states[source.id] ?? FetchState()
                if case .notModified(let answer) = result {
                    let next = policy.succeeded(state, source: source, notModified: answer, now: now())
                    notModified.append(
                        NotModifiedAnswer(
                            answer: UnchangedAnswer(source: source, status: 304, fetchState: next), previous: state,
                            elapsed: answer.elapsed))
                    if notModified.count >= Self.unchangedBatch {
                        reports += await recordNotModified(notModified, policy: policy, onSource: onSource)
                        notModified.removeAll(keepingCapacity: true)
                    }
                    continue
                }
                // Parsing and storing use the cores; more tasks than that only hold bodies in memory.
                if inFlight >= Self.processingWidth, let report = await group.next() {
                    reports.append(report)
                    inFlight -= 1
                }
                inFlight += 1
                group.addTask { [self] in
                    let report = await self.process(
                        source: source, result: result, state: state, policy: policy,
                        dedupe: dedupe[source.id] ?? .none, cycleTime: started)
                    onSource(report)
                    return report
                }
            }
            reports += await recordNotModified(notModified, policy: policy, onSource: onSource)
            for await report in group { reports.append(report) }
            return reports
        }
    }

    /// 304s written per transaction.
    static let unchangedBatch = 256

    /// A 304 waiting to be written: the source's new fetch state, the one it replaces, the fetch's time.
    private struct NotModifiedAnswer {
        var answer: UnchangedAnswer
        var previous: FetchState
        var elapsed: Duration
    }

    /// Writes the new schedules of sources that answered 304, in one transaction, and reports them.
    private func recordNotModified(
        _ answers: [NotModifiedAnswer], policy: FetchPolicy, onSource: (SourceReport) -> Void
    ) async -> [SourceReport] {
        guard !answers.isEmpty else { return [] }
        var problem: String? = nil
        if case .failure(let error) = await save(.unchanged(answers.map(\.answer), at: now())) {
            problem = "could not save to the state database: \(error)"
        }
        return answers.map { waiting in
            let answer = waiting.answer
            var outcome = SourceReport.Outcome.unchanged(status: 304, reason: "not modified")
            if let problem {
                outcome = .failed(stage: "store", status: 304, message: problem, next: answer.fetchState)
            } else {
                announceMove(of: answer.source, from: waiting.previous, to: answer.fetchState, policy: policy)
            }
            let report = SourceReport(sourceID: answer.source.id, outcome: outcome, elapsed: waiting.elapsed)
            onSource(report)
            return report
        }
    }

    /// Writes every output of `config` that may say something new: when something `changed`, and
    /// whenever its files are missing, its stamp (``OutputStamp``) is of another generation of the
    /// state or of another config (the output's settings, template or sources), or its last write
    /// failed. The others stay as they are.
    public func writeOutputs(config: Config, changed: Bool) -> [OutputReport] {
        let version = try? store.outputVersion()
        return config.outputs.map { output in
            let stamp = self.stamp(of: output, config: config, version: version)
            if !changed, isCurrent(output, stamp, config: config) {
                return OutputReport(name: output.name, files: [], error: nil, unchanged: true)
            }
            let report = timings.measure(\.output) { write(output: output, config: config) }
            stamp.record(written: report.error == nil)
            return report
        }
    }

    /// Whether a run with nothing new would write some output of `config` (its files missing, its
    /// stamp out of date): what the daemon asks before it sleeps.
    public func outputsOutOfDate(config: Config) -> Bool {
        let version = try? store.outputVersion()
        return config.outputs.contains { !isCurrent($0, stamp(of: $0, config: config, version: version), config: config) }
    }

    /// `output`'s files are all there and were written from what `stamp` says now.
    private func isCurrent(_ output: OutputConfig, _ stamp: OutputStamp, config: Config) -> Bool {
        writer.filesExist(for: output, in: config.outputDirectory) && stamp.isCurrent
    }

    /// `output`'s stamp now; the part that comes from its sources is computed once per config.
    private func stamp(of output: OutputConfig, config: Config, version: String?) -> OutputStamp {
        let sources = sourcesDigests.value(for: "\(config.file)\u{0}\(output)") {
            OutputStamp.sourcesDigest(of: output, in: config)
        }
        return OutputStamp(output: output, config: config, version: version, now: now(), sources: sources)
    }

    /// Parse and store one fetched source; every failure becomes a report naming its stage.
    func process(
        source: SourceConfig, result: FetchResult, state: FetchState, policy: FetchPolicy, dedupe: DedupeContext,
        cycleTime: Date
    ) async -> SourceReport {
        // Items first seen in this cycle share one time: that is what makes "first seen" a tie
        // between sources of one cycle, broken by their order in the config.
        let log = logger.with(source: source)
        let started = ContinuousClock.now
        let fetchTime: Duration
        switch result {
        case .body(let body): fetchTime = body.elapsed
        case .notModified(let answer): fetchTime = answer.elapsed
        case .failure(let failure): fetchTime = failure.elapsed
        }
        func finish(_ outcome: SourceReport.Outcome) -> SourceReport {
            SourceReport(sourceID: source.id, outcome: outcome, elapsed: fetchTime + (ContinuousClock.now - started))
        }
        func fail(_ stage: String, status: Int?, _ message: String, next: FetchState) async -> SourceReport {
            let write = StoreWrite.failure(
                source: source, stage: stage, status: status, message: message, fetchState: next, at: now())
            // One line per source: a failure that cannot be recorded either is a store failure.
            if case .failure(let error) = await save(write), stage != "store" {
                return finish(
                    .failed(
                        stage: "store", status: status,
                        message: "\(message) (\(stage)); could not save this to the state database either: \(error)",
                        next: next))
            }
            return finish(.failed(stage: stage, status: status, message: message, next: next))
        }
        func unchanged(status: Int, reason: String, next: FetchState) async -> SourceReport {
            let answer = UnchangedAnswer(source: source, status: status, fetchState: next)
            if case .failure(let error) = await save(.unchanged([answer], at: now())) {
                return await fail("store", status: status, "could not save to the state database: \(error)", next: next)
            }
            announceMove(of: source, from: state, to: next, policy: policy)
            return finish(.unchanged(status: status, reason: reason))
        }

        let body: FetchedBody
        switch result {
        case .failure(let failure) where failure.stage == FetchFailure.cancelledStage:
            // Stopped by a shutdown, not by the server: nothing is recorded and the source stays due.
            return finish(.skipped(reason: failure.message))
        case .failure(let failure):
            let next = policy.failed(state, source: source, failure: failure, now: now())
            return await fail(failure.stage, status: failure.status, failure.message, next: next)
        case .notModified(let answer):
            // `fetch` writes 304s in batches before they get here; a direct caller is served the same way.
            return await unchanged(
                status: 304, reason: "not modified",
                next: policy.succeeded(state, source: source, notModified: answer, now: now()))
        case .body(let fetched):
            body = fetched
        }
        // A new ETag on the same bytes is not news.
        let hash = ContentHash.hex(of: body.body)
        // The new state is worked out once per response, on the path that records it: each
        // working-out counts the permanent redirect (the move is announced once saved).
        if state.bodyHash == hash {
            let next = policy.succeeded(
                state, source: source, validators: body.validators, bodyHash: hash, permanentTarget: body.permanentTarget,
                now: now(), cacheLifetime: body.cacheLifetime)
            return await unchanged(status: body.status, reason: "body unchanged", next: next)
        }
        var document: FeedDocument
        var note: String? = nil
        let fetchState: FetchState
        switch timings.measure(\.parse, { parse(body) }) {
        case .failure(let failure):
            // A body that does not parse is not remembered: the next fetch parses it again.
            var retry = policy.failed(state, source: source, failure: FetchFailure(message: failure.message), now: now())
            retry.validators = state.validators
            guard failure.isHTMLPage else { return await fail("parse", status: body.status, failure.message, next: retry) }
            guard let feedURL = parser.discoverFeed(in: body.body, documentURL: body.documentURL) else {
                return await fail(
                    "parse", status: body.status,
                    "not a feed: the url is a web page without a feed link (<link rel=\"alternate\" type=\"application/rss+xml\">)",
                    next: retry)
            }
            // The page chose that URL: only the web, never a file on this machine.
            guard let scheme = feedURL.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                return await fail(
                    "parse", status: body.status,
                    "not a feed: the page's feed link \(feedURL.absoluteString) is not an http or https URL; refused",
                    next: retry)
            }
            // Autodiscovery: the page names its feed. Read it now, and tell the operator to use it.
            note = "discovered feed \(feedURL.absoluteString) on the page; put it in the config"
            switch await discover(feedURL, for: source) {
            case .success(let found):
                document = found
                // The page's validators and hash would hide the feed next time: keep none of them.
                fetchState = policy.succeeded(
                    state, source: source, validators: nil, bodyHash: nil, permanentTarget: nil, now: now(),
                    hints: found.metadata.hints)
            case .failure(let failure) where failure.stage == FetchFailure.cancelledStage:
                // Stopped by a shutdown, not by the server: nothing is recorded and the source stays due.
                return finish(.skipped(reason: failure.message))
            case .failure(let failure):
                let report = await fail(
                    failure.stage, status: failure.status, "\(failure.message) (the discovered feed \(feedURL.absoluteString))",
                    next: retry)
                return SourceReport(sourceID: report.sourceID, outcome: report.outcome, elapsed: report.elapsed, note: note)
            }
        case .success(let parsed):
            document = parsed
            fetchState = policy.succeeded(
                state, source: source, validators: body.validators, bodyHash: hash, permanentTarget: body.permanentTarget,
                now: now(), cacheLifetime: body.cacheLifetime, hints: parsed.metadata.hints)
        }
        if !document.wellFormed {
            log.debug("feed is not well-formed; items were recovered")
        }
        // Prepared here, on this task's core; only the transaction waits for the writer's turn.
        let stored: Result<StoreOutcome, any Error>
        do {
            let prepared = try store.prepare(document, dedupe: dedupe, at: cycleTime)
            stored = await save(
                .record(
                    source: source, document: document, prepared: prepared, status: body.status, fetchState: fetchState,
                    dedupe: dedupe, at: cycleTime))
        } catch {
            stored = .failure(error)
        }
        switch stored {
        case .success(let stored):
            announceMove(of: source, from: state, to: fetchState, policy: policy)
            var report = finish(.stored(status: body.status, items: stored.items, new: stored.new))
            report.stored = stored
            report.note = note
            return report
        case .failure(let error):
            // Not the server's fault: no backoff, but not again before min_interval either.
            return await fail(
                "store", status: body.status, "could not save to the state database: \(error)",
                next: policy.retryAfterLocalFailure(state, now: now()))
        }
    }

    /// Parses a fetched body. A local file (`file:`) has no web address for its relative links:
    /// when some are left and the feed names its web site, it is parsed again with the site as
    /// the base, as readers such as Miniflux resolve them. Left relative, they would reach the
    /// merged feeds and resolve against the aggregator's address (a podcast's `/media/ep11.mp3`).
    private func parse(_ body: FetchedBody) -> Result<FeedDocument, ParseFailure> {
        let result = parser.parse(body.body, documentURL: body.documentURL, contentType: body.contentType)
        // The site first: looking for relative links costs a pass over every body.
        guard body.documentURL.isFileURL, case .success(let document) = result,
            let site = document.metadata.link.flatMap(URL.init(string:)),
            let scheme = site.scheme?.lowercased(), scheme == "http" || scheme == "https", site.host != nil,
            document.hasRelativeLinks
        else { return result }
        return parser.parse(body.body, documentURL: site, contentType: body.contentType)
    }

    /// Fetches and parses a feed a page pointed to; failures come back with their stage.
    private func discover(_ url: URL, for source: SourceConfig) async -> Result<FeedDocument, FetchFailure> {
        var result: FetchResult? = nil
        // Urgent: the reader of the fetch this source came from may be waiting for this task.
        for await (_, answer) in fetcher.fetch([FetchRequest(discoveredFor: source, url: url)], urgent: true) {
            result = answer
        }
        switch result {
        case .body(let body)?:
            switch timings.measure(
                \.parse, { parser.parse(body.body, documentURL: body.documentURL, contentType: body.contentType) })
            {
            case .success(let document): return .success(document)
            case .failure(let failure):
                return .failure(FetchFailure(status: body.status, stage: "parse", message: failure.message))
            }
        case .failure(let failure)?:
            return .failure(failure)
        case nil:
            // The stream ended without an answer: the batch was cancelled (estuary is stopping).
            return .failure(FetchFailure(stage: FetchFailure.cancelledStage, message: "cancelled: estuary is stopping"))
        case .notModified?:
            return .failure(FetchFailure(stage: "http", message: "the discovered feed answered without a body"))
        }
    }

    func write(output: OutputConfig, config: Config) -> OutputReport {
        do {
            let sources = output.selectedSources(from: config.sources)
            let time = now()
            var articles = try store.articles(sourceIDs: sources.map(\.id), limit: output.maxItems)
            // Filters drop items after the query: read more, newest first, until enough pass or
            // every stored item was seen.
            var read = output.maxItems
            while output.filters {
                let passing = articles.filter { output.admits($0, now: time) }
                guard passing.count < output.maxItems, articles.count == read else {
                    articles = Array(passing.prefix(output.maxItems))
                    break
                }
                let (more, overflow) = read.multipliedReportingOverflow(by: 4)
                read = overflow ? Int.max : more
                articles = try store.articles(sourceIDs: sources.map(\.id), limit: read)
            }
            let statuses = try store.statuses(of: sources)
            // The time of the state the files show, not of the write: the same state gives the same bytes.
            let generated = (statuses.compactMap(\.lastFetch) + articles.map(\.firstSeen)).max() ?? time
            let files = try writer.write(
                output: output, articles: articles, sources: sources, statuses: statuses,
                directory: config.outputDirectory, generated: generated)
            return OutputReport(name: output.name, files: files, error: nil)
        } catch {
            // Not logged here: `once` and `run` report it, with what to check (it was said twice).
            return OutputReport(name: output.name, files: [], error: "\(error)")
        }
    }
}

extension Logger {
    func with(source: SourceConfig) -> Logger {
        var copy = self
        copy[metadataKey: "source"] = "\(source.id)"
        return copy
    }
}

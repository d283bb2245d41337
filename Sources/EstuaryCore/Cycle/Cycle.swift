import Foundation
import Logging

/// One pass of the pipeline: fetch every source, parse, store, write every output.
///
/// `estuary once` runs it one time; `estuary run` runs it on an interval. Both
/// call ``run(config:)``, so the cron path and the daemon path cannot drift apart.
public struct Cycle: Sendable {
    let fetcher: any FeedFetching
    let parser: any FeedParsing
    let store: any ArticleStore
    let writer: OutputWriter
    let now: @Sendable () -> Date
    let logger: Logger

    public init(
        fetcher: any FeedFetching, parser: any FeedParsing, store: any ArticleStore,
        writer: OutputWriter = OutputWriter(), now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.fetcher = fetcher
        self.parser = parser
        self.store = store
        self.writer = writer
        self.now = now
        self.logger = logger
    }

    /// Runs the cycle once. `onSource` hears about each source as soon as it is done.
    public func run(config: Config, onSource: @escaping @Sendable (SourceReport) -> Void = { _ in }) async -> CycleReport {
        let byID = Dictionary(uniqueKeysWithValues: config.sources.map { ($0.id, $0) })
        let requests = config.sources.map { FetchRequest(sourceID: $0.id, url: $0.url) }

        let sourceReports = await withTaskGroup(of: SourceReport.self) { group in
            for await (request, outcome) in fetcher.fetch(requests) {
                guard let source = byID[request.sourceID] else { continue }
                group.addTask { [self] in
                    let report = self.process(source: source, outcome: outcome)
                    onSource(report)
                    return report
                }
            }
            var reports: [SourceReport] = []
            for await report in group { reports.append(report) }
            return reports
        }

        var outputReports: [OutputReport] = []
        for output in config.outputs {
            outputReports.append(write(output: output, config: config))
        }
        let order = Dictionary(uniqueKeysWithValues: config.sources.enumerated().map { ($1.id, $0) })
        return CycleReport(
            sources: sourceReports.sorted { order[$0.sourceID, default: 0] < order[$1.sourceID, default: 0] },
            outputs: outputReports)
    }

    /// Parse and store one fetched source; every failure becomes a report naming its stage.
    func process(source: SourceConfig, outcome: Result<FetchedBody, FetchFailure>) -> SourceReport {
        let log = logger.with(source: source)
        let started = ContinuousClock.now
        let fetchTime: Duration
        switch outcome {
        case .success(let body): fetchTime = body.elapsed
        case .failure(let failure): fetchTime = failure.elapsed
        }
        func finish(_ result: SourceReport.Outcome) -> SourceReport {
            SourceReport(sourceID: source.id, outcome: result, elapsed: fetchTime + (ContinuousClock.now - started))
        }
        func fail(_ stage: SourceReport.Stage, status: Int?, _ message: String) -> SourceReport {
            do {
                try store.recordFailure(source: source, stage: stage.rawValue, status: status, message: message, at: now())
            } catch {
                log.error("could not record the failure in the state", metadata: ["error": "\(error)"])
            }
            return finish(.failed(stage: stage, status: status, message: message))
        }

        let body: FetchedBody
        switch outcome {
        case .failure(let failure): return fail(.fetch, status: failure.status, failure.message)
        case .success(let fetched): body = fetched
        }
        let document: FeedDocument
        switch parser.parse(body.body, documentURL: body.documentURL, contentType: body.contentType) {
        case .failure(let failure): return fail(.parse, status: body.status, failure.message)
        case .success(let parsed): document = parsed
        }
        if !document.wellFormed {
            log.debug("feed is not well-formed; items were recovered")
        }
        do {
            let stored = try store.record(source: source, document: document, status: body.status, at: now())
            return finish(.stored(status: body.status, items: stored.items, new: stored.new))
        } catch {
            return fail(.store, status: body.status, "could not save to the state database: \(error)")
        }
    }

    func write(output: OutputConfig, config: Config) -> OutputReport {
        do {
            let articles = try store.articles(sourceIDs: config.sources.map(\.id), limit: output.maxItems)
            let statuses = try store.statuses(of: config.sources)
            let files = try writer.write(
                output: output, articles: articles, sources: config.sources, statuses: statuses,
                directory: config.outputDirectory, generated: now())
            return OutputReport(name: output.name, files: files, error: nil)
        } catch {
            logger.error("output \"\(output.name)\" was not written: \(error)")
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

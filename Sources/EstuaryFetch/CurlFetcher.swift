import EstuaryCore
import Foundation
import Logging

/// Fetches sources over HTTP(S) and `file:` with one libcurl multi handle.
public final class CurlFetcher: FeedFetching {
    private let engine: MultiEngine
    private let settings: FetchSettings
    private let logger: Logger

    public init(settings: FetchSettings = FetchSettings(), logger: Logger) {
        self.engine = MultiEngine(settings: settings)
        self.settings = settings
        self.logger = logger
    }

    deinit { engine.shutdown() }

    public func fetch(_ requests: [FetchRequest], urgent: Bool) -> FetchResults {
        let (stream, continuation) = AsyncStream.makeStream(
            of: (FetchRequest, FetchResult).self, bufferingPolicy: .unbounded)
        guard !requests.isEmpty else {
            continuation.finish()
            return FetchResults(stream)
        }
        let remaining = Countdown(requests.count)
        let batch = MultiEngine.Batch(budget: urgent ? nil : settings.maxUnreadBytes)
        // A caller that stops listening (its task cancelled) cancels what is still queued or under way.
        continuation.onTermination = { [engine] termination in
            guard case .cancelled = termination else { return }
            batch.cancel()
            engine.cancelCancelledBatches()
        }
        // Handed over together: one lock and one wake-up of the engine, not one per request.
        engine.submit(
            requests.map { request in
                logger.debug("fetch", metadata: ["source": "\(request.sourceID)", "url": "\(request.url.absoluteString)"])
                return MultiEngine.Job(request: request, batch: batch, urgent: urgent) { result in
                    batch.delivered(Self.weight(of: result))
                    continuation.yield((request, result))
                    if remaining.decrement() { continuation.finish() }
                }
            })
        return FetchResults(stream) { [engine] _, result in
            // Held back and now under its budget again: the engine may start its next transfers.
            if batch.read(Self.weight(of: result)) { engine.wake() }
        }
    }

    /// What an outcome waiting to be read costs: its body, and a little for the rest.
    private static func weight(of result: FetchResult) -> Int {
        guard case .body(let body) = result else { return 1024 }
        return body.body.count + 1024
    }

    public func stopStarting() { engine.stopStarting() }

    /// The libcurl version in use.
    public static var libcurlVersion: String { Curl.version }
}

/// Counts down to zero from several threads.
private final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int

    init(_ value: Int) { self.value = value }

    /// True exactly once: when the count reaches zero.
    func decrement() -> Bool {
        lock.withLock {
            value -= 1
            return value == 0
        }
    }
}

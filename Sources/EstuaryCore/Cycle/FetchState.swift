import Foundation

/// HTTP cache validators: what makes a conditional GET possible.
public struct Validators: Sendable, Equatable {
    public var etag: String?
    public var lastModified: String?

    public init(etag: String? = nil, lastModified: String? = nil) {
        self.etag = etag
        self.lastModified = lastModified
    }

    public var isEmpty: Bool { etag == nil && lastModified == nil }
}

/// What Estuary remembers about fetching one source, between runs.
public struct FetchState: Sendable, Equatable {
    /// Validators from the last response with a body.
    public var validators = Validators()
    /// Hash of the last body parsed: an unchanged body under a new ETag adds nothing.
    public var bodyHash: String?
    /// Failures in a row; 0 after a success.
    public var errorCount = 0
    /// No fetch before this time (backoff, Retry-After).
    public var notBefore: Date?
    /// Why `notBefore` is set, for the report ("backoff after 3 errors", "Retry-After").
    public var notBeforeReason: String?
    /// The config URL that answered 410 Gone; the source is not fetched while the config still says it.
    public var goneURL: String?
    /// The URL fetched instead of the config's, after a permanent redirect was confirmed.
    public var movedTo: String?
    /// The config URL `movedTo` applies to: when the config changes, the move is forgotten.
    public var movedFrom: String?
    /// The permanent-redirect target seen on the last fetches, and how many times in a row.
    public var redirectTarget: String?
    public var redirectCount = 0

    public init() {}
}

/// How a source's fetch state changes after a fetch: the fetcher's politeness rules, as pure functions.
public struct FetchPolicy: Sendable {
    /// The regular time between fetches; backoff multiplies it.
    public var interval: Duration
    /// Backoff never waits longer than this.
    public var maxBackoff: Duration = .seconds(24 * 3600)
    /// Fetches in a row that must see the same permanent redirect before the source moves.
    public var moveAfter = 3
    /// A number in 0..<1 for jitter; injected so tests are repeatable.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    public init(interval: Duration) { self.interval = interval }

    /// The URL to fetch for `source` given what is remembered.
    public func url(for source: SourceConfig, state: FetchState) -> URL {
        if let moved = state.movedTo, state.movedFrom == source.url.absoluteString, let url = URL(string: moved) { return url }
        return source.url
    }

    /// Why `source` is not fetched now, nil when it is due.
    public func skipReason(for source: SourceConfig, state: FetchState, now: Date) -> String? {
        if let gone = state.goneURL, gone == source.url.absoluteString {
            return "gone: the server answered 410 Gone; remove the source from the config (or change its url)"
        }
        if let notBefore = state.notBefore, notBefore > now {
            let reason = state.notBeforeReason.map { " (\($0))" } ?? ""
            return "not due: next attempt at \(CivilTime.rfc3339(notBefore))\(reason)"
        }
        return nil
    }

    /// After a response with a body or a 304: errors forgotten, validators kept.
    public func succeeded(
        _ state: FetchState, source: SourceConfig, validators: Validators?, bodyHash: String?, permanentTarget: URL?
    ) -> FetchState {
        var next = state
        next.errorCount = 0
        next.notBefore = nil
        next.notBeforeReason = nil
        next.goneURL = nil
        if let validators, !validators.isEmpty { next.validators = validators }
        if let bodyHash { next.bodyHash = bodyHash }
        return noteRedirect(next, source: source, target: permanentTarget)
    }

    /// After a failure: exponential backoff with jitter, Retry-After when the server gave one, gone on 410.
    public func failed(_ state: FetchState, source: SourceConfig, failure: FetchFailure, now: Date) -> FetchState {
        var next = state
        next.errorCount += 1
        if failure.status == 410 {
            next.goneURL = source.url.absoluteString
            return next
        }
        if let retryAfter = failure.retryAfter, retryAfter > now {
            next.notBefore = retryAfter
            next.notBeforeReason = "Retry-After from the server"
            return next
        }
        next.notBefore = now.addingTimeInterval(backoff(errors: next.errorCount))
        next.notBeforeReason = "backoff after \(next.errorCount) error\(next.errorCount == 1 ? "" : "s") in a row"
        return next
    }

    /// interval × 2^errors, capped at `maxBackoff`, with ±10% jitter.
    public func backoff(errors: Int) -> TimeInterval {
        let base = Double(interval.components.seconds)
        let cap = Double(maxBackoff.components.seconds)
        let raw = min(cap, base * pow(2, Double(min(max(0, errors), 62))))
        return raw * (0.9 + 0.2 * random())
    }

    /// Counts a permanent redirect seen on this fetch; after `moveAfter` in a row to the same
    /// target the source moves there (never from https to http).
    func noteRedirect(_ state: FetchState, source: SourceConfig, target: URL?) -> FetchState {
        var next = state
        guard let target else {
            next.redirectTarget = nil
            next.redirectCount = 0
            return next
        }
        let text = target.absoluteString
        next.redirectCount = next.redirectTarget == text ? next.redirectCount + 1 : 1
        next.redirectTarget = text
        let current = url(for: source, state: state)
        let downgrade = current.scheme?.lowercased() == "https" && target.scheme?.lowercased() == "http"
        if next.redirectCount >= moveAfter, !downgrade {
            next.movedTo = text
            next.movedFrom = source.url.absoluteString
            next.redirectTarget = nil
            next.redirectCount = 0
        }
        return next
    }
}

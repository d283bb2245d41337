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
    /// When the source is due next: its interval after a success, its backoff after a failure.
    /// Nil for a source never fetched. `once --force` fetches before it.
    public var nextFetch: Date?
    /// No fetch before this time, even forced: the server's Retry-After.
    public var notBefore: Date?
    /// Why the source waits (`nextFetch` or `notBefore`), for the report ("backoff after 3 errors", "Retry-After").
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
    /// What the feed last said about its schedule (kept: a 304 does not repeat it).
    public var hints = StoredHints()

    public init() {}

    /// True when `source`'s url answered 410 Gone: not fetched again while the config keeps that url.
    public func isGone(_ source: SourceConfig) -> Bool { goneURL == source.url.absoluteString }

    /// How many of `sources` are failing (the last attempt failed) and gone; gone ones are not failing.
    public static func health(of sources: [SourceConfig], states: [String: FetchState]) -> (failing: Int, gone: Int) {
        var failing = 0
        var gone = 0
        for source in sources {
            guard let state = states[source.id] else { continue }
            if state.isGone(source) {
                gone += 1
            } else if state.errorCount > 0 {
                failing += 1
            }
        }
        return (failing, gone)
    }

    /// When the source may be fetched: the later of its schedule and the server's Retry-After;
    /// nil when it was never scheduled and the server asked nothing (due at once, or spread at a cold start).
    public var dueTime: Date? {
        switch (nextFetch, notBefore) {
        case (let next?, let floor?): max(next, floor)
        case (let next?, nil): next
        case (nil, let floor?): floor
        case (nil, nil): nil
        }
    }
}

/// A feed's scheduling hints reduced to what the schedule needs.
public struct StoredHints: Sendable, Equatable {
    /// The shortest time between fetches the feed asks for (RSS `ttl`, `sy:updatePeriod`/`sy:updateFrequency`), in seconds.
    public var minimumInterval: TimeInterval?
    /// RSS `skipHours` (0-23, UTC) and `skipDays` (0 Sunday ... 6 Saturday).
    public var skipHours: Set<Int> = []
    public var skipDays: Set<Int> = []

    public init(minimumInterval: TimeInterval? = nil, skipHours: Set<Int> = [], skipDays: Set<Int> = []) {
        self.minimumInterval = minimumInterval
        self.skipHours = skipHours
        self.skipDays = skipDays
    }

    static let dayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    public init(_ hints: SchedulingHints) {
        var interval: TimeInterval? = hints.ttlMinutes.flatMap { $0 > 0 ? TimeInterval($0) * 60 : nil }
        let periods: [String: TimeInterval] = [
            "hourly": 3600, "daily": 86_400, "weekly": 604_800, "monthly": 2_592_000, "yearly": 31_536_000,
        ]
        if let name = hints.updatePeriod?.lowercased(), let period = periods[name] {
            let perPeriod = period / TimeInterval(max(1, hints.updateFrequency ?? 1))
            interval = max(interval ?? 0, perPeriod)
        }
        self.init(
            minimumInterval: interval, skipHours: hints.skipHours.filter { (0..<24).contains($0) },
            skipDays: Set(hints.skipDays.compactMap { Self.dayNames.firstIndex(of: $0) }))
    }

    /// True when `date` falls in a skipped hour or day (UTC).
    func skips(_ date: Date) -> Bool {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let hour = (seconds - days * 86_400) / 3600
        // 1970-01-01 was a Thursday (4).
        let weekday = ((days + 4) % 7 + 7) % 7
        return skipHours.contains(hour) || skipDays.contains(weekday)
    }
}

/// How a source's fetch state changes after a fetch: the fetcher's politeness rules and the
/// schedule, as pure functions.
public struct FetchPolicy: Sendable {
    /// The regular time between fetches (`[estuary] interval`); a source's own `interval` replaces it.
    public var interval: Duration
    /// Bounds on every source's interval, whatever the config, the feed or the server says.
    public var minInterval: Duration = Config.defaultMinInterval
    public var maxInterval: Duration = Config.defaultMaxInterval
    /// Backoff never waits longer than this.
    public var maxBackoff: Duration = .seconds(24 * 3600)
    /// The longest Retry-After honoured, in seconds.
    public static let maxRetryAfter: TimeInterval = 7 * 86_400
    /// Fetches in a row that must see the same permanent redirect before the source moves.
    public var moveAfter = 3
    /// A number in 0..<1 for jitter; injected so tests are repeatable.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    public init(interval: Duration) { self.interval = interval }

    /// The policy `config` asks for.
    public init(config: Config) {
        self.init(interval: config.interval)
        minInterval = config.minInterval
        maxInterval = config.maxInterval
        moveAfter = config.fetch.moveAfterRedirects
    }

    /// The URL to fetch for `source` given what is remembered.
    public func url(for source: SourceConfig, state: FetchState) -> URL {
        if let moved = state.movedTo, state.movedFrom == source.url.absoluteString, let url = URL(string: moved) { return url }
        return source.url
    }

    /// Why `source` is not fetched now, nil when it is due. `force` fetches before the
    /// schedule and the backoff, never before a Retry-After nor after a 410.
    public func skipReason(for source: SourceConfig, state: FetchState, now: Date, force: Bool = false) -> String? {
        if state.isGone(source) {
            return "gone: the server answered 410 Gone; remove the source from the config (or change its url)"
        }
        let waitUntil = believed(force ? state.notBefore : state.dueTime, now: now)
        if let waitUntil, waitUntil > now {
            let reason = state.notBeforeReason.map { " (\($0))" } ?? ""
            return "not due: next attempt at \(CivilTime.rfc3339(waitUntil))\(reason)"
        }
        return nil
    }

    /// The longest a due time can lie ahead: the longest interval, backoff or Retry-After, jitter included.
    public var longestWait: TimeInterval { max(maxInterval.seconds, maxBackoff.seconds, Self.maxRetryAfter) * 1.1 + 3600 }

    /// `time`, or `now` when it lies further ahead than any schedule puts a fetch: it was written
    /// while the clock was set ahead, and believing it would silence the source for that long.
    public func believed(_ time: Date?, now: Date) -> Date? {
        guard let time else { return nil }
        return time > now.addingTimeInterval(longestWait) ? now : time
    }

    /// When `state` is due (see ``believed(_:now:)``).
    public func dueTime(of state: FetchState, now: Date) -> Date? { believed(state.dueTime, now: now) }

    /// The time between two fetches of `source`: its configured interval, lengthened by what the
    /// feed (`ttl`, `sy:updatePeriod`) and the server (`Cache-Control: max-age`, `Expires`) ask, within the bounds.
    public func regularInterval(for source: SourceConfig, hints: StoredHints, cacheLifetime: TimeInterval?) -> TimeInterval {
        var seconds = (source.interval ?? interval).seconds
        if let asked = hints.minimumInterval { seconds = max(seconds, asked) }
        if let cacheLifetime { seconds = max(seconds, cacheLifetime) }
        return min(max(seconds, minInterval.seconds), maxInterval.seconds)
    }

    /// `now` plus `interval` with ±10% jitter, moved out of the feed's skipped hours and days
    /// (never past the longest interval).
    public func schedule(after now: Date, interval: TimeInterval, hints: StoredHints) -> Date {
        // The jitter stays inside the bounds: never sooner than min_interval, never later than max_interval.
        let jittered = min(max(interval * (0.9 + 0.2 * random()), minInterval.seconds), max(interval, maxInterval.seconds))
        let planned = now.addingTimeInterval(jittered)
        guard !hints.skipHours.isEmpty || !hints.skipDays.isEmpty else { return planned }
        let limit = now.addingTimeInterval(max(interval, maxInterval.seconds))
        var candidate = planned
        var moved = false
        // At most a week of hours: a feed skipping every hour of every day is not obeyed.
        for _ in 0..<(7 * 24) where hints.skips(candidate) {
            let hour = (candidate.timeIntervalSince1970 / 3600).rounded(.down)
            candidate = Date(timeIntervalSince1970: (hour + 1) * 3600)
            moved = true
        }
        if hints.skips(candidate) { return planned }
        // Moved to an hour's start: spread over its first ten minutes, so feeds skipping the same
        // hours do not all fire at HH:00:00.
        if moved { candidate = candidate.addingTimeInterval(600 * random()) }
        return min(candidate, limit)
    }

    /// After a response with a body or a 304: errors forgotten, validators kept, the next fetch
    /// scheduled from the feed's hints (`document` when it was parsed, else the ones remembered).
    public func succeeded(
        _ state: FetchState, source: SourceConfig, validators: Validators?, bodyHash: String?, permanentTarget: URL?,
        now: Date, cacheLifetime: TimeInterval? = nil, hints: SchedulingHints? = nil
    ) -> FetchState {
        var next = state
        next.errorCount = 0
        next.notBefore = nil
        next.notBeforeReason = nil
        next.goneURL = nil
        if let validators, !validators.isEmpty { next.validators = validators }
        if let bodyHash { next.bodyHash = bodyHash }
        if let hints { next.hints = StoredHints(hints) }
        let interval = regularInterval(for: source, hints: next.hints, cacheLifetime: cacheLifetime)
        next.nextFetch = schedule(after: now, interval: interval, hints: next.hints)
        return noteRedirect(next, source: source, target: permanentTarget)
    }

    /// After a 304: the validators it carries, its cache lifetime, any permanent redirect. A 304
    /// updates the validators it names and keeps the others: servers send the ETag on a 304 and are
    /// asked not to repeat Last-Modified (RFC 9110), which must still go with the next request.
    public func succeeded(_ state: FetchState, source: SourceConfig, notModified answer: NotModified, now: Date) -> FetchState {
        var validators = state.validators
        if let etag = answer.validators.etag { validators.etag = etag }
        if let modified = answer.validators.lastModified { validators.lastModified = modified }
        return succeeded(
            state, source: source, validators: validators, bodyHash: nil, permanentTarget: answer.permanentTarget,
            now: now, cacheLifetime: answer.cacheLifetime)
    }

    /// After a failure: exponential backoff with jitter, Retry-After when the server gave one, gone on 410.
    public func failed(_ state: FetchState, source: SourceConfig, failure: FetchFailure, now: Date) -> FetchState {
        var next = state
        next.errorCount += 1
        if failure.status == 410 {
            next.goneURL = source.url.absoluteString
            return next
        }
        if var retryAfter = failure.retryAfter?.date(from: now), retryAfter > now {
            // Honoured up to a week: a typo or a hostile server must not silence a source for years.
            retryAfter = min(retryAfter, now.addingTimeInterval(Self.maxRetryAfter))
            next.notBefore = retryAfter
            next.nextFetch = retryAfter
            next.notBeforeReason = "Retry-After from the server"
            return next
        }
        next.notBefore = nil
        next.nextFetch = now.addingTimeInterval(backoff(errors: next.errorCount, source: source))
        next.notBeforeReason = "backoff after \(next.errorCount) error\(next.errorCount == 1 ? "" : "s") in a row"
        return next
    }

    /// After a failure on this side (the state could not be written): the source is due again
    /// after `min_interval`, without counting an error against the server.
    public func retryAfterLocalFailure(_ state: FetchState, now: Date) -> FetchState {
        var next = state
        next.nextFetch = now.addingTimeInterval(minInterval.seconds)
        next.notBeforeReason = "retry after the state could not be written"
        return next
    }

    /// The source's interval × 2^errors, capped at `maxBackoff`, with ±10% jitter.
    public func backoff(errors: Int, source: SourceConfig? = nil) -> TimeInterval {
        let base = max(min((source?.interval ?? interval).seconds, maxInterval.seconds), minInterval.seconds)
        let cap = maxBackoff.seconds
        let raw = min(cap, base * pow(2, Double(min(max(0, errors), 62))))
        return min(raw * (0.9 + 0.2 * random()), cap)
    }

    /// The URL `source` moves to when `next` replaces `state` (the target of its permanent
    /// redirects), nil when it does not move then. For the operator's log, once `next` is saved:
    /// the config is never rewritten.
    public static func move(of source: SourceConfig, from state: FetchState, to next: FetchState) -> URL? {
        guard let target = next.movedTo, next.movedFrom == source.url.absoluteString,
            state.movedTo != target || state.movedFrom != next.movedFrom
        else { return nil }
        return URL(string: target)
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

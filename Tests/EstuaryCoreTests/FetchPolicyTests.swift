import EstuaryCore
import Foundation
import Testing

@Suite struct FetchPolicyTests {
    static let source = SourceConfig(id: "s", url: URL(string: "https://old.example/feed")!)
    let now = Date(timeIntervalSince1970: 1_000_000)

    func policy(jitter: Double = 0.5) -> FetchPolicy {
        var policy = FetchPolicy(interval: .seconds(1800))
        policy.random = { jitter }
        return policy
    }

    @Test func backoffIsTheIntervalTimesTwoToTheErrorsUpToADay() {
        let p = policy()
        #expect(p.backoff(errors: 1) == 3600)
        #expect(p.backoff(errors: 2) == 7200)
        #expect(p.backoff(errors: 4) == 28_800)
        #expect(p.backoff(errors: 10) == 86_400)
        #expect(p.backoff(errors: 60) == 86_400)
    }

    /// Servers send the ETag on a 304 and are asked not to repeat Last-Modified (RFC 9110): both
    /// validators still go with the next request.
    @Test func aNotModifiedWithOnlyAnETagKeepsLastModified() {
        var state = FetchState()
        state.validators = Validators(etag: "\"v1\"", lastModified: "Mon, 04 Dec 2017 10:02:00 GMT")
        let answer = NotModified(validators: Validators(etag: "\"v2\""), permanentTarget: nil, elapsed: .zero)
        let next = policy().succeeded(state, source: Self.source, notModified: answer, now: now)
        #expect(next.validators == Validators(etag: "\"v2\"", lastModified: "Mon, 04 Dec 2017 10:02:00 GMT"))
        // A body replaces both: what the new one lacks is not kept from the old.
        let fresh = policy().succeeded(
            next, source: Self.source, validators: Validators(etag: "\"v3\""), bodyHash: "h", permanentTarget: nil, now: now)
        #expect(fresh.validators == Validators(etag: "\"v3\""))
    }

    /// A due time further ahead than any schedule puts one was written under a clock set ahead:
    /// once the clock is right again, the source is due, not silenced for a year.
    @Test func aDueTimeBeyondAnyScheduleIsNotBelieved() {
        let p = policy()
        var state = FetchState()
        state.nextFetch = now.addingTimeInterval(365 * 86_400)
        #expect(p.skipReason(for: Self.source, state: state, now: now) == nil)
        #expect(p.dueTime(of: state, now: now) == now)
        // A week's Retry-After is a legal wait: kept.
        state.nextFetch = now.addingTimeInterval(FetchPolicy.maxRetryAfter)
        #expect(p.skipReason(for: Self.source, state: state, now: now)?.hasPrefix("not due") == true)
    }

    @Test func jitterStaysWithinTenPercent() {
        #expect(policy(jitter: 0).backoff(errors: 1) == 3600 * 0.9)
        #expect(policy(jitter: 0.999_999).backoff(errors: 1) < 3600 * 1.1)
    }

    @Test func failuresPushTheNextAttemptAndASuccessResetsThem() {
        let p = policy()
        var state = FetchState()
        for expected in [3600.0, 7200, 14_400] {
            state = p.failed(state, source: Self.source, failure: FetchFailure(status: 500, message: "x"), now: now)
            #expect(state.nextFetch == now.addingTimeInterval(expected))
            #expect(state.notBefore == nil)
            #expect(p.skipReason(for: Self.source, state: state, now: now)?.hasPrefix("not due") == true)
        }
        #expect(state.errorCount == 3)
        #expect(p.skipReason(for: Self.source, state: state, now: now.addingTimeInterval(14_401)) == nil)
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: nil, now: now)
        #expect(state.errorCount == 0)
        #expect(state.nextFetch == now.addingTimeInterval(1800))
    }

    @Test func aFailureToStoreRetriesAfterTheMinimumIntervalWithoutAnError() {
        var p = policy()
        p.minInterval = .seconds(300)
        let state = p.retryAfterLocalFailure(FetchState(), now: now)
        #expect(state.nextFetch == now + 300)
        #expect(state.errorCount == 0)
        #expect(p.skipReason(for: Self.source, state: state, now: now + 299) != nil)
        #expect(p.skipReason(for: Self.source, state: state, now: now + 300) == nil)
    }

    @Test func forceSkipsTheBackoffButNeverARetryAfterNorAGone() {
        let p = policy()
        let backoff = p.failed(FetchState(), source: Self.source, failure: FetchFailure(status: 500, message: "x"), now: now)
        #expect(p.skipReason(for: Self.source, state: backoff, now: now) != nil)
        #expect(p.skipReason(for: Self.source, state: backoff, now: now, force: true) == nil)
        let retry = p.failed(
            FetchState(), source: Self.source, failure: FetchFailure(status: 503, message: "x", retryAfter: .seconds(600)),
            now: now)
        #expect(p.skipReason(for: Self.source, state: retry, now: now, force: true)?.contains("Retry-After") == true)
        let gone = p.failed(FetchState(), source: Self.source, failure: FetchFailure(status: 410, message: "x"), now: now)
        #expect(p.skipReason(for: Self.source, state: gone, now: now, force: true)?.hasPrefix("gone") == true)
    }

    @Test func theIntervalFollowsTheFeedAndTheServerWithinTheBounds() {
        var p = policy()
        p.minInterval = .seconds(600)
        p.maxInterval = .seconds(6 * 3600)
        let none = StoredHints()
        #expect(p.regularInterval(for: Self.source, hints: none, cacheLifetime: nil) == 1800)
        // ttl 60 (minutes) and sy:updatePeriod hourly x 1 both ask for an hour.
        let ttl = StoredHints(SchedulingHints(ttlMinutes: 60))
        #expect(ttl.minimumInterval == 3600)
        #expect(p.regularInterval(for: Self.source, hints: ttl, cacheLifetime: nil) == 3600)
        let sy = StoredHints(SchedulingHints(updatePeriod: "daily", updateFrequency: 2))
        #expect(p.regularInterval(for: Self.source, hints: sy, cacheLifetime: nil) == 6 * 3600)
        // A hint never shortens the interval; max-age lengthens it; the bounds hold.
        #expect(
            p.regularInterval(for: Self.source, hints: StoredHints(SchedulingHints(ttlMinutes: 1)), cacheLifetime: nil) == 1800)
        #expect(p.regularInterval(for: Self.source, hints: none, cacheLifetime: 7200) == 7200)
        #expect(p.regularInterval(for: Self.source, hints: none, cacheLifetime: 86_400 * 7) == 6 * 3600)
        var fast = Self.source
        fast.interval = .seconds(60)
        #expect(p.regularInterval(for: fast, hints: none, cacheLifetime: nil) == 600)
    }

    @Test func theNextFetchHasTenPercentJitterAndAvoidsSkippedHoursAndDays() {
        // 2026-11-29 is a Sunday; 05:00 UTC.
        let sunday5 = Date(timeIntervalSince1970: 1_795_928_400)
        #expect(policy(jitter: 0).schedule(after: sunday5, interval: 1000, hints: StoredHints()) == sunday5 + 900)
        #expect(policy(jitter: 0.999_999).schedule(after: sunday5, interval: 1000, hints: StoredHints()) < sunday5 + 1100)
        // skipHours 5 and 6: a fetch planned at 05:30 moves to 07:00, spread over its first ten minutes.
        let hours = StoredHints(SchedulingHints(skipHours: [5, 6]))
        #expect(policy(jitter: 0).schedule(after: sunday5, interval: 1800, hints: hours) == sunday5 + 2 * 3600)
        #expect(policy(jitter: 0.5).schedule(after: sunday5, interval: 1800, hints: hours) == sunday5 + 2 * 3600 + 300)
        // skipDays Sunday: to Monday 00:00.
        let days = StoredHints(SchedulingHints(skipDays: ["sunday"]))
        #expect(days.skipDays == [0])
        #expect(policy(jitter: 0).schedule(after: sunday5, interval: 1800, hints: days) == sunday5 + 19 * 3600)
        // The jitter never leaves the bounds.
        var bounded = policy(jitter: 0)
        bounded.minInterval = .seconds(1800)
        #expect(bounded.schedule(after: sunday5, interval: 1800, hints: StoredHints()) == sunday5 + 1800)
        bounded = policy(jitter: 0.999_999)
        bounded.maxInterval = .seconds(1800)
        #expect(bounded.schedule(after: sunday5, interval: 1800, hints: StoredHints()) == sunday5 + 1800)
        #expect(policy(jitter: 0.999_999).backoff(errors: 20) == 86_400)
        // Every hour skipped: the hint is ignored.
        let all = StoredHints(SchedulingHints(skipHours: Set(0..<24)))
        #expect(policy().schedule(after: sunday5, interval: 1800, hints: all) == sunday5 + 1800)
    }

    @Test func aParsedFeedsHintsAreRememberedForThe304sAfterIt() {
        let p = policy()
        var state = p.succeeded(
            FetchState(), source: Self.source, validators: nil, bodyHash: "h", permanentTarget: nil, now: now,
            hints: SchedulingHints(ttlMinutes: 120))
        #expect(state.nextFetch == now + 7200)
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: nil, now: now + 7200)
        #expect(state.nextFetch == now + 14_400)
    }

    @Test func retryAfterWinsOverBackoff() {
        let later = now.addingTimeInterval(120)
        let state = policy().failed(
            FetchState(), source: Self.source, failure: FetchFailure(status: 429, message: "x", retryAfter: .date(later)),
            now: now)
        #expect(state.notBefore == later)
        #expect(state.notBeforeReason == "Retry-After from the server")
    }

    @Test func aRetryAfterIsHonouredUpToAWeekAndAnAbsurdOneNeverCrashes() {
        let p = policy()
        let state = p.failed(
            FetchState(), source: Self.source, failure: FetchFailure(status: 503, message: "x", retryAfter: .seconds(Int.max)),
            now: now)
        #expect(state.notBefore == now.addingTimeInterval(7 * 86_400))
        #expect(p.skipReason(for: Self.source, state: state, now: now)?.contains("1970-01-19T") == true)
        // Dates far outside the calendar print at its edge instead of trapping.
        #expect(CivilTime.rfc3339(Date(timeIntervalSince1970: 9.2e18)) == "9999-12-31T23:59:59Z")
        #expect(CivilTime.date(year: 999_999_999_999, month: 1, day: 1) == nil)
    }

    @Test func goneStaysGoneUntilTheConfigChanges() {
        let p = policy()
        let state = p.failed(FetchState(), source: Self.source, failure: FetchFailure(status: 410, message: "x"), now: now)
        #expect(p.skipReason(for: Self.source, state: state, now: now.addingTimeInterval(1e9))?.hasPrefix("gone") == true)
        let edited = SourceConfig(id: "s", url: URL(string: "https://elsewhere.example/feed")!)
        #expect(p.skipReason(for: edited, state: state, now: now) == nil)
    }

    @Test func aSourceMovesAfterThreePermanentRedirectsInARowAndNotBefore() {
        let p = policy()
        let target = URL(string: "https://new.example/feed")!
        var state = FetchState()
        for _ in 1...2 {
            state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: target, now: now)
            #expect(p.url(for: Self.source, state: state) == Self.source.url)
        }
        // A fetch without the redirect starts the count again.
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: nil, now: now)
        for _ in 1...2 {
            state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: target, now: now)
        }
        #expect(p.url(for: Self.source, state: state) == Self.source.url)
        var previous = state
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: target, now: now)
        #expect(p.url(for: Self.source, state: state) == target)
        // The move is the change from the state before it, once; a later fetch there moves nothing.
        #expect(FetchPolicy.move(of: Self.source, from: previous, to: state) == target)
        previous = state
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: nil, now: now)
        #expect(FetchPolicy.move(of: Self.source, from: previous, to: state) == nil)
        // The config changing its url forgets the move.
        let edited = SourceConfig(id: "s", url: URL(string: "https://third.example/feed")!)
        #expect(p.url(for: edited, state: state) == edited.url)
    }

    @Test func neverMovesFromHTTPSToHTTP() {
        let p = policy()
        var state = FetchState()
        for _ in 1...5 {
            state = p.succeeded(
                state, source: Self.source, validators: nil, bodyHash: nil,
                permanentTarget: URL(string: "http://old.example/feed"), now: now)
        }
        #expect(p.url(for: Self.source, state: state) == Self.source.url)
    }
}

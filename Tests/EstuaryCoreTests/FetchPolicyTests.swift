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

    @Test func jitterStaysWithinTenPercent() {
        #expect(policy(jitter: 0).backoff(errors: 1) == 3600 * 0.9)
        #expect(policy(jitter: 0.999_999).backoff(errors: 1) < 3600 * 1.1)
    }

    @Test func failuresPushTheNextAttemptAndASuccessResetsThem() {
        let p = policy()
        var state = FetchState()
        for expected in [3600.0, 7200, 14_400] {
            state = p.failed(state, source: Self.source, failure: FetchFailure(status: 500, message: "x"), now: now)
            #expect(state.notBefore == now.addingTimeInterval(expected))
            #expect(p.skipReason(for: Self.source, state: state, now: now)?.hasPrefix("not due") == true)
        }
        #expect(state.errorCount == 3)
        #expect(p.skipReason(for: Self.source, state: state, now: now.addingTimeInterval(14_401)) == nil)
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: nil)
        #expect(state.errorCount == 0)
        #expect(state.notBefore == nil)
    }

    @Test func retryAfterWinsOverBackoff() {
        let later = now.addingTimeInterval(120)
        let state = policy().failed(
            FetchState(), source: Self.source, failure: FetchFailure(status: 429, message: "x", retryAfter: later), now: now)
        #expect(state.notBefore == later)
        #expect(state.notBeforeReason == "Retry-After from the server")
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
            state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: target)
            #expect(p.url(for: Self.source, state: state) == Self.source.url)
        }
        // A fetch without the redirect starts the count again.
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: nil)
        for _ in 1...2 {
            state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: target)
        }
        #expect(p.url(for: Self.source, state: state) == Self.source.url)
        state = p.succeeded(state, source: Self.source, validators: nil, bodyHash: nil, permanentTarget: target)
        #expect(p.url(for: Self.source, state: state) == target)
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
                permanentTarget: URL(string: "http://old.example/feed"))
        }
        #expect(p.url(for: Self.source, state: state) == Self.source.url)
    }
}

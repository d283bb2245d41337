import EstuaryCore
import EstuaryMetrics
import Foundation
import Testing

/// The samples of a rendering, by series as written (`name{labels}`).
func samples(_ text: String) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            Issue.record("not a sample line: \(line)")
            continue
        }
        result[String(line[..<space])] = value
    }
    return result
}

func report(_ outcome: SourceReport.Outcome, ms: Int, updated: Int? = nil) -> SourceReport {
    var report = SourceReport(sourceID: "s", outcome: outcome, elapsed: .milliseconds(ms))
    if let updated { report.stored = StoreOutcome(items: 10, new: 0, updated: updated) }
    return report
}

@Suite struct MetricsTests {
    @Test func everySeriesExistsAtZeroBeforeAnythingHappens() {
        let rendered = samples(Metrics().render())
        #expect(rendered[#"estuary_fetches_total{result="stored"}"#] == 0)
        #expect(rendered[#"estuary_fetches_total{result="unchanged"}"#] == 0)
        #expect(rendered[#"estuary_fetches_total{result="skipped"}"#] == 0)
        for stage in Metrics.failureStages + ["other"] {
            #expect(rendered[#"estuary_fetches_total{result="failed",stage="\#(stage)"}"#] == 0)
        }
        #expect(rendered["estuary_items_new_total"] == 0)
        #expect(rendered["estuary_items_updated_total"] == 0)
        #expect(rendered[#"estuary_fetch_duration_seconds_bucket{le="+Inf"}"#] == 0)
        #expect(rendered["estuary_sources"] == 0)
        #expect(rendered["estuary_sources_failing"] == 0)
        #expect(rendered["estuary_sources_gone"] == 0)
        #expect(rendered["estuary_scheduler_lag_seconds"] == 0)
        #expect(rendered["estuary_last_cycle_timestamp_seconds"] == 0)
        #expect(rendered[#"estuary_build_info{version="\#(Estuary.version)"}"#] == 1)
        // 3 results + 10 failure stages, 11 buckets + Inf + sum + count, 2 item counters, 6 gauges.
        #expect(rendered.count == 13 + 14 + 2 + 6)
    }

    @Test func countsFetchesByResultAndFailuresByStage() {
        let metrics = Metrics()
        metrics.observe(report(.stored(status: 200, items: 25, new: 3), ms: 80, updated: 2))
        metrics.observe(report(.stored(status: 200, items: 5, new: 5), ms: 80))
        metrics.observe(report(.unchanged(status: 304, reason: "not modified"), ms: 20))
        metrics.observe(report(.skipped(reason: "not due"), ms: 0))
        metrics.observe(report(.failed(stage: "dns", status: nil, message: "no such host", next: FetchState()), ms: 10))
        metrics.observe(report(.failed(stage: "dns", status: nil, message: "no such host", next: FetchState()), ms: 10))
        metrics.observe(report(.failed(stage: "parse", status: 200, message: "not XML", next: FetchState()), ms: 10))
        metrics.observe(report(.failed(stage: "martian", status: nil, message: "?", next: FetchState()), ms: 10))
        let rendered = samples(metrics.render())
        #expect(rendered[#"estuary_fetches_total{result="stored"}"#] == 2)
        #expect(rendered[#"estuary_fetches_total{result="unchanged"}"#] == 1)
        #expect(rendered[#"estuary_fetches_total{result="skipped"}"#] == 1)
        #expect(rendered[#"estuary_fetches_total{result="failed",stage="dns"}"#] == 2)
        #expect(rendered[#"estuary_fetches_total{result="failed",stage="parse"}"#] == 1)
        #expect(rendered[#"estuary_fetches_total{result="failed",stage="other"}"#] == 1)
        #expect(rendered[#"estuary_fetches_total{result="failed",stage="http"}"#] == 0)
        #expect(!rendered.keys.contains { $0.contains("martian") })
        #expect(rendered["estuary_items_new_total"] == 8)
        #expect(rendered["estuary_items_updated_total"] == 2)
    }

    @Test func theHistogramHoldsFetchedSourcesOnlyInCumulativeBuckets() throws {
        let metrics = Metrics()
        metrics.observe(report(.unchanged(status: 304, reason: "not modified"), ms: 30))
        metrics.observe(report(.stored(status: 200, items: 1, new: 1), ms: 700))
        metrics.observe(report(.failed(stage: "connect", status: nil, message: "timeout", next: FetchState()), ms: 75_000))
        metrics.observe(report(.skipped(reason: "gone"), ms: 5))
        let rendered = samples(metrics.render())
        func bucket(_ le: String) -> Double? { rendered[#"estuary_fetch_duration_seconds_bucket{le="\#(le)"}"#] }
        #expect(bucket("0.05") == 1)
        #expect(bucket("0.5") == 1)
        #expect(bucket("1.0") == 2)
        #expect(bucket("60.0") == 2)
        #expect(bucket("+Inf") == 3)
        #expect(rendered["estuary_fetch_duration_seconds_count"] == 3)
        let sum = try #require(rendered["estuary_fetch_duration_seconds_sum"])
        #expect(abs(sum - 75.73) < 1e-9)
        // Buckets appear in increasing order of their bounds.
        let bounds = metrics.render().split(separator: "\n").filter { $0.hasPrefix("estuary_fetch_duration_seconds_bucket") }
            .map { line in line.split(separator: "\"")[1] }
        #expect(bounds == Metrics.durationBuckets.map { "\($0)" } + ["+Inf"])
    }

    @Test func setsTheGauges() {
        let metrics = Metrics()
        metrics.setSources(total: 412, failing: 3, gone: 1)
        metrics.setSchedulerLag(12.5)
        metrics.markCycle(at: Date(timeIntervalSince1970: 1_700_000_000))
        var rendered = samples(metrics.render())
        #expect(rendered["estuary_sources"] == 412)
        #expect(rendered["estuary_sources_failing"] == 3)
        #expect(rendered["estuary_sources_gone"] == 1)
        #expect(rendered["estuary_scheduler_lag_seconds"] == 12.5)
        #expect(rendered["estuary_last_cycle_timestamp_seconds"] == 1_700_000_000)
        metrics.setSchedulerLag(-0.2)  // A source started early is not late.
        rendered = samples(metrics.render())
        #expect(rendered["estuary_scheduler_lag_seconds"] == 0)
    }

    @Test func countsFailingAndGoneSourcesFromTheirFetchStates() {
        let sources = ["ok", "failing", "gone", "moved-after-gone", "new"].map {
            SourceConfig(id: $0, url: URL(string: "https://\($0).example/feed")!)
        }
        var failing = FetchState()
        failing.errorCount = 2
        var gone = FetchState()
        gone.errorCount = 1
        gone.goneURL = "https://gone.example/feed"
        // The config's url changed since the 410: the source is fetched again, and its last attempt failed.
        var moved = gone
        moved.goneURL = "https://old.example/feed"
        let metrics = Metrics()
        metrics.setSources(
            sources,
            states: ["ok": FetchState(), "failing": failing, "gone": gone, "moved-after-gone": moved, "elsewhere": failing])
        let rendered = samples(metrics.render())
        #expect(rendered["estuary_sources"] == 5)
        #expect(rendered["estuary_sources_failing"] == 2)
        #expect(rendered["estuary_sources_gone"] == 1)
    }

    @Test func theTextFollowsTheExpositionFormat() throws {
        let metrics = Metrics()
        metrics.observe(report(.stored(status: 200, items: 25, new: 3), ms: 80, updated: 1))
        metrics.observe(report(.failed(stage: "tls", status: nil, message: "bad certificate", next: FetchState()), ms: 10))
        metrics.setSources(total: 2, failing: 1, gone: 0)
        let text = metrics.render()
        #expect(text.hasSuffix("\n"))
        let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
        let label = #"[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*""#
        let value = #"(?:[-+]?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?|\+Inf|-Inf|NaN)"#
        let sample = try Regex("^(\(name))(?:\\{\(label)(?:,\(label))*\\})? \(value)$")
        let help = try Regex(#"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$"#)
        let type = try Regex(#"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$"#)
        var helped: Set<String> = []
        var typed: [String: String] = [:]
        var seen: [String] = []
        for line in text.split(separator: "\n").map(String.init) {
            if let match = line.wholeMatch(of: help) {
                helped.insert(String(match.output[1].substring!))
            } else if let match = line.wholeMatch(of: type) {
                let family = String(match.output[1].substring!)
                #expect(typed[family] == nil, "one TYPE line per family: \(family)")
                #expect(helped.contains(family), "HELP before TYPE: \(family)")
                typed[family] = String(match.output[2].substring!)
            } else if let match = line.wholeMatch(of: sample) {
                let series = String(match.output[1].substring!)
                var family = series
                for suffix in ["_bucket", "_sum", "_count"] where series.hasSuffix(suffix) {
                    let base = String(series.dropLast(suffix.count))
                    if typed[base] == "histogram" { family = base }
                }
                #expect(typed[family] != nil, "TYPE line before the samples of \(family)")
                if family == "estuary_fetches_total" || family.hasSuffix("_total") { #expect(typed[family] == "counter") }
                if seen.last != family {
                    #expect(!seen.contains(family), "the samples of \(family) are together")
                    seen.append(family)
                }
            } else {
                Issue.record("not a line of the text format: \(line)")
            }
        }
        #expect(Set(seen) == Set(typed.keys))
        #expect(seen == seen.sorted(), "families in order of their names")
        #expect(metrics.render() == text, "the same values render the same text")
    }
}

import EstuaryCore
import Foundation
import Prometheus

/// Estuary's Prometheus metrics: what the cycles did, and the state of the sources (docs/metrics.md).
///
/// Owns its own registry rather than swift-metrics' global `MetricsSystem`, so two instances
/// (tests, a reload) never share counters. Thread-safe: the cycle observes sources from its
/// tasks while the listener renders on its own thread.
public final class Metrics: Sendable {
    /// The stages a failed source can report (``SourceReport/Outcome/failed(stage:status:message:next:)``).
    /// Any other stage is counted as `other`, so the number of series stays fixed.
    public static let failureStages = ["dns", "connect", "tls", "http", "body", "read", "guard", "parse", "store"]
    /// Upper bounds of the fetch duration histogram, in seconds: from a fast 304 to the 60 s default timeout.
    public static let durationBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60]

    private let registry = PrometheusCollectorRegistry()
    private let stored: Counter
    private let unchanged: Counter
    private let skipped: Counter
    /// By stage, `other` included.
    private let failed: [String: Counter]
    private let itemsNew: Counter
    private let itemsUpdated: Counter
    private let fetchDuration: ValueHistogram
    private let sources: Gauge
    private let sourcesFailing: Gauge
    private let sourcesGone: Gauge
    private let schedulerLag: Gauge
    private let lastCycle: Gauge

    public init() {
        func name(_ metric: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "estuary", metricName: metric, unitName: unit, helpText: help)
        }
        // Every series exists from the start, at 0: rate() and absent() need no special cases.
        let fetches = name(
            "fetches", unit: "total",
            "Sources handled, by result: stored (new content stored), unchanged (304 or the same body), "
                + "skipped (not due, or gone), failed (with the stage that failed).")
        stored = registry.makeCounter(descriptor: fetches, labels: [("result", "stored")])
        unchanged = registry.makeCounter(descriptor: fetches, labels: [("result", "unchanged")])
        skipped = registry.makeCounter(descriptor: fetches, labels: [("result", "skipped")])
        var failed: [String: Counter] = [:]
        for stage in Self.failureStages + ["other"] {
            failed[stage] = registry.makeCounter(descriptor: fetches, labels: [("result", "failed"), ("stage", stage)])
        }
        self.failed = failed
        itemsNew = registry.makeCounter(
            descriptor: name("items_new", unit: "total", "Items stored for the first time (cross-source duplicates included)."))
        itemsUpdated = registry.makeCounter(
            descriptor: name("items_updated", unit: "total", "Stored items whose title or body changed, updated in place."))
        fetchDuration = registry.makeValueHistogram(
            descriptor: name(
                "fetch_duration", unit: "seconds",
                "Time from the start of a source's fetch to its result, parsing and storing included; skipped sources excluded."),
            buckets: Self.durationBuckets)
        sources = registry.makeGauge(descriptor: name("sources", "Sources in the config."))
        sourcesFailing = registry.makeGauge(
            descriptor: name("sources_failing", "Sources whose last attempt failed (gone sources not included)."))
        sourcesGone = registry.makeGauge(
            descriptor: name(
                "sources_gone", "Sources that answered 410 Gone and are no longer fetched: remove them from the config."))
        schedulerLag = registry.makeGauge(
            descriptor: name(
                "scheduler_lag", unit: "seconds",
                "How late the scheduler started the most overdue source that was due, at its last start."))
        lastCycle = registry.makeGauge(
            descriptor: name(
                "last_cycle_timestamp", unit: "seconds",
                "When the scheduler last finished a batch or went back to sleep (run; at least once a minute) "
                    + "or the run ended (once), in seconds since the Unix epoch."))
        registry.makeGauge(
            descriptor: name("build", unit: "info", "Always 1; the version label names the running build."),
            labels: [("version", Estuary.version)]
        ).set(to: 1)
    }

    /// Counts one source's result; its time goes into the histogram unless it was skipped.
    public func observe(_ report: SourceReport) {
        switch report.outcome {
        case .stored(_, _, let new):
            stored.increment()
            itemsNew.increment(by: Int64(new))
            itemsUpdated.increment(by: Int64(report.stored?.updated ?? 0))
        case .unchanged:
            unchanged.increment()
        case .skipped:
            skipped.increment()
            return
        case .failed(let stage, _, _, _):
            (failed[stage] ?? failed["other"])?.increment()
        }
        let parts = report.elapsed.components
        fetchDuration.record(Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }

    /// Sets the source gauges.
    public func setSources(total: Int, failing: Int, gone: Int) {
        sources.set(to: Double(total))
        sourcesFailing.set(to: Double(failing))
        sourcesGone.set(to: Double(gone))
    }

    /// Sets the source gauges from the config's sources and their fetch states (``ArticleStore/fetchStates(of:)``):
    /// failing when the last attempt failed, gone when the source's url answered 410 Gone.
    public func setSources(_ configured: [SourceConfig], states: [String: FetchState]) {
        let (failing, gone) = FetchState.health(of: configured, states: states)
        setSources(total: configured.count, failing: failing, gone: gone)
    }

    /// How late, in seconds, the scheduler started the most overdue due source (0 when on time).
    public func setSchedulerLag(_ seconds: Double) {
        schedulerLag.set(to: max(0, seconds))
    }

    /// Records when a cycle finished.
    public func markCycle(at time: Date) {
        lastCycle.set(to: time.timeIntervalSince1970)
    }

    /// Every metric in the Prometheus text exposition format 0.0.4, families sorted by name.
    public func render() -> String {
        Self.sortedFamilies(registry.emitToString())
    }

    /// ``render()``, with each counter and histogram sample raised by its value in `previous`
    /// (an earlier rendering, e.g. the textfile this one replaces): `estuary once` runs then add
    /// up as one process's counters would, so `rate()` and `increase()` work on a timer's textfile.
    /// Gauges are this run's. A series `previous` lacks (or a `previous` that is not a rendering)
    /// adds nothing: the counters restart, which Prometheus reads as a reset.
    public func render(addingCountsFrom previous: String) -> String {
        let before = Self.cumulativeSamples(previous)
        guard !before.isEmpty else { return render() }
        let current = render()
        let now = Self.cumulativeSamples(current)
        // A histogram continues only when its buckets are the same (another version's bounds
        // would leave the counts out of order): otherwise it starts again.
        var restarted: Set<Substring> = []
        for family in Set(now.keys.map(\.family)) where Self.bucketSeries(now, family) != Self.bucketSeries(before, family) {
            restarted.insert(family)
        }
        var lines: [String] = []
        var cumulative = false
        var family: Substring = ""
        for line in current.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                cumulative = line.hasSuffix(" counter") || line.hasSuffix(" histogram")
                family = line.split(separator: " ")[2]
            }
            guard cumulative, !restarted.contains(family), !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...]), let earlier = before[Series(family, line[..<space])]
            else {
                lines.append(String(line))
                continue
            }
            lines.append("\(line[..<space]) \(Self.format(value + earlier))")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// A sample's series (name and labels) in its family.
    private struct Series: Hashable {
        var family: Substring
        var key: Substring
        init(_ family: Substring, _ key: Substring) {
            self.family = family
            self.key = key
        }
    }

    /// The counter and histogram samples of a rendering, by series.
    private static func cumulativeSamples(_ text: String) -> [Series: Double] {
        var samples: [Series: Double] = [:]
        var cumulative = false
        var family: Substring = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                cumulative = line.hasSuffix(" counter") || line.hasSuffix(" histogram")
                family = line.split(separator: " ").dropFirst(2).first ?? ""
            }
            guard cumulative, !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...]), value.isFinite, value >= 0
            else { continue }
            samples[Series(family, line[..<space])] = value
        }
        return samples
    }

    /// The bucket series of `family` in `samples` (empty for a counter).
    private static func bucketSeries(_ samples: [Series: Double], _ family: Substring) -> Set<Substring> {
        Set(samples.keys.filter { $0.family == family && $0.key.contains("_bucket{") }.map(\.key))
    }

    /// A sample value as the registry writes them: whole numbers without a fraction.
    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// The registry emits families in hash order; sorting them (and the series of counters and
    /// gauges) makes the text stable, so a textfile only changes when a value does.
    static func sortedFamilies(_ text: String) -> String {
        var families: [(name: String, header: [Substring], samples: [Substring], histogram: Bool)] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || families.isEmpty {
                let name = line.split(separator: " ", maxSplits: 3).dropFirst(2).first.map(String.init) ?? ""
                families.append((name, [], [], false))
            }
            if line.hasPrefix("#") {
                families[families.count - 1].header.append(line)
                if line.hasPrefix("# TYPE "), line.hasSuffix(" histogram") { families[families.count - 1].histogram = true }
            } else {
                families[families.count - 1].samples.append(line)
            }
        }
        // A histogram's buckets must stay in order of their bounds: the registry writes them so.
        let lines = families.sorted { $0.name < $1.name }.flatMap {
            $0.header + ($0.histogram ? $0.samples : $0.samples.sorted())
        }
        return lines.map { $0 + "\n" }.joined()
    }
}

import Foundation
import Logging

/// Decides when each source is fetched, and when the outputs are written.
///
/// Every source has a due time in the state (``FetchState/dueTime``): its interval after a
/// success, following the feed's and the server's hints within the bounds, with jitter; its
/// backoff or Retry-After after a failure. `estuary once` runs ``once(force:)``: the due
/// sources, then the outputs. `estuary run` runs ``run(until:)``: the same batch whenever
/// sources are due, the outputs once after a burst of changes. The daemon's batches overlap: a
/// slow server holds its own source, never the sources that fall due while it answers. Time
/// comes from an injected ``SchedulerClock``.
public final class Scheduler: @unchecked Sendable {
    /// What the daemon reports to systemd and the metrics.
    public struct Status: Sendable, Equatable {
        public var sources: Int
        public var failing: Int
        public var gone: Int
        /// When the next source is due (nil: none is scheduled).
        public var nextDue: Date?
        /// How late the last batch started, after its most overdue source's due time.
        public var lag: TimeInterval
        /// The clock's time when the status was taken.
        public var now: Date

        /// `42 sources, 3 failing, next fetch in 12 s`.
        public var description: String {
            var text = "\(sources) sources, \(failing) failing"
            if gone > 0 { text += ", \(gone) gone" }
            if let nextDue {
                let seconds = max(0, Int(nextDue.timeIntervalSince(now).rounded(.up)))
                text += ", next fetch in " + (seconds < 120 ? "\(seconds) s" : DurationText.format(.seconds(seconds)))
            }
            return text
        }
    }

    private let lock = NSLock()
    private var configuration: Config
    private var cycle: Cycle
    private let clock: any SchedulerClock
    private let logger: Logger
    private let wakeup = Wakeup()
    private var stopping = false
    /// The batches under way, by number: each one's task and its fetcher (a reload may have
    /// replaced the cycle since it began).
    private var running: [Int: (task: Task<[SourceReport], Never>, fetcher: any FeedFetching)] = [:]
    private var batchNumber = 0
    /// The daemon's batches under way, bookkeeping and all, by number; the sources they fetch (a
    /// source is in one batch at a time); when the last one started.
    private var background: [Int: Task<Void, Never>] = [:]
    private var inFlight: Set<String> = []
    private var lastBatchStart: Date?
    /// Sources a reload changed and not fetched since, with the reload's generation: a batch begun
    /// before it fetched the old version.
    private var changedByReload: [String: Int] = [:]
    /// Due times that replace the state's: a cold start's spread, sources changed by a reload.
    private var overrides: [String: Date] = [:]
    /// No source is fetched again before its last attempt plus `min_interval`, whatever the state
    /// says: a state that cannot be written (a full disk) must not turn into a loop of fetches.
    private var earliest: [String: Date] = [:]
    private var outputsPendingSince: Date?
    /// When the loop last compared the outputs' stamps with the state (they cost a read).
    private var lastStampCheck: Date?
    /// Output writes that failed in a row, and when the next may be tried.
    private var outputFailures = 0
    private var outputRetryAt: Date?
    /// The daemon's copy of every source's fetch state: read whole at the start and on a reload,
    /// then only for the sources of each batch, so a wake costs the batch, not the whole state.
    private var known: [String: FetchState]?
    /// Counts reloads: a read of the state begun before one is not kept after it.
    private var generation = 0
    /// The daemon's schedule: every source not under way, by due time. Made from `known` whole
    /// when stale (at the start, after a reload or a failed read), then kept batch by batch, so
    /// that a wake costs what is due, not every source; `scheduledConfig` is the config it was
    /// made from (a batch begun before a reload ends with the old one), `sourceIndex` finds a
    /// source in it.
    private var schedule = DueSchedule()
    private var scheduleStale = true
    private var scheduledConfig: Config?
    private var sourceIndex: [String: Int] = [:]
    /// How many sources `known` says are failing and gone, kept with it (the daemon's status).
    private var failing = 0
    private var gone = 0
    /// When the loop last reported its status (the scheduler's time).
    private var lastStatus: Date?
    private var lastLag: TimeInterval = 0

    /// Hears about each source as soon as it is done (logging, metrics).
    public var onSource: @Sendable (SourceReport) -> Void = { _ in }
    /// Hears how many sources a batch fetches, as it starts.
    public var onBatch: @Sendable (Int) -> Void = { _ in }
    /// Hears the status whenever the loop goes to sleep.
    public var onStatus: @Sendable (Status) -> Void = { _ in }
    /// Hears, about once a second, that the loop is alive while it waits for the next due time
    /// (the daemon feeds systemd's watchdog from it, and from `onSource` while a batch runs).
    public var onIdle: @Sendable () -> Void = {}
    /// Hears about each round of outputs written.
    public var onOutputs: @Sendable ([OutputReport]) -> Void = { _ in }

    public init(config: Config, cycle: Cycle, clock: any SchedulerClock = WallClock(), logger: Logger) {
        self.configuration = config
        self.cycle = cycle
        self.clock = clock
        self.logger = logger
    }

    private var current: (Config, Cycle) { lock.withLock { (configuration, cycle) } }

    /// The config in use, its cycle and the reloads counted, read together: what is made from the
    /// config is kept only while no reload has come since.
    private var currentGeneration: (Config, Cycle, Int) { lock.withLock { (configuration, cycle, generation) } }

    /// The config in use (the latest reloaded).
    public var config: Config { lock.withLock { configuration } }

    // MARK: - One pass (`estuary once`)

    /// Fetches the sources that are due (with `force`, every one that is not gone nor under a
    /// Retry-After), then writes the outputs.
    public func once(force: Bool = false) async -> CycleReport {
        let (config, cycle) = current
        cycle.timings.reset()
        let started = ContinuousClock.now
        let states: [String: FetchState]
        do {
            states = try cycle.fetchStates(config)
        } catch {
            var report = CycleReport(sources: [], outputs: [])
            report.stateError = "the state database could not be read: \(error); nothing was fetched"
            return report
        }
        let (due, skipped) = cycle.plan(config: config, states: states, at: clock.now(), force: force)
        let fetched = await fetch(due, config: config, cycle: cycle, states: states, generation: lock.withLock { generation })
        let outputs = cycle.writeOutputs(
            config: config, changed: fetched.contains { $0.changesOutputs(from: states[$0.sourceID]) })
        let order = Dictionary(uniqueKeysWithValues: config.sources.enumerated().map { ($1.id, $0) })
        var report = CycleReport(
            sources: (skipped + fetched).sorted { order[$0.sourceID, default: 0] < order[$1.sourceID, default: 0] },
            outputs: outputs)
        report.timings = cycle.timings.snapshot(total: ContinuousClock.now - started)
        return report
    }

    /// The batch both modes run: fetch, parse and store `sources`, as one cancellable task.
    /// `startGeneration`: the reloads counted when `sources` were planned (a reload since changed
    /// what this batch fetches).
    private func fetch(
        _ sources: [SourceConfig], config: Config, cycle: Cycle, states: [String: FetchState], generation startGeneration: Int
    ) async -> [SourceReport] {
        guard !sources.isEmpty, !isStopping else { return [] }
        onBatch(sources.count)
        // When each source was done: its min_interval floor counts from then, not from the end of a
        // batch a slow server stretched.
        let finished = Finished()
        let task = Task { [onSource, clock] in
            await cycle.fetch(sources, config: config, states: states) { report in
                finished.record(report.sourceID, at: clock.now())
                onSource(report)
            }
        }
        let (cancelled, number) = lock.withLock { () -> (Bool, Int) in
            batchNumber += 1
            running[batchNumber] = (task, cycle.fetcher)
            return (stopping && cancelNow, batchNumber)
        }
        if cancelled { task.cancel() }
        let reports = await task.value
        let end = clock.now()
        let finishedAt = finished.times
        // The daemon's copy of the state is brought up to date for this batch's sources (`once` keeps none);
        // when that read fails, or a reload came in between, the whole state is read again next time.
        let fetched = Set(reports.map(\.sourceID))
        let (keeping, generation) = lock.withLock { (known != nil, self.generation) }
        let fresh = keeping ? try? cycle.fetchStates(config, sources: sources.filter { fetched.contains($0.id) }) : nil
        lock.withLock {
            running[number] = nil
            for report in reports {
                // An override set by a reload during the batch (a changed source: due at once) stays.
                // A source a reload changed while this batch fetched its old version keeps its
                // "due now" and gets no floor; every other source fetched now is on its schedule.
                if let changed = changedByReload[report.sourceID], changed > startGeneration { continue }
                changedByReload[report.sourceID] = nil
                overrides[report.sourceID] = nil
                earliest[report.sourceID] = (finishedAt[report.sourceID] ?? end).addingTimeInterval(config.minInterval.seconds)
            }
            if let fresh, generation == self.generation, let scheduledConfig {
                let policy = FetchPolicy(config: scheduledConfig)
                let now = clock.now()
                // Counted and scheduled as the schedule's config has them: a source a reload removed
                // during the batch is neither, one it changed is judged by its new url.
                for id in sources.map(\.id) {
                    guard let index = sourceIndex[id] else { continue }
                    let source = scheduledConfig.sources[index]
                    if fetched.contains(id) {
                        tally(source, known?[id], -1)
                        known?[id] = fresh[id]
                        tally(source, known?[id], 1)
                    }
                    // Back in the schedule, fetched or not (a fetch cancelled by a stop stays due).
                    schedule.set(source.id, at: dueLocked(source, policy: policy, now: now))
                }
            } else {
                known = nil
                scheduleStale = true
            }
            inFlight.subtract(sources.map(\.id))
        }
        return reports
    }

    /// Counts `state` of `source` in or out (`sign`) of the failing and gone tallies. Under `lock`.
    private func tally(_ source: SourceConfig, _ state: FetchState?, _ sign: Int) {
        guard let state else { return }
        if state.isGone(source) {
            gone += sign
        } else if state.errorCount > 0 {
            failing += sign
        }
    }

    /// `known`'s state of a source, with its override and its `min_interval` floor applied (a
    /// Retry-After still wins). Under `lock`.
    private func effectiveLocked(_ id: String) -> FetchState {
        var state = known?[id] ?? FetchState()
        if let time = overrides[id] { state.nextFetch = time }
        if let floor = earliest[id], (state.dueTime ?? .distantPast) < floor { state.nextFetch = floor }
        return state
    }

    /// When the daemon fetches `source`: nil when it is gone (never), the distant past when it was
    /// never scheduled (at once). Under `lock`.
    private func dueLocked(_ source: SourceConfig, policy: FetchPolicy, now: Date) -> Date? {
        let state = effectiveLocked(source.id)
        return state.isGone(source) ? nil : policy.dueTime(of: state, now: now) ?? .distantPast
    }

    // MARK: - The daemon loop (`estuary run`)

    /// Fetches sources as they fall due until ``stop()`` (or until the clock reaches `end`, for tests).
    /// Outputs are written `output_delay` after the first change of a burst, and once more on the way out.
    public func run(until end: Date? = nil) async {
        spreadFirstFetches(at: clock.now())
        do {
            // Outputs missing (a first start, a new [[output]]) are written at once, from what is stored.
            let (config, cycle) = current
            report(outputs: cycle.writeOutputs(config: config, changed: false).filter { !$0.unchanged })
        }
        await withTaskCancellationHandler {
            await loop(until: end)
            // The batches under way finish (or, stopping, are cancelled after stop_timeout).
            // (Each takes itself out as it ends.)
            while let task = lock.withLock({ background.values.first }) { await task.value }
        } onCancel: {
            // A cancelled task must not spin: cancellation is a stop.
            stop()
        }
        let (config, cycle) = current
        if lock.withLock({ outputsPendingSince }) != nil { writeOutputs(config: config, cycle: cycle) }
    }

    private func loop(until end: Date?) async {
        while !isStopping {
            let now = clock.now()
            if let end, now >= end { break }
            let (config, cycle, generation) = currentGeneration
            // Outputs due are written first: sources falling due all the time must not hold them back.
            let pending = lock.withLock { outputsPendingSince }
            if let due = outputsDue(pendingSince: pending, config: config), now >= due {
                writeOutputs(config: config, cycle: cycle)
                continue
            }
            guard (try? prepareSchedule(config: config, cycle: cycle, generation: generation)) != nil else {
                // Never fetch without the state (it would forget validators, Retry-After, gone marks): retry soon.
                await pause(until: now.addingTimeInterval(30))
                continue
            }
            // A batch starts a moment after the last (what falls due meanwhile goes with it: a daemon
            // of many sources has some due every few milliseconds), and only so many run at once. A
            // last start ahead of now is from a clock since set back: it holds nothing back.
            let (underWay, nextStart, busy) = lock.withLock {
                (
                    background.count, lastBatchStart.flatMap { $0 > now ? nil : $0.addingTimeInterval(Self.batchGap) },
                    !inFlight.isEmpty
                )
            }
            let mayStart = underWay < Self.maxBatches && nextStart.map { now >= $0 } ?? true
            if mayStart, let (sources, states, generation) = takeDue(at: now), !sources.isEmpty {
                let (due, skipped) = cycle.plan(config: config, sources: sources, states: states, at: now, force: false)
                if !skipped.isEmpty { reschedule(skipped.map(\.sourceID), at: now) }
                if !due.isEmpty {
                    let overdue = due.compactMap { states[$0.id]?.dueTime }.min() ?? now
                    lock.withLock { lastLag = max(0, now.timeIntervalSince(overdue)) }
                    startBatch(due, config: config, cycle: cycle, states: states, generation: generation, at: now)
                }
                continue
            }
            // Before sleeping, now and then: an output whose stamp is not current (a write that failed,
            // a max_age period over, items removed by retention) is due like any change, after
            // output_delay; a write that keeps failing is retried less and less often.
            var pendingNow = pending
            // (Apart on the clock either way: one set back must not put off the next check.)
            let stampGap = max(config.outputDelay.seconds, 10)
            if pending == nil, lock.withLock({ lastStampCheck.map { abs(now.timeIntervalSince($0)) >= stampGap } ?? true }) {
                lock.withLock { lastStampCheck = now }
                if cycle.outputsOutOfDate(config: config) {
                    pendingNow = lock.withLock {
                        outputsPendingSince = outputsPendingSince ?? now
                        return outputsPendingSince
                    }
                }
            }
            let nextDue = lock.withLock { schedule.earliest() }
            var wake = nextDue ?? now.addingTimeInterval(config.maxInterval.seconds)
            if let nextDue, nextDue <= now {
                // Due, held back by the gap or by the batches under way (the end of one wakes the loop).
                wake = underWay < Self.maxBatches ? nextStart ?? now : now.addingTimeInterval(Self.replanInterval)
            }
            if let due = outputsDue(pendingSince: pendingNow, config: config) { wake = min(wake, due) }
            if let end { wake = min(wake, end) }
            wake = min(wake, now.addingTimeInterval(Self.replanInterval))
            // At most once a second (a daemon of many sources may wake many times a second); one held
            // back is reported a second after the last.
            let reported = lock.withLock { () -> Date? in
                guard let last = lastStatus, abs(now.timeIntervalSince(last)) < 1 else {
                    lastStatus = now
                    return nil
                }
                return last
            }
            if let reported {
                wake = min(wake, reported.addingTimeInterval(1))
            } else {
                onStatus(status(config: config, nextDue: nextDue, now: now))
            }
            await pause(until: wake, busy: busy)
        }
    }

    /// Batches of the daemon under way at once, at most: each holds its bodies until they are
    /// stored (``FetchSettings/maxUnreadBytes`` and ``Cycle/processingWidth`` apply to each).
    static let maxBatches = 4
    /// A batch starts this long after the last at the earliest (seconds).
    public static let batchGap: TimeInterval = 1

    /// Starts a batch of the daemon's without waiting for it: when it ends, its sources are back
    /// in the schedule (``fetch(_:config:cycle:states:generation:)``), outputs are pending if it
    /// changed something, and the loop is woken.
    private func startBatch(
        _ sources: [SourceConfig], config: Config, cycle: Cycle, states: [String: FetchState], generation: Int, at now: Date
    ) {
        lock.withLock {
            inFlight.formUnion(sources.map(\.id))
            lastBatchStart = now
            batchNumber += 1
            let number = batchNumber
            // Its first lock waits for this one's end: the task is registered before it can unregister.
            background[number] = Task {
                let reports = await fetch(sources, config: config, cycle: cycle, states: states, generation: generation)
                let changed = reports.contains { $0.changesOutputs(from: states[$0.sourceID]) }
                let now = clock.now()
                lock.withLock {
                    if changed { outputsPendingSince = outputsPendingSince ?? now }
                    background[number] = nil
                }
                wakeup.signal()
            }
        }
    }

    /// Ends ``run(until:)``: no new fetches; fetches under way get `stop_timeout` (real time) to
    /// finish, then are cancelled. Pending outputs are written before `run` returns.
    public func stop() {
        let (timeout, fetchers) = lock.withLock { () -> (Duration, [any FeedFetching]) in
            stopping = true
            return (configuration.stopTimeout, [cycle.fetcher] + running.values.map(\.fetcher))
        }
        // No new fetch starts; those under way get stop_timeout.
        for fetcher in fetchers { fetcher.stopStarting() }
        wakeup.signal()
        Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.cancelBatch()
        }
    }

    private var cancelNow = false

    private func cancelBatch() {
        let tasks = lock.withLock { () -> [Task<[SourceReport], Never>] in
            cancelNow = true
            return running.values.map(\.task)
        }
        if !tasks.isEmpty {
            logger.warning("fetches still under way after stop_timeout are cancelled; their sources stay due")
            for task in tasks { task.cancel() }
        }
    }

    public var isStopping: Bool { lock.withLock { stopping } }

    /// Applies a new config: new sources are spread over the cold-start window, removed ones are
    /// no longer fetched, changed ones are due at once; outputs are rewritten after `output_delay`.
    public func reload(config newConfig: Config, cycle newCycle: Cycle) {
        let now = clock.now()
        lock.withLock {
            let old = Dictionary(uniqueKeysWithValues: configuration.sources.map { ($0.id, $0) })
            configuration = newConfig
            cycle = newCycle
            let ids = Set(newConfig.sources.map(\.id))
            overrides = overrides.filter { ids.contains($0.key) }
            for source in newConfig.sources where old[source.id] != nil && old[source.id] != source {
                // Changed by the operator (a fixed url, say): fetched now, min_interval's floor lifted.
                overrides[source.id] = now
                earliest[source.id] = nil
                changedByReload[source.id] = generation + 1
            }
            changedByReload = changedByReload.filter { ids.contains($0.key) }
            outputsPendingSince = outputsPendingSince ?? now
            // The new config may have fixed what made writes fail: no backoff for it.
            outputFailures = 0
            outputRetryAt = nil
            known = nil
            scheduleStale = true
            generation += 1
        }
        spreadFirstFetches(at: now)
        wakeup.signal()
    }

    /// Sources never fetched, and not yet spread, get first fetches spread evenly over
    /// `cold_start_spread` (one interval by default), in config order, from `time`.
    private func spreadFirstFetches(at time: Date) {
        let (config, cycle, generation) = currentGeneration
        // Unreadable: no spread now; the loop reads again before it fetches anything.
        guard let states = try? knownStates(config: config, cycle: cycle, generation: generation) else { return }
        lock.withLock {
            // A reload since: it spreads its own config's sources.
            guard generation == self.generation else { return }
            let fresh = config.sources.filter { states[$0.id]?.dueTime == nil && overrides[$0.id] == nil }
            let spread = (config.coldStartSpread ?? config.interval).seconds
            for (index, source) in fresh.enumerated() {
                overrides[source.id] = time.addingTimeInterval(spread * Double(index) / Double(fresh.count))
            }
            if !fresh.isEmpty { scheduleStale = true }
        }
    }

    /// The daemon's copy of the state, read whole when there is none (at the start, after a reload).
    /// `generation`: the reloads counted when `config` was read (the states of an older config are not kept).
    private func knownStates(config: Config, cycle: Cycle, generation: Int) throws -> [String: FetchState] {
        let cached = lock.withLock { generation == self.generation ? self.known : nil }
        if let cached { return cached }
        let states = try cycle.fetchStates(config)
        // Kept unless a reload came in during the read (it read the old config's sources).
        lock.withLock { if generation == self.generation { known = states } }
        return states
    }

    /// Makes the schedule from the state, read whole, when it has none (at the start, after a
    /// reload or a failed read). Throws when the state cannot be read.
    /// `generation`: the reloads counted when `config` was read; a schedule is made only while no
    /// reload has come since (a reload between the two reads would make the old config's).
    private func prepareSchedule(config: Config, cycle: Cycle, generation: Int) throws {
        guard lock.withLock({ scheduleStale }) else { return }
        _ = try knownStates(config: config, cycle: cycle, generation: generation)
        let policy = FetchPolicy(config: config)
        let now = clock.now()
        lock.withLock {
            // A reload during the read: its config is made a schedule next time.
            guard generation == self.generation, let known else { return }
            earliest = earliest.filter { $0.value > now }
            schedule.removeAll()
            for source in config.sources where !inFlight.contains(source.id) {
                schedule.set(source.id, at: dueLocked(source, policy: policy, now: now))
            }
            scheduledConfig = config
            sourceIndex = Dictionary(uniqueKeysWithValues: config.sources.indices.map { (config.sources[$0].id, $0) })
            (failing, gone) = FetchState.health(of: config.sources, states: known)
            scheduleStale = false
        }
    }

    /// Takes the sources due at `now` out of the schedule, with their states (overrides and floors
    /// applied) and the reloads counted (a reload from then on, even before the batch begins, changes
    /// what it fetches); nil while the schedule is stale (a reload since it was made).
    private func takeDue(at now: Date) -> ([SourceConfig], [String: FetchState], Int)? {
        lock.withLock {
            guard !scheduleStale, let config = scheduledConfig else { return nil }
            var sources: [SourceConfig] = []
            var states: [String: FetchState] = [:]
            // A source under way is never in the schedule (taken out when its batch starts, back when it ends).
            for id in schedule.takeDue(at: now) {
                guard let index = sourceIndex[id] else { continue }
                sources.append(config.sources[index])
                states[id] = effectiveLocked(id)
            }
            return (sources, states, generation)
        }
    }

    /// Puts sources taken out of the schedule but not fetched back in it.
    private func reschedule(_ ids: [String], at now: Date) {
        lock.withLock {
            guard !scheduleStale, let config = scheduledConfig else { return }
            let policy = FetchPolicy(config: config)
            for id in ids {
                guard let index = sourceIndex[id] else { continue }
                schedule.set(id, at: dueLocked(config.sources[index], policy: policy, now: now))
            }
        }
    }

    /// The loop plans again at least this often: a wall clock set forward or back (a corrected
    /// clock, a suspended machine) moves what is due, and a sleep runs on real time.
    static let replanInterval: TimeInterval = 60

    private func status(config: Config, nextDue: Date?, now: Date) -> Status {
        let (failing, gone) = lock.withLock { (self.failing, self.gone) }
        return Status(
            sources: config.sources.count, failing: failing, gone: gone, nextDue: nextDue, lag: lock.withLock { lastLag },
            now: now)
    }

    /// When outputs pending since `pendingSince` are written: `output_delay` later, and after
    /// failed writes not before the retry time (see ``writeOutputs(config:cycle:)``).
    private func outputsDue(pendingSince: Date?, config: Config) -> Date? {
        guard let pendingSince else { return nil }
        let retryAt = lock.withLock { outputRetryAt }
        return max(pendingSince.addingTimeInterval(config.outputDelay.seconds), retryAt ?? pendingSince)
    }

    private func writeOutputs(config: Config, cycle: Cycle) {
        lock.withLock { outputsPendingSince = nil }
        let outputs = cycle.writeOutputs(config: config, changed: true)
        report(outputs: outputs)
        // A failing write (a full disk, a folder not writable) is tried again after output_delay,
        // doubling up to max_interval, not at every wake.
        let now = clock.now()
        lock.withLock {
            if outputs.contains(where: { $0.error != nil }) {
                outputFailures += 1
                let wait = min(
                    config.outputDelay.seconds * pow(2, Double(min(outputFailures - 1, 30))), config.maxInterval.seconds)
                outputRetryAt = now.addingTimeInterval(wait)
                // Still pending: written again at the retry time (and tried once more on the way out).
                outputsPendingSince = outputsPendingSince ?? now
            } else {
                outputFailures = 0
                outputRetryAt = nil
            }
        }
    }

    private func report(outputs: [OutputReport]) {
        if !outputs.isEmpty { onOutputs(outputs) }
    }

    /// Sleeps until `deadline`, a reload, a stop or the end of a batch, telling `onIdle` every
    /// second (real time) that it waits; `busy`: batches are under way.
    private func pause(until deadline: Date, busy: Bool = false) async {
        let clock = self.clock
        let wakeup = self.wakeup
        let onIdle = self.onIdle
        await withTaskGroup(of: Void.self) { group in
            group.addTask { busy ? await clock.sleepWhileBusy(until: deadline) : await clock.sleep(until: deadline) }
            group.addTask { await wakeup.wait() }
            group.addTask {
                // Never ends by itself: cancelled when the sleep or the wakeup ends.
                while !Task.isCancelled {
                    onIdle()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}

/// When each source of a batch was done, recorded from the batch's tasks.
private final class Finished: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Date] = [:]

    func record(_ id: String, at time: Date) { lock.withLock { values[id] = time } }
    var times: [String: Date] { lock.withLock { values } }
}

import EstuaryCCurl
import EstuaryCore
import EstuaryCurlShims
import Foundation

/// A FIFO of jobs: a read index instead of removing from the front.
private struct JobQueue {
    private var jobs: [MultiEngine.Job] = []
    private var head = 0

    var isEmpty: Bool { head == jobs.count }

    mutating func push(_ job: MultiEngine.Job) { jobs.append(job) }

    /// Takes out the jobs that match, keeping the others in order.
    mutating func remove(where match: (MultiEngine.Job) -> Bool) -> [MultiEngine.Job] {
        let waiting = jobs[head...]
        let removed = waiting.filter(match)
        guard !removed.isEmpty else { return [] }
        jobs = waiting.filter { !match($0) }
        head = 0
        return removed
    }

    mutating func pop() -> MultiEngine.Job? {
        guard head < jobs.count else { return nil }
        defer {
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
        }
        return jobs[head]
    }
}

/// The jobs waiting for one host group: urgent ones first, in arrival order; then one FIFO per
/// batch, the oldest batch first, skipping a batch that is held back (its reader is behind), so a
/// held batch never blocks another batch's jobs on the same host.
private struct GroupQueue {
    private var urgent = JobQueue()
    private var batches: [(batch: MultiEngine.Batch, jobs: JobQueue)] = []

    var isEmpty: Bool { urgent.isEmpty && batches.isEmpty }

    mutating func push(_ job: MultiEngine.Job) {
        if job.urgent {
            urgent.push(job)
        } else if let index = batches.firstIndex(where: { $0.batch === job.batch }) {
            batches[index].jobs.push(job)
        } else {
            var jobs = JobQueue()
            jobs.push(job)
            batches.append((job.batch, jobs))
        }
    }

    /// The next job that may start now, if any.
    mutating func pop() -> MultiEngine.Job? {
        if let job = urgent.pop() { return job }
        for index in batches.indices where !batches[index].batch.isHeld {
            guard let job = batches[index].jobs.pop() else { continue }
            if batches[index].jobs.isEmpty { batches.remove(at: index) }
            return job
        }
        return nil
    }

    /// Takes out the jobs that match, keeping the others in order.
    mutating func remove(where match: (MultiEngine.Job) -> Bool) -> [MultiEngine.Job] {
        var removed = urgent.remove(where: match)
        for index in batches.indices { removed += batches[index].jobs.remove(where: match) }
        batches.removeAll { $0.jobs.isEmpty }
        return removed
    }
}

/// When an engine last drove transfers under way: a daemon's watchdog counts a long transfer,
/// still within its timeout, as progress (the engine's loop turns at least once a second).
public enum TransferActivity {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var last: ContinuousClock.Instant?

    /// Called by the engine's loop while it has transfers; kept to one lock a second.
    static func note() {
        let now = ContinuousClock.now
        lock.withLock {
            if last.map({ now - $0 >= .seconds(1) }) ?? true { last = now }
        }
    }

    /// Whether transfers were under way within `window`.
    public static func isRecent(within window: Duration) -> Bool {
        lock.withLock { last.map { ContinuousClock.now - $0 < window } ?? false }
    }
}

/// One libcurl multi handle, driven by a dedicated thread.
///
/// `curl_multi_poll` blocks, so it never runs on Swift's cooperative pool
/// (which has one thread per core). Jobs arrive through a lock-protected inbox
/// and `curl_multi_wakeup`; results leave through each job's completion.
/// The multi handle and every easy handle are touched by the engine thread only.
final class MultiEngine: @unchecked Sendable {
    struct Job {
        let request: FetchRequest
        /// The fetch call the job belongs to: cancelling it drops the job.
        let batch: Batch
        /// Goes ahead of the jobs waiting for its host group.
        var urgent = false
        /// The redirects already followed, when the engine follows them itself (``RedirectChain``).
        var chain: RedirectChain? = nil
        let completion: @Sendable (FetchResult) -> Void
    }

    /// The jobs of one `fetch` call, cancelled together when its caller stops listening, and held
    /// back while more than `budget` of what they fetched waits for the caller to read it.
    final class Batch: @unchecked Sendable {
        private let lock = NSLock()
        private var cancelled = false
        private let budget: Int?
        private var unread = 0

        /// `budget`: the unread weight that holds the batch back; nil (or not positive) for none.
        init(budget: Int? = nil) { self.budget = budget.flatMap { $0 > 0 ? $0 : nil } }

        var isCancelled: Bool { lock.withLock { cancelled } }
        func cancel() { lock.withLock { cancelled = true } }

        /// No new transfer of this batch starts while this is true (those under way finish).
        var isHeld: Bool { lock.withLock { budget.map { unread >= $0 } ?? false } }

        /// An outcome of `weight` was handed to the caller's stream.
        func delivered(_ weight: Int) { lock.withLock { unread += weight } }

        /// The caller took an outcome of `weight`; true when that ends a hold.
        func read(_ weight: Int) -> Bool {
            lock.withLock {
                let wasHeld = budget.map { unread >= $0 } ?? false
                unread -= weight
                return wasHeld && !(budget.map { unread >= $0 } ?? false)
            }
        }
    }

    private let multi: UnsafeMutableRawPointer
    private let settings: FetchSettings
    private let lock = NSLock()
    private var inbox: [Job] = []
    private var stopping = false
    /// The multi handle is freed (or about to be): nothing may wake it.
    private var closed = false
    private var cancelRequested = false
    /// Set by ``stopStarting()``: no job starts any more.
    private var draining = false
    // Engine thread only.
    private var active: [UnsafeMutableRawPointer: EasyTransfer] = [:]
    private var batches: [UnsafeMutableRawPointer: Batch] = [:]
    /// Jobs waiting for their host group's turn: one FIFO queue per group ("" for `file:`).
    private var queues: [String: GroupQueue] = [:]
    /// Groups with waiting jobs, in the order they first had one (visited round-robin).
    private var groupOrder: [String] = []
    private var waitingCount = 0
    private var lastStart: [String: ContinuousClock.Instant] = [:]
    private var runningByGroup: [String: Int] = [:]
    /// A group slowed down after a 429 or 503: nothing starts there before this.
    private var pausedUntil: [String: ContinuousClock.Instant] = [:]

    init(settings: FetchSettings) {
        Curl.ensureInitialized()
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = multi
        self.settings = settings
        check(estuary_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, settings.maxConnections), "max connections")
        check(
            estuary_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, settings.maxConnectionsPerHost),
            "max host connections")
        check(estuary_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX)), "multiplexing")
        let thread = Thread { [self] in self.loop() }
        thread.name = "estuary-curl"
        thread.start()
    }

    private func check(_ code: CURLMcode, _ what: String) {
        precondition(code == CURLM_OK, "curl_multi_setopt(\(what)) failed: \(String(cString: curl_multi_strerror(code)))")
    }

    /// Queues jobs; their completions run on the engine thread.
    func submit(_ jobs: [Job]) {
        lock.withLock { inbox += jobs }
        wake()
    }

    /// Looks at the waiting jobs again (a held batch's caller has read). Never after the engine has
    /// freed its handle: a reader may still take results after the fetcher that made them is gone.
    func wake() {
        lock.withLock {
            if !closed { curl_multi_wakeup(multi) }
        }
    }

    /// Drops the waiting jobs of cancelled batches and aborts their transfers under way
    /// (their completions hear a failure at stage "cancelled").
    func cancelCancelledBatches() {
        lock.withLock { cancelRequested = true }
        wake()
    }

    /// Starts no new transfer: every job waiting, and any submitted later, hears "cancelled" (its
    /// source stays due); the transfers under way go on. For a daemon told to stop.
    func stopStarting() {
        lock.withLock { draining = true }
        wake()
    }

    /// Ends the engine thread after the transfers under way; the handle is freed by the thread.
    func shutdown() {
        lock.withLock { stopping = true }
        wake()
    }

    private func loop() {
        var running: Int32 = 0
        while true {
            let (jobs, stop, cancel, drain) = lock.withLock { () -> ([Job], Bool, Bool, Bool) in
                // Taken whole, capacity and all: a cycle of many sources hands over one large batch,
                // whose buffer should not stay allocated for the engine's lifetime.
                defer {
                    inbox = []
                    cancelRequested = false
                }
                return (inbox, stopping, cancelRequested, draining)
            }
            for job in jobs { enqueue(job) }
            if cancel || drain { dropCancelled(everyWaitingJob: drain) }
            var wait = startDueJobs()
            if stop && active.isEmpty && waitingCount == 0 { break }

            if !active.isEmpty { TransferActivity.note() }
            let code = curl_multi_perform(multi, &running)
            if code != CURLM_OK && code != CURLM_CALL_MULTI_PERFORM {
                failAll("libcurl multi error: \(String(cString: curl_multi_strerror(code)))")
            }
            if collectFinished() > 0, waitingCount > 0 {
                // Finished transfers free their groups' slots: start what can start before sleeping.
                let before = active.count
                wait = startDueJobs()
                if active.count > before { continue }
            }
            var ready: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, Int32(wait.map { max(1, min(1000, Curl.milliseconds($0))) } ?? 1000), &ready)
        }
        lock.withLock { closed = true }
        curl_multi_cleanup(multi)
    }

    private func enqueue(_ job: Job) {
        let group = HostGroup.key(for: job.request.url) ?? ""
        if queues[group] == nil {
            queues[group] = GroupQueue()
            groupOrder.append(group)
        }
        queues[group]!.push(job)
        waitingCount += 1
    }

    /// Starts every waiting job its host group allows now, until the global cap is reached;
    /// returns how long until a group blocked by spacing may start again.
    private func startDueJobs() -> Duration? {
        let now = ContinuousClock.now
        var nextWait: Duration? = nil
        var emptied: Set<String> = []
        for group in groupOrder {
            guard active.count < settings.maxConnections else { break }
            if group.isEmpty {
                // file: sources have no host to be polite to.
                while active.count < settings.maxConnections, let job = queues[group]?.pop() {
                    waitingCount -= 1
                    start(job, group: nil)
                }
            } else {
                var earliest = now
                if let last = lastStart[group] { earliest = max(earliest, last + settings.hostSpacing) }
                if let paused = pausedUntil[group] { earliest = max(earliest, paused) }
                if earliest > now {
                    nextWait = min(nextWait ?? (earliest - now), earliest - now)
                    continue
                }
                while active.count < settings.maxConnections, runningByGroup[group, default: 0] < settings.maxConnectionsPerHost,
                    let job = queues[group]?.pop()
                {
                    waitingCount -= 1
                    lastStart[group] = now
                    start(job, group: group)
                    // With spacing, one start per group per turn.
                    if settings.hostSpacing > .zero { break }
                }
            }
            if queues[group]?.isEmpty ?? true { emptied.insert(group) }
        }
        if !emptied.isEmpty {
            groupOrder.removeAll { emptied.contains($0) }
            for group in emptied { queues[group] = nil }
        }
        return nextWait
    }

    private func start(_ job: Job, group: String?) {
        if job.request.url.isFileURL, let refusal = Self.fileRefusal(job.request) {
            job.completion(.failure(FetchFailure(stage: "read", message: refusal)))
            return
        }
        guard
            let transfer = EasyTransfer(request: job.request, settings: settings, chain: job.chain, completion: job.completion)
        else {
            job.completion(.failure(FetchFailure(stage: "http", message: "libcurl could not create a transfer (out of memory?)")))
            return
        }
        if let problem = transfer.configure() {
            job.completion(.failure(FetchFailure(stage: "http", message: "libcurl refused an option: \(problem)")))
            return
        }
        let code = curl_multi_add_handle(multi, transfer.handle)
        guard code == CURLM_OK else {
            job.completion(
                .failure(
                    FetchFailure(message: "libcurl could not start the transfer: \(String(cString: curl_multi_strerror(code)))")))
            return
        }
        active[transfer.handle] = transfer
        batches[transfer.handle] = job.batch
        if let group {
            transfer.group = group
            runningByGroup[group, default: 0] += 1
        }
    }

    /// Why a `file:` request is not read, nil when it may be. libcurl reads files on this thread,
    /// blocking: a FIFO or a device would stall every other transfer, so only regular files are read.
    static func fileRefusal(_ request: FetchRequest) -> String? {
        let path = request.url.path
        guard request.readsFile else {
            return "refused to read \(path): a file is read only for a source whose url in the config names it"
        }
        var info = stat()
        // A path that cannot be read is left to libcurl, whose error names it.
        guard stat(path, &info) == 0 else { return nil }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return "\(path) is not a regular file (a FIFO, a device or a folder); refused, since reading it could stall the run"
        }
        return nil
    }

    /// Completes finished transfers; returns how many.
    @discardableResult
    private func collectFinished() -> Int {
        var finished = 0
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                let transfer = active.removeValue(forKey: handle)
            else { continue }
            let batch = batches.removeValue(forKey: handle)
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, handle)
            let result = transfer.result(code: code)
            if let group = transfer.group {
                runningByGroup[group, default: 1] -= 1
                // A server saying "too many" or "unavailable" slows its whole group, not just this source.
                if case .failure(let failure) = result, failure.status == 429 || failure.status == 503 {
                    let now = ContinuousClock.now
                    // Slowed, not stopped: the source itself waits out its Retry-After (in the state);
                    // the rest of its group waits at most maxHostPause, so a one-shot run never hangs on it.
                    var pause = max(settings.hostSpacing * 10, .seconds(2))
                    if let retryAfter = failure.retryAfter {
                        // Bounded before it becomes a Duration: a hostile Retry-After can be any number.
                        let seconds = retryAfter.date(from: Date()).timeIntervalSinceNow
                        pause = .seconds(min(max(0, seconds.isNaN ? 0 : seconds), settings.maxHostPause.seconds))
                    }
                    pause = min(pause, settings.maxHostPause)
                    pausedUntil[group] = max(pausedUntil[group] ?? now, now + pause)
                }
            }
            switch transfer.nextHop(code: code) {
            case .follow(let request, let chain)?:
                // The next hop waits for its own host's turn, ahead of that host's other jobs.
                if let batch {
                    enqueue(Job(request: request, batch: batch, urgent: true, chain: chain, completion: transfer.completion))
                }
            case .stop(let failure)?:
                transfer.completion(.failure(failure))
            case nil:
                transfer.completion(result)
            }
            finished += 1
        }
        return finished
    }

    /// Drops the waiting jobs of cancelled batches (with `everyWaitingJob`, all waiting jobs), and
    /// aborts the transfers under way of cancelled batches.
    private func dropCancelled(everyWaitingJob: Bool = false) {
        let cancelled = FetchFailure(stage: FetchFailure.cancelledStage, message: "cancelled: estuary is stopping")
        for group in groupOrder {
            for job in queues[group]?.remove(where: { everyWaitingJob || $0.batch.isCancelled }) ?? [] {
                waitingCount -= 1
                job.completion(.failure(cancelled))
            }
        }
        for (handle, batch) in batches where batch.isCancelled {
            guard let transfer = active.removeValue(forKey: handle) else { continue }
            batches[handle] = nil
            curl_multi_remove_handle(multi, handle)
            if let group = transfer.group { runningByGroup[group, default: 1] -= 1 }
            transfer.completion(.failure(cancelled))
        }
    }

    private func failAll(_ message: String) {
        for (handle, transfer) in active {
            curl_multi_remove_handle(multi, handle)
            if let group = transfer.group { runningByGroup[group, default: 1] -= 1 }
            transfer.completion(.failure(FetchFailure(stage: "http", message: message)))
        }
        active.removeAll()
        batches.removeAll()
    }
}

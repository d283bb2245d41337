import Foundation

/// The signals the daemon acts on. Handlers only record the request and wake the wait
/// between cycles; the loop does the work:
/// SIGTERM and SIGINT stop it (the cycle under way finishes and commits, then exit 0),
/// SIGHUP reloads the config.
final class DaemonSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var reloadRequested = false
    private var waiting: Task<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    var isStopped: Bool { lock.withLock { stopped } }

    /// Whether a reload was asked for since the last call.
    func takeReloadRequest() -> Bool {
        lock.withLock {
            defer { reloadRequested = false }
            return reloadRequested
        }
    }

    /// Waits until `deadline`, or until a signal arrives; `tick` runs every few seconds meanwhile.
    func wait(until deadline: ContinuousClock.Instant, tick: @escaping @Sendable () -> Void) async {
        let task = Task {
            while ContinuousClock.now < deadline, !Task.isCancelled {
                try? await Task.sleep(for: min(.seconds(5), deadline - ContinuousClock.now))
                tick()
            }
        }
        let signalled = lock.withLock { () -> Bool in
            waiting = task
            return stopped || reloadRequested
        }
        if signalled { task.cancel() }
        await task.value
        lock.withLock { waiting = nil }
    }

    private func received(_ number: Int32) {
        let task = lock.withLock { () -> Task<Void, Never>? in
            if number == SIGHUP { reloadRequested = true } else { stopped = true }
            return waiting
        }
        task?.cancel()
    }
}

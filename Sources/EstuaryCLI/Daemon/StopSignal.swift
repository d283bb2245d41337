import Foundation

/// SIGTERM and SIGINT as a graceful stop: the handler only records the request;
/// the daemon loop finishes its cycle, commits, and exits 0.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var sources: [any DispatchSourceSignal] = []
    private var onStop: [@Sendable () -> Void] = []

    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.trigger() }
            source.resume()
            sources.append(source)
        }
    }

    var isStopped: Bool { lock.withLock { stopped } }

    /// Runs `action` on the stop request (at once if it already came).
    func whenStopped(_ action: @escaping @Sendable () -> Void) {
        let already = lock.withLock { () -> Bool in
            if !stopped { onStop.append(action) }
            return stopped
        }
        if already { action() }
    }

    private func trigger() {
        let actions = lock.withLock { () -> [@Sendable () -> Void] in
            guard !stopped else { return [] }
            stopped = true
            defer { onStop = [] }
            return onStop
        }
        for action in actions { action() }
    }
}

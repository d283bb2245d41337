import Foundation

/// Time as the scheduler sees it: the wall clock in production, a simulated one in tests
/// (which can run a day of schedule in seconds).
public protocol SchedulerClock: Sendable {
    func now() -> Date
    /// Returns at `deadline`, or sooner when the task is cancelled.
    func sleep(until deadline: Date) async
    /// Returns at `deadline` or sooner, while fetches the caller started go on without it (the
    /// caller is woken when one ends). Real time passes as in ``sleep(until:)``; a simulated clock
    /// keeps its time still, as it does whenever the caller works.
    func sleepWhileBusy(until deadline: Date) async
}

extension SchedulerClock {
    public func sleepWhileBusy(until deadline: Date) async { await sleep(until: deadline) }
}

/// The real time.
public struct WallClock: SchedulerClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async {
        let delay = deadline.timeIntervalSinceNow
        guard delay > 0 else { return }
        // Rounded up: waking a little early would only make the caller plan again and sleep 0 ms.
        try? await Task.sleep(for: .milliseconds(Int64((min(delay, 86_400 * 365) * 1000).rounded(.up))))
    }
}

/// A one-slot signal: `signal()` ends the current or the next `wait()`.
final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func signal() {
        let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { self.waiter = nil }
            if self.waiter == nil { pending = true }
            return self.waiter
        }
        waiter?.resume()
    }

    /// Returns on a signal (sent now or earlier) or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = lock.withLock { () -> Bool in
                    if pending {
                        pending = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                defer { self.waiter = nil }
                return self.waiter
            }
            waiter?.resume()
        }
    }
}

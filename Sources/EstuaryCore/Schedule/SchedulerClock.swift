import Foundation

/// Time as the scheduler sees it: the wall clock in production, a simulated one in tests
/// (which can run a day of schedule in seconds).
public protocol SchedulerClock: Sendable {
    func now() -> Date
    /// Returns at `deadline`, or sooner when the task is cancelled.
    func sleep(until deadline: Date) async
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

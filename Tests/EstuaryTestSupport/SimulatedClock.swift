import EstuaryCore
import Foundation

/// A clock for the scheduler that jumps instead of waiting: a simulated day runs in seconds.
/// Time stands still while the scheduler works or its fetches are under way, and moves only when
/// it sleeps with nothing under way (or when a test or a server handler moves it).
public final class SimulatedClock: SchedulerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func sleep(until deadline: Date) async {
        lock.withLock { current = max(current, deadline) }
        await Task.yield()
    }

    /// Fetches are under way: time stands still (a test or a server handler may move it), and the
    /// caller looks again a moment later, in real time.
    public func sleepWhileBusy(until deadline: Date) async {
        try? await Task.sleep(for: .milliseconds(5))
    }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// Repeatable numbers in 0..<1 (a linear congruential generator), for jitter in tests.
public final class SeededRandom: @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public func next() -> Double {
        lock.withLock {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(UInt64(1) << 53)
        }
    }
}

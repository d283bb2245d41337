import EstuaryCore
import EstuaryFetch
import EstuaryStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// The scheduler as a service: it runs until a graceful shutdown (SIGTERM, SIGINT), which stops
/// new fetches; fetches under way get `stop_timeout`, then the pending outputs are written.
struct SchedulerService: Service, CustomStringConvertible {
    var description: String { "scheduler" }
    let scheduler: Scheduler
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        await withGracefulShutdownHandler {
            await scheduler.run()
        } onGracefulShutdown: {
            onShutdown()
            scheduler.stop()
        }
    }
}

/// SIGHUP (`systemctl reload`) rereads the config; ends on a graceful shutdown.
struct ReloadService: Service, CustomStringConvertible {
    var description: String { "reload on SIGHUP" }
    /// Runs once SIGHUP is trapped (the service group traps SIGTERM and SIGINT before it starts
    /// its services): the daemon is ready only then, or a reload sent at once would be lost.
    let onListening: @Sendable () -> Void
    let reload: @Sendable () -> Void

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        onListening()
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }
}

/// Stops the daemon when its state folder disappears or is replaced under it (an `rm -rf` by
/// mistake): it would go on writing to a deleted database, and a second estuary could start a new
/// state beside it. The error exits the service group; systemd restarts estuary on a fresh state.
struct StateGuardService: Service, CustomStringConvertible {
    var description: String { "state folder guard" }
    let lock: StateLock
    let directory: String
    let logger: Logger

    struct Lost: Error, CustomStringConvertible {
        var directory: String
        var description: String {
            "the state folder \(directory) was removed or replaced while estuary ran; stopping (a restart starts a new state there)"
        }
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            // Two stat calls every few seconds.
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(5)) }
            if !Task.isShuttingDownGracefully, !lock.isStillHeld {
                let lost = Lost(directory: directory)
                logger.critical("\(lost)")
                throw lost
            }
        }
    }
}

/// Feeds systemd's watchdog at half its interval, only while the scheduler loop shows progress,
/// or the fetch engine drives transfers (a long one, within its timeout, is progress too).
struct WatchdogService: Service, CustomStringConvertible {
    var description: String { "systemd watchdog" }
    let systemd: SystemdNotifier
    let interval: Duration
    let progress: Heartbeat

    func run() async throws {
        // Listed first, so the service group stops it last: it feeds the watchdog through the stop.
        // Its wait ends on a graceful shutdown, or the group would wait out a whole interval.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if progress.isRecent(within: interval * 2) || TransferActivity.isRecent(within: interval * 2) {
                systemd.notify("WATCHDOG=1")
            }
        }
    }
}

/// When the daemon loop last made progress.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now

    func beat() { lock.withLock { last = ContinuousClock.now } }

    func isRecent(within window: Duration) -> Bool { lock.withLock { ContinuousClock.now - last < window } }
}

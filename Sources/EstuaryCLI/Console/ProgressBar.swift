import Foundation

/// A one-line progress bar at the bottom of an interactive terminal, for long `once` runs.
///
/// Lines printed with ``Console/error(_:)`` while it shows go above it. It draws only when stderr
/// is a terminal (never into cron's mail or the journal) and at most ten times a second.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    private var done = 0
    private var failed = 0
    private var drawn: ContinuousClock.Instant?
    private var visible = false
    private let width = 30

    /// The bar for this process's stderr, or nil when stderr is not a terminal.
    static func forStderr() -> ProgressBar? { isatty(2) == 1 ? ProgressBar() : nil }

    func start(total: Int) {
        lock.withLock {
            self.total = total
            draw(force: true)
        }
    }

    func advance(failed: Bool) {
        lock.withLock {
            done += 1
            if failed { self.failed += 1 }
            draw(force: done == total)
        }
    }

    /// Removes the bar from the screen.
    func finish() {
        lock.withLock {
            if visible { Self.write("\r\u{1B}[K") }
            visible = false
            total = 0
        }
    }

    /// Writes `line` above the bar.
    func print(_ line: String) {
        lock.withLock {
            Self.write((visible ? "\r\u{1B}[K" : "") + line + "\n")
            if visible { Self.write(text) }
        }
    }

    private var text: String {
        let filled = total == 0 ? 0 : width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return "[\(bar)] \(done)/\(total) sources" + (failed > 0 ? ", \(failed) failed" : "")
    }

    private func draw(force: Bool) {
        guard total > 0 else { return }
        let now = ContinuousClock.now
        if !force, let drawn, now - drawn < .milliseconds(100) { return }
        drawn = now
        visible = true
        Self.write("\r\u{1B}[K" + text)
    }

    private static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

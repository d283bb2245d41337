import EstuaryCore
import Foundation
import Logging

/// Writes the metrics to a `.prom` file for node_exporter's textfile collector.
///
/// The file is replaced atomically (``AtomicFile``: a temporary file in the same folder,
/// renamed over it), so the collector never reads half a file; the temporary name does not
/// end in `.prom`, so the collector never reads it either. The folder is not created: it
/// belongs to node_exporter.
public struct MetricsTextfile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Writes `metrics`; a failure is logged as a warning, never thrown: metrics must not stop a cycle.
    /// Returns whether the file was written.
    @discardableResult
    public func write(_ metrics: Metrics, logger: Logger) -> Bool {
        do {
            try write(metrics.render())
            return true
        } catch {
            logger.warning(
                "metrics: \(error) (check [metrics] textfile, and the unit's ReadWritePaths when under systemd)",
                metadata: ["textfile": "\(path)"])
            return false
        }
    }

    /// Writes `text` as the file's new content, readable by every user (node_exporter runs as its own).
    public func write(_ text: String) throws(AtomicFile.WriteError) {
        try AtomicFile.write(Array(text.utf8), to: path, permissions: 0o644)
    }
}

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
    /// With `continuingCounts` (`estuary once`, one process per run), the counters continue from
    /// the file being replaced. Returns whether the file was written.
    @discardableResult
    public func write(_ metrics: Metrics, continuingCounts: Bool = false, logger: Logger) -> Bool {
        do {
            try write(continuingCounts ? metrics.render(addingCountsFrom: previous()) : metrics.render())
            return true
        } catch {
            logger.warning(
                "metrics: \(error) (check [metrics] textfile, and the unit's ReadWritePaths when under systemd)",
                metadata: ["textfile": "\(path)"])
            return false
        }
    }

    /// The file's current text; empty when there is none or it is not a textfile's size.
    func previous() -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `text` as the file's new content, readable by every user (node_exporter runs as its own).
    public func write(_ text: String) throws(AtomicFile.WriteError) {
        // A process killed mid-write left its temporary file (`.estuary.prom.XXXXXX`) behind.
        let folder = (path as NSString).deletingLastPathComponent
        AtomicFile.removeLeftovers(of: [(path as NSString).lastPathComponent], in: folder.isEmpty ? "." : folder)
        try AtomicFile.write(Array(text.utf8), to: path, permissions: 0o644)
    }
}

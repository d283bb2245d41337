import Foundation
import TOMLKit

extension Reader {
    /// `[metrics]`: the listener's address and the textfile's path, both optional.
    func metricsConfig(_ root: TOMLTable) throws(ConfigError) -> MetricsConfig {
        guard let value = root["metrics"] else { return MetricsConfig() }
        guard let table = value.table else { throw error("metrics must be a table: [metrics]", header: "", key: "metrics") }
        let t = TableReader(reader: self, table: table, header: "metrics", index: 0, section: "[metrics]")
        try t.allowOnly(["listen", "textfile"])
        var metrics = MetricsConfig()
        if let text = try t.string("listen") {
            guard let address = ListenAddress(parsing: text) else {
                throw t.error(
                    key: "listen",
                    "listen \"\(text)\" is not an IP address and port such as \"127.0.0.1:\(ListenAddress.defaultPort)\", "
                        + "\"[::1]:\(ListenAddress.defaultPort)\" or \":\(ListenAddress.defaultPort)\" (host names are not accepted)"
                )
            }
            metrics.listen = address
        }
        if let path = try t.string("textfile") {
            // node_exporter's textfile collector reads *.prom files only; anything else would be silently ignored.
            let name = (path as NSString).lastPathComponent
            guard name.hasSuffix(".prom"), name != ".prom" else {
                throw t.error(
                    key: "textfile",
                    "textfile \"\(path)\" must be a file name ending in .prom (node_exporter's textfile collector reads only those)"
                )
            }
            metrics.textfile = resolve(path: path)
        }
        return metrics
    }
}

import Foundation

/// The politeness budget a URL counts against: its registrable domain.
///
/// `a.tumblr.com` and `b.tumblr.com` are one operator's servers and share a
/// budget. Without the Public Suffix List this is a heuristic: the last two
/// labels, or three under the common two-level country suffixes (`co.uk`,
/// `com.au`, `ac.jp`, ...). An IP address with its port is its own group;
/// `file:` sources are not rate-limited.
enum HostGroup {
    static func key(for url: URL) -> String? {
        guard !url.isFileURL, let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        // An address, not a name: the service is the address and its port (two servers on one machine
        // are two operators' as far as we can tell).
        if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return url.port.map { "\(host):\($0)" } ?? host
        }
        let labels = host.split(separator: ".")
        guard labels.count > 2 else { return host }
        let secondLevel: Set<Substring> = [
            "co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "nic", "ltd", "plc",
        ]
        if labels[labels.count - 1].count == 2, secondLevel.contains(labels[labels.count - 2]) {
            return labels.suffix(3).joined(separator: ".")
        }
        return labels.suffix(2).joined(separator: ".")
    }
}

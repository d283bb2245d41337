import Foundation

/// `[metrics]`: where Prometheus metrics are exposed (docs/metrics.md). Both off by default.
public struct MetricsConfig: Sendable, Equatable {
    /// The address of the HTTP listener serving `/metrics`; nil for no listener.
    public var listen: ListenAddress?
    /// A `.prom` file rewritten after every cycle, for node_exporter's textfile collector
    /// (path already resolved); nil for none.
    public var textfile: String?

    /// Whether metrics are collected at all.
    public var isEnabled: Bool { listen != nil || textfile != nil }

    public init(listen: ListenAddress? = nil, textfile: String? = nil) {
        self.listen = listen
        self.textfile = textfile
    }
}

/// An IP literal and a port to listen on: `127.0.0.1:9464`, `[::1]:9464`, or `:9464` for loopback.
///
/// Host names are not accepted: resolving one could pick an address the operator did not mean to expose.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable, Equatable {
        case ipv4
        case ipv6
    }

    /// The IP literal, without brackets.
    public var host: String
    public var family: Family
    /// 0 lets the kernel pick one.
    public var port: Int

    /// The port the metrics listener uses when none is given: Prometheus's registry of default
    /// ports has none for Estuary, and 9464 is the one commonly used by exporters without their own.
    public static let defaultPort = 9464

    public init(host: String, family: Family, port: Int) {
        self.host = host
        self.family = family
        self.port = port
    }

    /// Parses `host:port` (IPv4 literal), `[host]:port` (IPv6 literal) or `:port` (127.0.0.1); nil when malformed.
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
            guard Self.isLiteral(hostPart, family: AF_INET6) else { return nil }
            family = .ipv6
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = colon == text.startIndex ? "127.0.0.1" : text[..<colon]
            portPart = text[text.index(after: colon)...]
            guard Self.isLiteral(hostPart, family: AF_INET) else { return nil }
            family = .ipv4
        }
        guard !portPart.isEmpty, portPart.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let port = Int(portPart),
            port <= 65535
        else { return nil }
        self.host = String(hostPart)
        self.port = port
    }

    /// True for 127.0.0.0/8 and ::1: only processes on this machine can connect.
    public var isLoopback: Bool {
        switch family {
        case .ipv4: host.split(separator: ".").first == "127"
        case .ipv6: Self.bytes(of: host, family: AF_INET6) == [UInt8](repeating: 0, count: 15) + [1]
        }
    }

    /// `127.0.0.1:9464`, `[::1]:9464`.
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isLiteral(_ host: Substring, family: Int32) -> Bool {
        bytes(of: String(host), family: family) != nil
    }

    /// The address in network byte order, nil when `host` is not a literal of that family.
    private static func bytes(of host: String, family: Int32) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        let parsed = buffer.withUnsafeMutableBytes { inet_pton(family, host, $0.baseAddress) }
        guard parsed == 1 else { return nil }
        return Array(buffer.prefix(family == AF_INET ? 4 : 16))
    }
}

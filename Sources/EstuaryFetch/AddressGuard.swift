import Foundation

/// Which addresses a feed fetch may connect to.
///
/// A feed URL comes from a config, a redirect or a page's autodiscovery link;
/// any of them can point at the machine itself or its network (SSRF). The
/// guard looks at the address libcurl is about to connect to, on every hop,
/// so `127.1`, `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]` and names that
/// resolve to loopback are all seen as what they are.
enum AddressGuard {
    /// Why `address` is refused, nil when it is a public address.
    static func refusal(_ address: UnsafePointer<sockaddr>) -> (ip: String, kind: String)? {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            let v4 = ipv4(address)
            return kind(ipv4: v4).map { (dotted(v4), $0) }
        case AF_INET6:
            let bytes = ipv6(address)
            return kind(ipv6: bytes).map { (text(ipv6: bytes), $0) }
        default:
            return ("an address of family \(address.pointee.sa_family)", "not an Internet address")
        }
    }

    /// The address of an AF_INET socket address, in host order.
    static func ipv4(_ address: UnsafePointer<sockaddr>) -> UInt32 {
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
    }

    /// The 16 bytes of an AF_INET6 socket address.
    static func ipv6(_ address: UnsafePointer<sockaddr>) -> [UInt8] {
        address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
            withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
        }
    }

    static func kind(ipv4 a: UInt32) -> String? {
        func inRange(_ base: UInt32, _ bits: UInt32) -> Bool { a >> (32 - bits) == base >> (32 - bits) }
        if inRange(0x0000_0000, 8) { return "unspecified" }
        if inRange(0x7F00_0000, 8) { return "loopback" }
        if inRange(0x0A00_0000, 8) || inRange(0xAC10_0000, 12) || inRange(0xC0A8_0000, 16) { return "private (RFC 1918)" }
        if inRange(0x6440_0000, 10) { return "carrier-grade NAT (100.64/10)" }
        if inRange(0xA9FE_0000, 16) { return "link-local (cloud metadata lives here)" }
        if inRange(0xE000_0000, 4) { return "multicast" }
        if inRange(0xF000_0000, 4) { return "reserved" }
        return nil
    }

    static func kind(ipv6 b: [UInt8]) -> String? {
        guard b.count == 16 else { return "malformed" }
        if b.allSatisfy({ $0 == 0 }) { return "unspecified" }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "loopback" }
        // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judge the IPv4 address.
        if b[0..<10].allSatisfy({ $0 == 0 }) && ((b[10] == 0xFF && b[11] == 0xFF) || (b[10] == 0 && b[11] == 0)) {
            let v4 = UInt32(b[12]) << 24 | UInt32(b[13]) << 16 | UInt32(b[14]) << 8 | UInt32(b[15])
            return kind(ipv4: v4)
        }
        if b[0] & 0xFE == 0xFC { return "unique-local (fc00::/7)" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "link-local (fe80::/10)" }
        if b[0] == 0xFF { return "multicast" }
        return nil
    }

    static func dotted(_ a: UInt32) -> String {
        "\(a >> 24).\(a >> 16 & 0xFF).\(a >> 8 & 0xFF).\(a & 0xFF)"
    }

    static func text(ipv6 b: [UInt8]) -> String {
        stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// The port of an IPv4 or IPv6 socket address (0 for another family).
    static func port(_ address: UnsafePointer<sockaddr>) -> Int {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return Int(UInt16(bigEndian: address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }))
        case AF_INET6:
            return Int(UInt16(bigEndian: address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }))
        default: return 0
        }
    }

    /// An address and port a connection goes to.
    struct Endpoint: Hashable {
        var ip: String
        var port: Int
    }

    /// The proxies the environment names, address and port: an operator's proxy on loopback must
    /// still work (it, not the guard, then reaches the feed). Only the proxy itself is let through:
    /// any other port of its address, as any other loopback address, stays refused.
    static let proxyEndpoints: Set<Endpoint> = proxyEndpoints(in: ProcessInfo.processInfo.environment)

    static func proxyEndpoints(in environment: [String: String]) -> Set<Endpoint> {
        var endpoints: Set<Endpoint> = []
        for name in ["http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] {
            guard let value = environment[name], !value.isEmpty else { continue }
            let url = URL(string: value.contains("://") ? value : "http://" + value)
            guard let host = url?.host else { continue }
            // libcurl's default proxy port is 1080, 443 for an https:// proxy.
            let port = url?.port ?? (url?.scheme?.lowercased() == "https" ? 443 : 1080)
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>? = nil
            guard getaddrinfo(host, nil, &hints, &list) == 0 else { continue }
            defer { freeaddrinfo(list) }
            var entry = list
            while let current = entry {
                if let address = current.pointee.ai_addr {
                    switch Int32(address.pointee.sa_family) {
                    case AF_INET: endpoints.insert(Endpoint(ip: dotted(ipv4(address)), port: port))
                    case AF_INET6: endpoints.insert(Endpoint(ip: text(ipv6: ipv6(address)), port: port))
                    default: break
                    }
                }
                entry = current.pointee.ai_next
            }
        }
        return endpoints
    }
}

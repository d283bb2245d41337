import EstuaryCPSL
import Foundation

/// The politeness budget a URL counts against: its registrable domain, by the Public Suffix List.
///
/// `a.tumblr.com` and `b.tumblr.com` are one operator's servers and share a budget;
/// `news.bbc.co.uk` counts against `bbc.co.uk`; `a.blogspot.com` and `b.blogspot.com`, whose
/// suffix `blogspot.com` is public, are two. The list is libpsl's (the same library libcurl uses
/// for cookies): the system's copy (Debian's `publicsuffix` package, kept up to date) when it is
/// newer than the one built into libpsl. An IP address with its port is its own group; a name
/// that is itself a public suffix or has no dot is its own group; `file:` sources are not
/// rate-limited.
enum HostGroup {
    static func key(for url: URL) -> String? {
        guard !url.isFileURL, let host = url.host?.lowercased(), !host.isEmpty else { return nil }
        // An address, not a name: the service is the address and its port (two servers on one machine
        // are two operators' as far as we can tell).
        if host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return url.port.map { "\(host):\($0)" } ?? host
        }
        guard let list = PublicSuffixList.shared else { return host }
        // libpsl answers with a pointer into the name it was given: read it while that name lives.
        return host.withCString { name in
            psl_registrable_domain(list, name).map { String(cString: $0) } ?? host
        }
    }
}

/// libpsl's list, loaded once for the process. libpsl owns it; it is never freed.
private enum PublicSuffixList {
    nonisolated(unsafe) static let shared: OpaquePointer? = psl_latest(nil) ?? psl_builtin()
}

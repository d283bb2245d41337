import Foundation

/// The form of a link two feeds agree on when they carry the same article.
///
/// Scheme and host lowercased, the default port and the fragment dropped,
/// tracking parameters (`utm_*`, `fbclid`, `gclid`, `mc_cid`, `mc_eid`,
/// `ref`, `ref_src`) removed and the remaining query sorted.
public enum CanonicalLink {
    static let trackingParameters: Set<String> = ["fbclid", "gclid", "mc_cid", "mc_eid", "ref", "ref_src"]

    public static func make(_ link: String) -> String? {
        guard var components = URLComponents(string: link.trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        components.scheme = scheme
        components.host = host.lowercased()
        if (scheme == "http" && components.port == 80) || (scheme == "https" && components.port == 443) {
            components.port = nil
        }
        components.fragment = nil
        if let items = components.queryItems {
            let kept = items.filter { item in
                let name = item.name.lowercased()
                return !name.hasPrefix("utm_") && !trackingParameters.contains(name)
            }
            .sorted { ($0.name, $0.value ?? "") < ($1.name, $1.value ?? "") }
            components.queryItems = kept.isEmpty ? nil : kept
        }
        if components.path.isEmpty { components.path = "/" }
        return components.string
    }
}

/// A title reduced to what two feeds agree on: letters and digits, lowercased, single spaces.
public enum TitleKey {
    public static func make(_ title: String?) -> String? {
        guard let title else { return nil }
        var out = ""
        var pendingSpace = false
        for scalar in title.lowercased().unicodeScalars {
            // ASCII (most titles) without Unicode's property tables: letters (lowercased by now) and digits.
            let v = scalar.value
            let kept =
                v < 0x80
                ? (0x61...0x7A).contains(v) || (0x30...0x39).contains(v)
                : scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            if kept {
                if pendingSpace && !out.isEmpty { out.append(" ") }
                pendingSpace = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingSpace = true
            }
        }
        return out.count >= 8 ? out : nil
    }
}

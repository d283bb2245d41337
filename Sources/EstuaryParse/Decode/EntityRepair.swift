/// Makes `&` in a document mean what feed authors meant, before libxml2 sees it.
///
/// - HTML named references XML does not define (`&nbsp;`, `&hellip;`) become
///   numeric references (`&#xA0;`): the same character, well-formed XML.
/// - A bare `&` (`Fish & Chips`) and an unknown name (`&foo;`) become `&amp;`:
///   shown as written, as a browser would.
/// - XML's own references (`&amp;`, `&#8217;`, `&#x2019;`) are left alone, and
///   so is everything inside CDATA sections and comments, where `&` is text.
///
/// Doing this on bytes, rather than in libxml2's `getEntity` callback, keeps
/// the document well-formed: libxml2 drops every entity reference that
/// follows a recovered error.
enum EntityRepair {
    /// The repaired bytes, or nil when nothing needed repair (no copy made).
    static func repair(_ bytes: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var copied = 0  // bytes[..<copied] are already in `out`
        var changed = false
        let n = bytes.count
        var i = 0
        while i < n {
            let byte = bytes[i]
            if byte == UInt8(ascii: "<") {
                if let end = skipUnparsed(bytes, at: i) {
                    i = end
                    continue
                }
                i += 1
                continue
            }
            guard byte == UInt8(ascii: "&") else {
                i += 1
                continue
            }
            let (length, replacement) = reference(bytes, at: i)
            if let replacement {
                if !changed {
                    out.reserveCapacity(n + 64)
                    changed = true
                }
                out.append(contentsOf: bytes[copied..<i])
                out.append(contentsOf: replacement)
                copied = i + length
            }
            i += length
        }
        guard changed else { return nil }
        out.append(contentsOf: bytes[copied...])
        return out
    }

    private static let cdataOpen = Array("<![CDATA[".utf8)
    private static let commentOpen = Array("<!--".utf8)

    /// The index after a CDATA section or comment starting at `i`, nil if none starts there.
    private static func skipUnparsed(_ bytes: [UInt8], at i: Int) -> Int? {
        guard i + 3 < bytes.count, bytes[i + 1] == UInt8(ascii: "!") else { return nil }
        if matches(bytes, at: i, commentOpen) {
            return find(Array("-->".utf8), in: bytes, from: i + 4) ?? bytes.count
        }
        if matches(bytes, at: i, cdataOpen) {
            return find(Array("]]>".utf8), in: bytes, from: i + 9) ?? bytes.count
        }
        return nil
    }

    /// The reference at `i` (which holds `&`): how many bytes it spans, and what
    /// replaces it (nil: keep as is).
    private static func reference(_ bytes: [UInt8], at i: Int) -> (Int, [UInt8]?) {
        var j = i + 1
        let n = bytes.count
        if j < n, bytes[j] == UInt8(ascii: "#") {
            j += 1
            let hex = j < n && (bytes[j] | 0x20) == UInt8(ascii: "x")
            if hex { j += 1 }
            let start = j
            while j < n, j - start < 8, isDigit(bytes[j], hex: hex) { j += 1 }
            if j > start, j < n, bytes[j] == UInt8(ascii: ";") { return (j + 1 - i, nil) }
            return (1, ampersand)
        }
        let start = j
        while j < n, j - start < 32, isNameByte(bytes[j]) { j += 1 }
        guard j > start, j < n, bytes[j] == UInt8(ascii: ";") else { return (1, ampersand) }
        let name = String(decoding: bytes[start..<j], as: UTF8.self)
        switch name {
        case "amp", "lt", "gt", "quot", "apos":
            return (j + 1 - i, nil)
        default:
            guard let scalars = HTMLEntities.scalars(named: Substring(name)) else { return (1, ampersand) }
            var replacement: [UInt8] = []
            for scalar in scalars { replacement += Array("&#x\(String(scalar.value, radix: 16));".utf8) }
            return (j + 1 - i, replacement)
        }
    }

    private static let ampersand = Array("&amp;".utf8)

    private static func isDigit(_ b: UInt8, hex: Bool) -> Bool {
        if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { return true }
        let lower = b | 0x20
        return hex && lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f")
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        let lower = b | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    private static func matches(_ bytes: [UInt8], at i: Int, _ needle: [UInt8]) -> Bool {
        guard i + needle.count <= bytes.count else { return false }
        for k in 0..<needle.count where bytes[i + k] != needle[k] { return false }
        return true
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0], matches(bytes, at: i, needle) { return i + needle.count }
            i += 1
        }
        return nil
    }
}

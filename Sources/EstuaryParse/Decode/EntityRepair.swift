import Foundation

/// Makes `&` in a document mean what feed authors meant, before libxml2 sees it.
///
/// - HTML named references XML does not define (`&nbsp;`, `&hellip;`) become
///   numeric references (`&#xA0;`): the same character, well-formed XML.
/// - A bare `&` (`Fish & Chips`) and an unknown name (`&foo;`) become `&amp;`:
///   shown as written, as a browser would.
/// - XML's own references (`&amp;`, `&#8217;`, `&#x2019;`) are left alone, and
///   so is everything inside CDATA sections and comments, where `&` is text.
///
/// - A reference to a Windows-1252 byte by its number (`&#146;`) becomes the
///   character HTML5 reads it as (`&#x2019;`), not a C1 control; `&#X41;`
///   (libxml2 knows only the lowercase x) becomes `&#x41;`.
///
/// And the markup hand-written feeds leave in their text, which would otherwise
/// end the document or reshape its items (``TagBalance``):
///
/// - `<` that cannot start markup (`5 < 6`, `I <3 it`) becomes `&lt;`;
/// - elements left open inside another (`<p>a<p>b</description>`, `a <br> b`)
///   are closed where the enclosing one ends: void HTML elements (`br`, `hr`,
///   `img`, `wbr`) as `<br/>`, others by an end tag; an end tag that closes
///   nothing open (`a</b> b`) goes. A well-formed document has none of these,
///   so it is never changed: `<img>URL</img>` stays an element with text.
///
/// Doing this on bytes, rather than in libxml2's `getEntity` callback, keeps
/// the document well-formed: libxml2 drops every entity reference that
/// follows a recovered error.
enum EntityRepair {
    /// The repaired bytes, or nil when nothing needed repair (no copy made).
    static func repair(_ bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { b -> [UInt8]? in
            var output = RepairOutput()
            var tags = TagBalance()
            let n = b.count
            var i = 0
            while i < n {
                let byte = b[i]
                if byte == UInt8(ascii: "&") {
                    i += reference(b, at: i, output: &output)
                } else if byte == UInt8(ascii: "<") {
                    i = tags.markup(b, at: i, output: &output)
                } else {
                    i += 1
                }
            }
            return output.finish(b)
        }
    }

    /// Records the repair of the reference at `i` (which holds `&`), if it needs one; returns how
    /// many bytes it spans.
    static func reference(_ b: UnsafeBufferPointer<UInt8>, at i: Int, output: inout RepairOutput) -> Int {
        let (length, replacement) = reference(b, at: i)
        if let replacement { output.replace(b, at: i, removing: length, with: replacement) }
        return length
    }

    private static let ampersand = Array("&amp;".utf8)

    /// The reference at `i` (which holds `&`): how many bytes it spans, and what
    /// replaces it (nil: keep as is).
    private static func reference(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (Int, [UInt8]?) {
        var j = i + 1
        let n = b.count
        if j < n, b[j] == UInt8(ascii: "#") {
            j += 1
            let hex = j < n && (b[j] | 0x20) == UInt8(ascii: "x")
            if hex { j += 1 }
            let start = j
            var value: UInt32 = 0
            while j < n, j - start < 8, isDigit(b[j], hex: hex) {
                value = value &* (hex ? 16 : 10) &+ digitValue(b[j])
                j += 1
            }
            guard j > start, j < n, b[j] == UInt8(ascii: ";") else { return (1, ampersand) }
            let length = j + 1 - i
            if let character = Windows1252.character(forC1: value) { return (length, hexReference(character)) }
            // A reference to a character XML forbids (a C0 control, a surrogate, U+FFFE) is an
            // error libxml2 recovers from silently, and after it the next entity reference would
            // be dropped: removed here, as libxml2 would drop it anyway.
            guard isXMLChar(value) else { return (length, []) }
            return (length, hex && b[i + 2] == UInt8(ascii: "X") ? hexReference(value) : nil)
        }
        let start = j
        while j < n, j - start < 32, isNameByte(b[j]) { j += 1 }
        guard j > start, j < n, b[j] == UInt8(ascii: ";") else { return (1, ampersand) }
        let name = UnsafeBufferPointer(rebasing: b[start..<j])
        // XML's own five (most references in a feed: escaped HTML) are compared as bytes.
        if isXMLEntity(name) { return (j + 1 - i, nil) }
        guard let scalars = HTMLEntities.scalars(named: Substring(String(decoding: name, as: UTF8.self))) else {
            return (1, ampersand)
        }
        var replacement: [UInt8] = []
        for scalar in scalars { replacement += hexReference(scalar.value) }
        return (j + 1 - i, replacement)
    }

    private static func hexReference(_ value: UInt32) -> [UInt8] { Array("&#x\(String(value, radix: 16));".utf8) }

    /// `lt`, `gt`, `amp`, `quot` or `apos`.
    private static func isXMLEntity(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        func matches(_ word: StaticString) -> Bool {
            word.withUTF8Buffer { $0.elementsEqual(name) }
        }
        switch name.count {
        case 2: return name[1] == UInt8(ascii: "t") && (name[0] == UInt8(ascii: "l") || name[0] == UInt8(ascii: "g"))
        case 3: return matches("amp")
        case 4: return matches("quot") || matches("apos")
        default: return false
        }
    }

    private static func digitValue(_ b: UInt8) -> UInt32 {
        b <= UInt8(ascii: "9") ? UInt32(b - UInt8(ascii: "0")) : UInt32((b | 0x20) - UInt8(ascii: "a") + 10)
    }

    /// XML 1.0's Char production.
    private static func isXMLChar(_ c: UInt32) -> Bool {
        switch c {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    private static func isDigit(_ b: UInt8, hex: Bool) -> Bool {
        if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") { return true }
        let lower = b | 0x20
        return hex && lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f")
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        let lower = b | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    static func matches(_ b: UnsafeBufferPointer<UInt8>, at i: Int, _ needle: [UInt8]) -> Bool {
        guard i + needle.count <= b.count else { return false }
        for k in 0..<needle.count where b[i + k] != needle[k] { return false }
        return true
    }

    /// The index after the first `needle` at or after `start`.
    static func find(_ needle: [UInt8], in b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = b.baseAddress else { return nil }
        var i = start
        while i + needle.count <= b.count {
            // memchr jumps to the next candidate first byte.
            guard let hit = memchr(base + i, Int32(needle[0]), b.count - i) else { return nil }
            i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if matches(b, at: i, needle) { return i + needle.count }
            i += 1
        }
        return nil
    }
}

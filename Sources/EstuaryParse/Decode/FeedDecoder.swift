import EstuaryCore
import Foundation

/// Bytes as UTF-8, ready for the XML parser: the decode stage.
///
/// The encoding is chosen the way feedparser chooses it (RFC 3023 and the XML
/// spec): candidates in order of authority, the first whose decoding the bytes
/// allow wins. A byte order mark is proof; then the HTTP charset (for XML and
/// text media types); then the XML declaration; then UTF-8, windows-1252 and
/// ISO-8859-2. A candidate the bytes contradict (a declared UTF-16 over ASCII
/// bytes, a declared us-ascii over 8-bit bytes, a declared UTF-8 that is not
/// UTF-8 at all) is skipped: that is how a wrong declaration gets corrected.
/// A document that is mostly UTF-8 with a few broken sequences stays UTF-8,
/// each broken sequence becoming U+FFFD.
struct DecodedDocument {
    /// UTF-8, without BOM, control characters removed.
    var bytes: [UInt8]
    /// The encoding the bytes were read in, lowercased.
    var encoding: String
    /// True when something had to be repaired: invalid bytes replaced,
    /// control characters removed, junk before the document dropped, or a
    /// declared encoding overruled.
    var repaired: Bool
}

enum FeedDecoder {
    static func decode(_ body: [UInt8], contentType: String?) -> DecodedDocument {
        let sniffed = sniff(body)
        var candidates: [String] = []
        if let bom = sniffed.bom { candidates.append(bom) }
        let media = MediaType(contentType)
        if let charset = media.charset, media.isXMLOrText { candidates.append(charset) }
        if media.isText && media.charset == nil { candidates.append("us-ascii") }
        let declared = declaredEncoding(body, family: sniffed.family)
        if let declared { candidates.append(declared) }
        if let family = sniffed.family { candidates.append(family == "ebcdic" ? "ibm037" : family) }
        candidates += ["utf-8", "windows-1252", "iso-8859-2"]

        let payload = sniffed.bomLength == 0 ? body : Array(body[sniffed.bomLength...])
        // Bytes 0x80-0x9F are control characters in ISO-8859-1 and never text: a document saying
        // ISO-8859-1 that has them was written in windows-1252 (curly quotes, dashes, the euro sign),
        // as browsers and feedparser read it. 0x81, 0x8D, 0x8F, 0x90 and 0x9D, undefined there,
        // leave it ISO-8859-1.
        lazy var hasC1 = payload.contains { (0x80...0x9F).contains($0) }
        for (index, name) in candidates.enumerated() {
            let encoding = normalize(name)
            let last = index == candidates.count - 1
            let asWindows1252 =
                encoding == "iso-8859-1" && hasC1
                ? transcode(payload, from: "windows-1252", family: sniffed.family, last: false) : nil
            guard let utf8 = asWindows1252 ?? transcode(payload, from: encoding, family: sniffed.family, last: last)
            else { continue }
            // JSON Feed: no XML repairs (an `&` in a JSON string is just an `&`).
            if let first = utf8.bytes.first(where: { !isSpace($0) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                return DecodedDocument(bytes: utf8.bytes, encoding: encoding, repaired: utf8.replaced)
            }
            var cleaned = clean(utf8.bytes)
            if let repaired = EntityRepair.repair(cleaned.bytes) {
                cleaned = (repaired, true)
            }
            // An encoding the document or the server stated, passed over because the bytes contradict it.
            let overruled = candidates[..<index].contains { $0 == declared || $0 == media.charset }
            return DecodedDocument(
                bytes: cleaned.bytes, encoding: encoding, repaired: cleaned.repaired || utf8.replaced || overruled)
        }
        // iso-8859-2 decodes every byte: never reached, kept for the type checker.
        return DecodedDocument(bytes: clean(payload).bytes, encoding: "iso-8859-1", repaired: true)
    }

    // MARK: Sniffing

    struct Sniffed {
        /// The encoding a byte order mark proves.
        var bom: String?
        var bomLength = 0
        /// UTF-16/32 recognized from the layout of `<?` without a BOM.
        var family: String?
    }

    static func sniff(_ b: [UInt8]) -> Sniffed {
        func starts(_ prefix: [UInt8]) -> Bool { b.starts(with: prefix) }
        if starts([0x00, 0x00, 0xFE, 0xFF]) { return Sniffed(bom: "utf-32be", bomLength: 4, family: "utf-32be") }
        if starts([0xFF, 0xFE, 0x00, 0x00]) { return Sniffed(bom: "utf-32le", bomLength: 4, family: "utf-32le") }
        if starts([0xEF, 0xBB, 0xBF]) { return Sniffed(bom: "utf-8", bomLength: 3) }
        if starts([0xFE, 0xFF]) { return Sniffed(bom: "utf-16be", bomLength: 2, family: "utf-16be") }
        if starts([0xFF, 0xFE]) { return Sniffed(bom: "utf-16le", bomLength: 2, family: "utf-16le") }
        if starts([0x00, 0x00, 0x00, 0x3C]) { return Sniffed(family: "utf-32be") }
        if starts([0x3C, 0x00, 0x00, 0x00]) { return Sniffed(family: "utf-32le") }
        if starts([0x00, 0x3C, 0x00, 0x3F]) { return Sniffed(family: "utf-16be") }
        if starts([0x3C, 0x00, 0x3F, 0x00]) { return Sniffed(family: "utf-16le") }
        if starts([0x4C, 0x6F, 0xA7, 0x94]) { return Sniffed(family: "ebcdic") }
        return Sniffed()
    }

    /// The `encoding` of the XML declaration, read in the byte family the document is in.
    static func declaredEncoding(_ body: [UInt8], family: String?) -> String? {
        var head: [UInt8]
        switch family {
        case "utf-16le", "utf-16be", "utf-32le", "utf-32be":
            let prefix = Array(body.prefix(2048))
            head = transcode(prefix, from: family!, family: family, last: true)?.bytes ?? []
        case "ebcdic":
            // Every EBCDIC code page agrees on the characters of an XML declaration.
            head = Iconv.convert(Array(body.prefix(1024)), from: "ibm037")?.bytes ?? []
        default:
            head = Array(body.prefix(1024))
        }
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { head.removeFirst(3) }
        let text = String(decoding: head, as: UTF8.self)
        guard let start = text.range(of: "<?xml"), let end = text.range(of: "?>", range: start.upperBound..<text.endIndex)
        else { return nil }
        let declaration = text[start.upperBound..<end.lowerBound]
        guard let key = declaration.range(of: "encoding") else { return nil }
        var rest = declaration[key.upperBound...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix(while: { $0 != quote })
        return value.isEmpty ? nil : String(value)
    }

    /// Canonical spelling for comparison and for iconv.
    static func normalize(_ name: String) -> String {
        var lower = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if lower.hasPrefix("ebcdic_") || lower.hasPrefix("windows_") || lower.hasPrefix("iso_8859_") {
            lower = lower.replacingOccurrences(of: "_", with: "-")
        }
        switch lower {
        case "ebcdic-cp-us", "ebcdic-cp-ca", "ebcdic-cp-wt", "ebcdic-cp-nl", "csibm037", "cp037", "ibm039": return "ibm037"
        case "ebcdic-cp-be", "ebcdic-cp-ch", "csibm500", "cp500": return "ibm500"
        case "cp875": return "ibm875"
        case "macroman", "mac", "x-mac-roman": return "macintosh"
        case "maccentraleurope", "x-mac-ce", "maclatin2": return "mac-centraleurope"
        case "maciceland": return "mac-is"
        case "macgreek": return "macgreek"
        case "macturkish": return "macturkish"
        case "cp-is", "cp_is", "csibm861", "cp861": return "ibm861"
        case "cp1140", "ccsid01140": return "ibm1140"
        case "utf8", "unicode-1-1-utf-8": return "utf-8"
        case "latin1", "latin-1", "l1", "iso8859-1", "iso_8859-1", "cp819": return "iso-8859-1"
        case "ascii", "us_ascii", "ansi_x3.4-1968", "iso646-us": return "us-ascii"
        case "cp1252", "x-cp1252": return "windows-1252"
        case "gb2312", "gb_2312-80", "x-gbk", "gbk", "euc-cn": return "gb2312"
        case "shift-jis", "sjis", "x-sjis", "ms_kanji": return "shift_jis"
        case "utf-16", "utf16", "unicode", "csunicode", "iso-10646-ucs-2", "ucs-2": return "utf-16"
        case "utf-32", "utf32", "ucs-4", "iso-10646-ucs-4", "csucs4": return "utf-32"
        default: return lower
        }
    }

    // MARK: Transcoding

    /// Decodes `bytes` as `encoding` into UTF-8; nil when the bytes contradict it.
    /// `last` lets the final fallback replace what cannot be read instead of failing.
    static func transcode(_ bytes: [UInt8], from encoding: String, family: String?, last: Bool) -> (
        bytes: [UInt8], replaced: Bool
    )? {
        switch encoding {
        case "utf-8":
            return UTF8Repair.repair(bytes, strict: !last)
        case "us-ascii":
            return bytes.allSatisfy({ $0 < 0x80 }) ? (bytes, false) : nil
        case "utf-16", "utf-32":
            // Without a BOM the byte layout of "<?" says which end is first; bytes with
            // no such layout prove the declaration wrong.
            guard let family, family.hasPrefix(encoding) else { return nil }
            return Iconv.convert(bytes, from: family)
        case "utf-16le", "utf-16be", "utf-32le", "utf-32be":
            // A declared UTF-16/32 over ASCII-compatible bytes is a wrong declaration.
            guard family != nil else { return nil }
            return Iconv.convert(bytes, from: encoding)
        default:
            if family == "ebcdic" {
                // Only an EBCDIC code page turns these bytes back into "<?xml".
                guard let converted = Iconv.convert(bytes, from: encoding), converted.bytes.starts(with: Array("<?xml".utf8))
                else { return nil }
                return converted
            }
            // ASCII-compatible encodings cannot read a UTF-16/32 document.
            if family != nil { return nil }
            return Iconv.convert(bytes, from: encoding)
        }
    }

    // MARK: Cleaning

    /// Removes what XML 1.0 cannot carry (C0 controls but tab, LF, CR; a NUL ends
    /// libxml2's document) and anything before the first `<`.
    static func clean(_ bytes: [UInt8]) -> (bytes: [UInt8], repaired: Bool) {
        bytes.withUnsafeBufferPointer { b in
            let n = b.count
            var start = 0
            while start < n, b[start] != UInt8(ascii: "<") { start += 1 }
            if start == n { start = 0 }
            var junkBefore = false
            for i in 0..<start where !isSpace(b[i]) {
                junkBefore = true
                break
            }
            var firstControl: Int? = nil
            var i = start
            while i < n {
                // Words without a byte below 0x20 are skipped eight bytes at a time.
                let next = ByteScan.skipPlain(b, from: i, below: 0x20)
                if next > i {
                    i = next
                    continue
                }
                let byte = b[i]
                if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D {
                    firstControl = i
                    break
                }
                i += 1
            }
            guard let firstControl else {
                return (start == 0 ? bytes : Array(b[start...]), junkBefore)
            }
            var out: [UInt8] = []
            out.reserveCapacity(n - start)
            out.append(contentsOf: b[start..<firstControl])
            for i in firstControl..<n {
                let byte = b[i]
                if byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { out.append(byte) }
            }
            return (out, true)
        }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}

/// The parts of a Content-Type header that matter for decoding.
struct MediaType {
    var type: String?
    var charset: String?

    init(_ header: String?) {
        guard let header else { return }
        let parts = header.split(separator: ";")
        type = parts.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "charset" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: " \t\"'"))
            if !value.isEmpty { charset = value }
        }
    }

    /// application/xml, application/*+xml, text/xml and friends: RFC 3023's types.
    var isXML: Bool {
        guard let type else { return false }
        return type == "application/xml" || type == "text/xml" || type.hasSuffix("+xml")
            || type == "application/xml-dtd" || type == "application/xml-external-parsed-entity"
            || type == "text/xml-external-parsed-entity"
    }

    /// A text/* type: per RFC 3023, us-ascii unless a charset is given.
    var isText: Bool { type?.hasPrefix("text/") ?? false }

    var isXMLOrText: Bool { isXML || isText }
}

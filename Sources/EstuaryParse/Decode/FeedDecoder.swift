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
/// A document that is mostly UTF-8 with a few broken sequences stays UTF-8
/// (see `UTF8Repair` for what the broken bytes become). A label of ISO-8859-1,
/// windows-1252 or us-ascii on bytes that are valid UTF-8 with multi-byte
/// sequences is overruled too: the bytes are UTF-8.
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
        // A UTF-8 body labelled with a single-byte Western encoding (Apache's AddDefaultCharset, an
        // old template's declaration) would come out as mojibake ("CafÃ©"): text in those encodings
        // practically never forms only valid multi-byte UTF-8 sequences, so such bytes are UTF-8.
        // (text/*'s us-ascii default is no label: it fails on 8-bit bytes and the next candidate decides.)
        lazy var isMultibyteUTF8 = sniffed.family == nil && UTF8Repair.isMultibyte(payload)
        for (index, name) in candidates.enumerated() {
            var encoding = normalize(name)
            let stated = name == declared || name == media.charset
            let mislabelled = stated && ["iso-8859-1", "windows-1252", "us-ascii"].contains(encoding) && isMultibyteUTF8
            if mislabelled { encoding = "utf-8" }
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
            // An encoding the document or the server stated, passed over because the bytes contradict it
            // (or read as UTF-8 instead).
            let overruled = mislabelled || candidates[..<index].contains { $0 == declared || $0 == media.charset }
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
        case "latin1", "latin-1", "l1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "iso-ir-100", "ibm819", "cp819",
            "csisolatin1":
            return "iso-8859-1"
        case "ascii", "us_ascii", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso646-us", "iso_646.irv:1991", "iso-ir-6",
            "ibm367", "cp367", "csascii":
            return "us-ascii"
        case "cp1252", "x-cp1252", "cswindows1252": return "windows-1252"
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
    /// C1 controls in the result ("don\u{92}t": windows-1252 read as Latin-1 somewhere upstream)
    /// are the characters windows-1252 has there, as feedparser reads them: no text means them.
    static func transcode(_ bytes: [UInt8], from encoding: String, family: String?, last: Bool) -> (
        bytes: [UInt8], replaced: Bool
    )? {
        guard var decoded = decode(bytes, from: encoding, family: family, last: last) else { return nil }
        // UTF-8 and ASCII are done: UTF8Repair maps C1 controls itself, found by its own scan.
        if encoding != "utf-8" && encoding != "us-ascii", let mapped = Windows1252.repairC1(decoded.bytes) {
            decoded.bytes = mapped
        }
        return decoded
    }

    private static func decode(_ bytes: [UInt8], from encoding: String, family: String?, last: Bool) -> (
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
    /// libxml2's document) and anything before the document: before the first `<`,
    /// or before the XML declaration or root a server's error message precedes.
    static func clean(_ bytes: [UInt8]) -> (bytes: [UInt8], repaired: Bool) {
        bytes.withUnsafeBufferPointer { b in
            let n = b.count
            var start = 0
            while start < n, b[start] != UInt8(ascii: "<") { start += 1 }
            if start == n { start = 0 }
            if let document = documentAfterWarning(b, from: start) { start = document }
            var junkBefore = false
            for i in 0..<start where !isSpace(b[i]) {
                junkBefore = true
                break
            }
            var firstControl: Int? = nil
            var i = start
            // Eight bytes at a time; a word with a byte below 0x20 (most often a line feed) is
            // looked at byte by byte, then passed whole.
            scan: while i < n {
                let end = min(i + 8, n)
                if end - i == 8,
                    !ByteScan.hasByte(below: 0x20, in: UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self))
                {
                    i = end
                    continue
                }
                for k in i..<end {
                    let byte = b[k]
                    if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D {
                        firstControl = k
                        break scan
                    }
                }
                i = end
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

    /// How far into the body a document is looked for behind a server's warning. PHP's own
    /// warning is about 200 bytes; Xdebug's, with its call-stack table, a few KB each.
    static let warningWindow = 16_384

    /// The HTML a server's error message is made of: PHP's `<br />\n<b>Warning</b>: ...`,
    /// Xdebug's `<font><table><tr><th><span>`, framework notices.
    static let warningTags: Set<[UInt8]> = Set(
        [
            "a", "b", "big", "br", "code", "div", "em", "font", "hr", "i", "p", "pre", "small", "span", "strong", "table",
            "tbody", "td", "th", "thead", "tr", "tt", "u",
        ].map { Array($0.utf8) })

    /// The roots a document behind a warning may start with when it has no XML declaration.
    static let documentRoots: Set<[UInt8]> = Set(["rss", "feed", "rdf:RDF", "opml"].map { Array($0.utf8) })

    /// Where the document starts when a server's warning stands before it (a PHP script that
    /// printed a warning before its feed): the index of the XML declaration or of an `rss`,
    /// `feed`, `rdf:RDF` or `opml` root, found behind nothing but text and the tags of
    /// `warningTags`. Nil when the body starts with its document, or when another tag comes
    /// first: past a document's first element, `<?xml` is content (a code sample in a CDATA
    /// section), never a declaration.
    static func documentAfterWarning(_ b: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let end = min(b.count, warningWindow)
        var i = start
        while i < end {
            guard b[i] == UInt8(ascii: "<") else {
                i += 1
                continue
            }
            var j = i + 1
            if j < end && b[j] == UInt8(ascii: "?") {
                // `<?xml` then white space is the declaration; `<?xml-stylesheet` and other
                // instructions belong to a document.
                let isDeclaration =
                    b[i..<min(end, i + 5)].elementsEqual("<?xml".utf8) && i + 5 < end && isSpace(b[i + 5])
                return isDeclaration && i > start ? i : nil
            }
            // A comment or a DOCTYPE belongs to a document.
            if j < end && b[j] == UInt8(ascii: "!") { return nil }
            if j < end && b[j] == UInt8(ascii: "/") { j += 1 }
            let nameStart = j
            // `<` before anything but a letter is text ("unexpected '<'").
            guard j < end, (0x61...0x7A).contains(b[j] | 0x20) else {
                i = j
                continue
            }
            while j < end, isNameByte(b[j]) { j += 1 }
            let name = Array(b[nameStart..<j])
            if warningTags.contains(name.map { $0 | 0x20 }) {
                i = j
                continue
            }
            let isRoot = nameStart == i + 1 && documentRoots.contains(name)
            return isRoot && i > start ? i : nil
        }
        return nil
    }

    /// An ASCII letter, digit or `:`: enough of an XML name to tell tags apart.
    private static func isNameByte(_ c: UInt8) -> Bool {
        (0x61...0x7A).contains(c | 0x20) || (0x30...0x39).contains(c) || c == UInt8(ascii: ":")
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

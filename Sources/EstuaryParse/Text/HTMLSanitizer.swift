import EstuaryCLibXML2
import EstuaryCore
import Foundation

/// Makes feed HTML safe to show: parse it with libxml2's HTML parser, then
/// re-serialize only what an allow-list accepts. Input is never passed through.
///
/// - Elements outside the allow-list lose their tags but keep their text,
///   except those whose content is code or foreign markup (script, style,
///   applet, SVG, MathML), which go with all they contain.
/// - Attributes outside the allow-list go; so do every `on*` and `style`.
/// - URL attributes keep only the schemes of ``allowedSchemes`` (http, https, mailto, ftp, tel,
///   news, nntp, irc, magnet) and relative URLs,
///   the latter resolved against the base URL. The check runs on the value as a
///   browser would read it: entities decoded by the parser, then ASCII white
///   space and control characters removed, then lowercased; so
///   `jav&#x09;ascript:` and `JaVaScRiPt:` are caught.
enum HTMLSanitizer {
    /// Sanitizes `html`; relative URLs resolve against `base`.
    static func sanitize(_ html: String, base: URL?, writer: SanitizingWriter? = nil) -> String {
        // Nothing that could be markup or an entity: already safe as it is.
        if !html.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) { return html }
        return sanitize(html.utf8, base: base, writer: writer)
    }

    /// Sanitizes the UTF-8 bytes of an HTML fragment. A caller sanitizing many fragments passes
    /// one `writer` for all, so its buffers are allocated once.
    static func sanitize<C: Collection>(_ html: C, base: URL?, writer: SanitizingWriter? = nil) -> String
    where C.Element == UInt8 {
        if !html.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) {
            return String(decoding: html, as: UTF8.self)
        }
        let writer = writer ?? SanitizingWriter()
        LibXML2.ensureInitialized()
        writer.reset(base: base)
        writer.input.append(contentsOf: fragmentOpen.utf8)
        let start = writer.input.count
        writer.input.append(contentsOf: html)
        writer.input.append(contentsOf: fragmentClose.utf8)
        guard parse(with: writer) else { return escape(String(decoding: html, as: UTF8.self)) }
        if writer.closedEarly {
            // The fragment closed the wrapper itself (a `</estuary-fragment>` of its own) and libxml2
            // dropped what followed: once more, with those end tags disarmed. Rare; the usual
            // fragment is parsed once and never scanned for them.
            disarmWrapperEnds(in: &writer.input, from: start, to: writer.input.count - fragmentClose.utf8.count)
            writer.restart()
            guard parse(with: writer) else { return escape(String(decoding: html, as: UTF8.self)) }
        }
        // `&#146;` in HTML is a Windows-1252 byte by number, which libxml2 (HTML 4) reads as a C1
        // control, in text and in attributes alike: mapped once over the whole result.
        return Trim.string(Windows1252.repairC1(writer.out) ?? writer.out)
    }

    /// Streams `writer.input` through libxml2's HTML parser in SAX mode: no tree is built, allowed
    /// elements are written out as the parser reports them. False when libxml2 has no memory.
    private static func parse(with writer: SanitizingWriter) -> Bool {
        var handler = htmlSAXHandler()
        handler.startElement = SanitizingWriter.onStart
        handler.endElement = SanitizingWriter.onEnd
        handler.characters = SanitizingWriter.onCharacters
        handler.ignorableWhitespace = SanitizingWriter.onCharacters
        // Unretained: `withExtendedLifetime` below keeps the writer alive while libxml2 calls back.
        let context = Unmanaged.passUnretained(writer).toOpaque()
        guard let parser = htmlCreatePushParserCtxt(&handler, context, nil, 0, nil, XML_CHAR_ENCODING_UTF8) else {
            return false
        }
        defer { htmlFreeParserCtxt(parser) }
        htmlCtxtUseOptions(parser, fragmentOptions)
        withExtendedLifetime(writer) {
            // Lent to the writer for this parse only, to tell where the wrapper closed.
            writer.parser = parser
            defer { writer.parser = nil }
            writer.input.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    _ = htmlParseChunk(parser, chars.baseAddress, Int32(clamping: chars.count), 1)
                }
            }
        }
        return true
    }

    /// The element a fragment is wrapped in for libxml2's HTML parser: it keeps loose text from
    /// being wrapped in an implied <p>. Not a <div>: a stray </div> in the fragment would close it,
    /// and libxml2 drops whatever follows the root element.
    static let fragmentOpen = "<estuary-fragment>"
    static let fragmentClose = "</estuary-fragment>"

    /// Turns every `</estuary-fragment` in `bytes[start..<end]` (any case) into `</estuary_fragment`,
    /// an end tag libxml2 ignores like any stray one.
    static func disarmWrapperEnds(in bytes: inout [UInt8], from start: Int, to end: Int) {
        let wrapper = HTMLName.listed("estuary-fragment")
        var i = start
        while i + 18 <= end {
            defer { i += 1 }
            // `</` and the wrapper's 16 bytes, compared as the sanitizer compares names.
            guard bytes[i] == UInt8(ascii: "<"), bytes[i + 1] == UInt8(ascii: "/"),
                HTMLName(bytes: bytes[(i + 2)..<(i + 18)]) == wrapper
            else { continue }
            bytes[i + 2 + 7] = UInt8(ascii: "_")
        }
    }

    /// libxml2's HTML options for a fragment. `IGNORE_ENC`: the fragment is UTF-8 already, and a
    /// `<meta charset>` inside it (a whole page pasted into a description) must not re-decode the
    /// rest of it.
    static let fragmentOptions = Int32(
        HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
            | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NOIMPLIED.rawValue | HTML_PARSE_IGNORE_ENC.rawValue)

    /// Plain text as HTML.
    static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        HTMLEscape.append(text.utf8, to: &out, quotes: false)
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: The lists

    /// Elements kept, with their allowed attributes.
    static let allowedElements: Set<String> = [
        "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "bdi", "bdo", "big",
        "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn",
        "dir", "div", "dl", "dt", "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "i", "img", "ins", "kbd", "label", "legend", "li", "map", "mark", "menu", "nav", "ol", "p",
        "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "source", "span", "strike",
        "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "track",
        "tt", "u", "ul", "var", "video", "wbr",
    ]

    /// Elements dropped with everything inside them: their content is code or
    /// foreign markup, never text for the reader. Every other element outside
    /// the allow-list (iframe, object, embed, form, ...) loses its tag, and its
    /// content is kept as fallback text, sanitized like the rest.
    static let droppedWithContent: Set<String> = ["script", "style", "applet", "svg", "math", "template", "xml"]

    static let voidElements: Set<String> = [
        "area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr",
    ]

    static let allowedAttributes: Set<String> = [
        "abbr", "align", "alt", "axis", "bgcolor", "border", "cellpadding", "cellspacing", "char", "charoff", "cite",
        "class", "clear", "color", "cols", "colspan", "compact", "controls", "coords", "datetime", "dir", "face",
        "headers", "height", "href", "hreflang", "hspace", "id", "label", "lang", "longdesc", "loop", "muted",
        "name", "nohref", "noshade", "nowrap", "poster", "rel", "rev", "rows", "rowspan", "rules", "scope", "shape",
        "size", "span", "src", "start", "summary", "target", "title", "type", "usemap", "valign", "value", "vspace",
        "width", "xml:lang",
    ]

    /// Attributes holding a URL: checked against the schemes and resolved.
    static let urlAttributes: Set<String> = ["href", "src", "cite", "longdesc", "poster", "usemap"]

    static let allowedSchemes: Set<String> = ["http", "https", "mailto", "ftp", "tel", "news", "nntp", "irc", "magnet"]

    /// The scheme of a URL attribute's value lowercased, as a browser reads it (ASCII white space and
    /// control characters ignored, so `jav&#x09;ascript:` is `javascript`); nil for a relative URL.
    static func scheme<C: Collection>(of value: C) -> String? where C.Element == UInt8 {
        var scheme: [UInt8] = []
        for byte in value {
            switch byte {
            case 0...0x20, 0x7F: continue
            case UInt8(ascii: ":"): return scheme.isEmpty ? nil : String(decoding: scheme, as: UTF8.self)
            case UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"): return nil
            default: scheme.append(byte.asciiLowercased)
            }
        }
        return nil
    }
}

/// An element or attribute name of up to 16 bytes, ASCII letters lowercased, held in two
/// integers: a table key that costs neither a String nor reference counting.
private struct HTMLName: Hashable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0

    /// Nil when the name is longer than 16 bytes (no name on the lists is).
    init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        var count = 0
        for byte in bytes {
            guard count < 16 else { return nil }
            if count < 8 {
                low |= UInt64(byte.asciiLowercased) << (8 * UInt64(count))
            } else {
                high |= UInt64(byte.asciiLowercased) << (8 * UInt64(count - 8))
            }
            count += 1
        }
    }

    init?(_ name: String) { self.init(bytes: name.utf8) }

    /// A name from the sanitizer's lists, which must all fit.
    static func listed(_ name: String) -> HTMLName {
        guard let key = HTMLName(name) else {
            preconditionFailure("HTMLSanitizer lists \"\(name)\", longer than the 16 bytes an HTMLName holds")
        }
        return key
    }

    init?(_ name: UnsafePointer<xmlChar>) {
        self.init(bytes: UnsafeBufferPointer(start: name, count: strlen(name)))
    }

    /// Appends the (lowercased) name.
    func append(to out: inout [UInt8]) {
        Self.append(low, to: &out)
        Self.append(high, to: &out)
    }

    private static func append(_ word: UInt64, to out: inout [UInt8]) {
        var rest = word
        while rest != 0 {
            out.append(UInt8(truncatingIfNeeded: rest))
            rest >>= 8
        }
    }
}

/// Writes the allowed part of an HTML fragment as libxml2's HTML parser reports it.
/// Reusable, one fragment at a time (``HTMLSanitizer/sanitize(_:base:writer:)``).
final class SanitizingWriter {
    private var base: URL?
    /// Whether relative URLs may be resolved against ``base``: a base that is
    /// itself dangerous must not turn a relative URL into one.
    private var baseIsSafe = true
    /// The fragment as given to libxml2, and what is written of it.
    fileprivate var input: [UInt8] = []
    fileprivate var out: [UInt8] = []
    /// The parser at work, lent by ``HTMLSanitizer`` for one parse (the writer does not own it).
    fileprivate var parser: htmlParserCtxtPtr?
    /// Whether the wrapper element closed before the end of the input: the fragment closed it.
    fileprivate private(set) var closedEarly = false

    /// What happened to each open element, innermost last.
    private var open: [Rule] = []
    /// Inside an element dropped with its content: how deep.
    private var dropping = 0
    private var sawWrapper = false

    /// What to do with an element. Plain values: the stack of them costs no reference counting.
    private enum Rule {
        case drop, unwrap
        case keep(name: HTMLName, isVoid: Bool)
    }

    /// What to do with an attribute.
    private enum AttributeRule {
        case keep, url
    }

    /// The lists as tables keyed by the names' bytes: no String per tag or attribute.
    private static let elementRules: [HTMLName: Rule] = {
        var rules: [HTMLName: Rule] = [:]
        for name in HTMLSanitizer.allowedElements {
            let key = HTMLName.listed(name)
            rules[key] = .keep(name: key, isVoid: HTMLSanitizer.voidElements.contains(name))
        }
        for name in HTMLSanitizer.droppedWithContent { rules[HTMLName.listed(name)] = .drop }
        return rules
    }()

    private static let attributeRules: [HTMLName: AttributeRule] = {
        var rules: [HTMLName: AttributeRule] = [:]
        for name in HTMLSanitizer.allowedAttributes {
            rules[HTMLName.listed(name)] = HTMLSanitizer.urlAttributes.contains(name) ? .url : .keep
        }
        return rules
    }()

    init() {
        input.reserveCapacity(4096)
        out.reserveCapacity(4096)
    }

    /// Ready for a new fragment whose relative URLs resolve against `base`.
    fileprivate func reset(base: URL?) {
        self.base = base
        baseIsSafe = base.map { HTMLSanitizer.allowedSchemes.contains($0.scheme?.lowercased() ?? "") } ?? true
        input.removeAll(keepingCapacity: true)
        restart()
    }

    /// Ready to parse the same input again.
    fileprivate func restart() {
        out.removeAll(keepingCapacity: true)
        open.removeAll(keepingCapacity: true)
        dropping = 0
        sawWrapper = false
        closedEarly = false
    }

    func start(_ name: UnsafePointer<xmlChar>, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        if dropping > 0 {
            dropping += 1
            return
        }
        // The wrapper element and anything nested absurdly deep lose their tags.
        // Names too long for any list lose their tags too.
        var rule = HTMLName(name).flatMap { Self.elementRules[$0] } ?? .unwrap
        if !sawWrapper {
            sawWrapper = true
            rule = .unwrap
        } else if open.count > 256 {
            rule = .unwrap
        }
        open.append(rule)
        switch rule {
        case .drop:
            dropping = 1
        case .unwrap:
            break
        case .keep(let tag, _):
            out.append(UInt8(ascii: "<"))
            tag.append(to: &out)
            if let attributes {
                var i = 0
                while let attributeName = attributes[i] {
                    attribute(attributeName, attributes[i + 1])
                    i += 2
                }
            }
            out.append(UInt8(ascii: ">"))
        }
    }

    func end() {
        if dropping > 1 {
            dropping -= 1
            return
        }
        guard let rule = open.popLast() else { return }
        // The wrapper's own end tag is the input's last bytes; ending before them, it was the fragment's.
        if open.isEmpty, let parser, xmlByteConsumed(parser) < input.count { closedEarly = true }
        switch rule {
        case .drop:
            dropping = 0
        case .unwrap:
            break
        case .keep(let tag, let isVoid):
            guard !isVoid else { return }
            out.append(contentsOf: "</".utf8)
            tag.append(to: &out)
            out.append(UInt8(ascii: ">"))
        }
    }

    func characters(_ text: UnsafeBufferPointer<UInt8>) {
        guard dropping == 0 else { return }
        HTMLEscape.append(text, to: &out, quotes: false)
    }

    private func attribute(_ rawName: UnsafePointer<xmlChar>, _ rawValue: UnsafePointer<xmlChar>?) {
        guard let name = HTMLName(rawName), let kind = Self.attributeRules[name] else { return }
        let value =
            rawValue.map { UnsafeBufferPointer(start: $0, count: strlen($0)) } ?? UnsafeBufferPointer(start: nil, count: 0)
        switch kind {
        case .keep:
            write(name, value)
        case .url:
            let trimmed = Trim.bytes(value)
            if let scheme = HTMLSanitizer.scheme(of: trimmed) {
                guard HTMLSanitizer.allowedSchemes.contains(scheme) else { return }
                write(name, trimmed)
            } else if let base {
                guard baseIsSafe else { return }
                let relative = String(decoding: trimmed, as: UTF8.self)
                let resolved = URL(string: relative, relativeTo: base)?.absoluteString ?? relative
                write(name, resolved.utf8)
            } else {
                write(name, trimmed)
            }
        }
    }

    private func write<C: Collection>(_ name: HTMLName, _ value: C) where C.Element == UInt8 {
        out.append(UInt8(ascii: " "))
        name.append(to: &out)
        out.append(contentsOf: "=\"".utf8)
        HTMLEscape.append(value, to: &out, quotes: true)
        out.append(UInt8(ascii: "\""))
    }

    // MARK: C callbacks (capture-less; the writer travels as user data)

    static let onStart: startElementSAXFunc = { context, name, attributes in
        guard let context, let name else { return }
        Unmanaged<SanitizingWriter>.fromOpaque(context)._withUnsafeGuaranteedRef { $0.start(name, attributes) }
    }

    static let onEnd: endElementSAXFunc = { context, _ in
        guard let context else { return }
        Unmanaged<SanitizingWriter>.fromOpaque(context)._withUnsafeGuaranteedRef { $0.end() }
    }

    static let onCharacters: charactersSAXFunc = { context, characters, length in
        guard let context, let characters, length > 0 else { return }
        Unmanaged<SanitizingWriter>.fromOpaque(context)._withUnsafeGuaranteedRef {
            $0.characters(UnsafeBufferPointer(start: characters, count: Int(length)))
        }
    }
}

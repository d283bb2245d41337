import EstuaryCLibXML2
import Foundation

/// Makes feed HTML safe to show: parse it with libxml2's HTML parser, then
/// re-serialize only what an allow-list accepts. Input is never passed through.
///
/// - Elements outside the allow-list lose their tags but keep their text,
///   except those whose content is code or foreign markup (script, style,
///   applet, SVG, MathML), which go with all they contain.
/// - Attributes outside the allow-list go; so do every `on*` and `style`.
/// - URL attributes keep only http, https, mailto, ftp, tel and relative URLs,
///   the latter resolved against the base URL. The check runs on the value as a
///   browser would read it: entities decoded by the parser, then ASCII white
///   space and control characters removed, then lowercased; so
///   `jav&#x09;ascript:` and `JaVaScRiPt:` are caught.
enum HTMLSanitizer {
    /// Sanitizes `html`; relative URLs resolve against `base`.
    static func sanitize(_ html: String, base: URL?) -> String {
        // Nothing that could be markup or an entity: already safe as it is.
        if !html.utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) { return html }
        LibXML2.ensureInitialized()
        // Streamed through libxml2's HTML parser in SAX mode: no tree is built,
        // allowed elements are written out as the parser reports them.
        let writer = SanitizingWriter(base: base)
        var handler = htmlSAXHandler()
        handler.startElement = SanitizingWriter.onStart
        handler.endElement = SanitizingWriter.onEnd
        handler.characters = SanitizingWriter.onCharacters
        handler.ignorableWhitespace = SanitizingWriter.onCharacters
        let context = Unmanaged.passUnretained(writer).toOpaque()
        guard let parser = htmlCreatePushParserCtxt(&handler, context, nil, 0, nil, XML_CHAR_ENCODING_UTF8) else {
            return escape(html)
        }
        defer { htmlFreeParserCtxt(parser) }
        htmlCtxtUseOptions(parser, options)
        // The <div> keeps libxml2 from wrapping loose text in an implied <p>.
        var wrapped = Array("<div>".utf8)
        wrapped.reserveCapacity(html.utf8.count + 11)
        wrapped.append(contentsOf: html.utf8)
        wrapped.append(contentsOf: "</div>".utf8)
        wrapped.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = htmlParseChunk(parser, chars.baseAddress, Int32(clamping: chars.count), 1)
            }
        }
        return withExtendedLifetime(writer) { Trim.string(writer.out) }
    }

    private static let options = Int32(
        HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
            | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NOIMPLIED.rawValue)

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

    /// The URL to keep for an attribute value, nil when it must go.
    static func safeURL(_ value: String, base: URL?) -> String? {
        if let scheme = scheme(of: value) {
            guard allowedSchemes.contains(scheme) else { return nil }
            return value.trimmed
        }
        let trimmed = value.trimmed
        guard let base else { return trimmed }
        // A base that is itself dangerous must not turn a relative URL into one.
        guard allowedSchemes.contains(base.scheme?.lowercased() ?? "") else { return nil }
        return URL(string: trimmed, relativeTo: base)?.absoluteString ?? trimmed
    }

    /// The scheme of `value` lowercased, as a browser reads it (ASCII white space and control
    /// characters ignored, so `jav&#x09;ascript:` is `javascript`); nil for a relative URL.
    /// On the bytes: no String per attribute.
    static func scheme(of value: String) -> String? {
        var scheme: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case 0...0x20, 0x7F: continue
            case UInt8(ascii: ":"): return scheme.isEmpty ? nil : String(decoding: scheme, as: UTF8.self)
            case UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"): return nil
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): scheme.append(byte | 0x20)
            default: scheme.append(byte)
            }
        }
        return nil
    }
}

/// Writes the allowed part of an HTML fragment as libxml2's HTML parser reports it.
private final class SanitizingWriter {
    let base: URL?
    var out: [UInt8] = []

    /// What happened to each open element, innermost last.
    private var open: [Rule] = []
    /// Inside an element dropped with its content: how deep.
    private var dropping = 0
    private var sawWrapper = false

    enum Rule {
        case drop, unwrap
        case keep(name: [UInt8], isVoid: Bool)
    }

    /// Decisions by libxml2's interned name pointer: a fragment repeats the same few names.
    private var rules: [UnsafePointer<xmlChar>: Rule] = [:]

    init(base: URL?) {
        self.base = base
        out.reserveCapacity(4096)
    }

    private func rule(for name: UnsafePointer<xmlChar>) -> Rule {
        if let known = rules[name] { return known }
        let text = String(cString: name).lowercased()
        let rule: Rule
        if HTMLSanitizer.droppedWithContent.contains(text) {
            rule = .drop
        } else if HTMLSanitizer.allowedElements.contains(text) {
            rule = .keep(name: Array(text.utf8), isVoid: HTMLSanitizer.voidElements.contains(text))
        } else {
            rule = .unwrap
        }
        rules[name] = rule
        return rule
    }

    func start(_ name: UnsafePointer<xmlChar>, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        if dropping > 0 {
            dropping += 1
            return
        }
        // The wrapper <div> and anything nested absurdly deep lose their tags.
        var rule = rule(for: name)
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
            out.append(contentsOf: tag)
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
        switch rule {
        case .drop:
            dropping = 0
        case .unwrap:
            break
        case .keep(let tag, let isVoid):
            guard !isVoid else { return }
            out.append(contentsOf: "</".utf8)
            out.append(contentsOf: tag)
            out.append(UInt8(ascii: ">"))
        }
    }

    func characters(_ text: UnsafeBufferPointer<UInt8>) {
        guard dropping == 0 else { return }
        HTMLEscape.append(text, to: &out, quotes: false)
    }

    private func attribute(_ rawName: UnsafePointer<xmlChar>, _ rawValue: UnsafePointer<xmlChar>?) {
        let name = String(cString: rawName).lowercased()
        guard HTMLSanitizer.allowedAttributes.contains(name) else { return }
        var value = rawValue.map { String(cString: $0) } ?? ""
        if HTMLSanitizer.urlAttributes.contains(name) {
            guard let url = HTMLSanitizer.safeURL(value, base: base) else { return }
            value = url
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "=\"".utf8)
        HTMLEscape.append(value.utf8, to: &out, quotes: true)
        out.append(UInt8(ascii: "\""))
    }

    // MARK: C callbacks (capture-less; the writer travels as user data)

    static let onStart: startElementSAXFunc = { context, name, attributes in
        guard let context, let name else { return }
        Unmanaged<SanitizingWriter>.fromOpaque(context).takeUnretainedValue().start(name, attributes)
    }

    static let onEnd: endElementSAXFunc = { context, _ in
        guard let context else { return }
        Unmanaged<SanitizingWriter>.fromOpaque(context).takeUnretainedValue().end()
    }

    static let onCharacters: charactersSAXFunc = { context, characters, length in
        guard let context, let characters, length > 0 else { return }
        Unmanaged<SanitizingWriter>.fromOpaque(context).takeUnretainedValue()
            .characters(UnsafeBufferPointer(start: characters, count: Int(length)))
    }
}

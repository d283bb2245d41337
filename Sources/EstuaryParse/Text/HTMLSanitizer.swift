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
        let wrapped = "<div>" + html + "</div>"
        let options = Int32(
            HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
                | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_NOIMPLIED.rawValue)
        let document = wrapped.withCString { bytes in
            htmlReadMemory(bytes, Int32(clamping: wrapped.utf8.count), nil, "UTF-8", options)
        }
        guard let document else { return escape(html) }
        defer { xmlFreeDoc(document) }
        var writer = Writer(base: base)
        var node = document.pointee.children
        var unwrapped = false
        while let current = node {
            // The first <div> is the wrapper: its children are the fragment.
            if !unwrapped, current.pointee.type == XML_ELEMENT_NODE, name(of: current) == "div" {
                unwrapped = true
                writer.children(of: current)
            } else {
                writer.node(current)
            }
            node = current.pointee.next
        }
        return Trim.string(writer.out)
    }

    /// Plain text as HTML.
    static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        Writer.appendEscaped(text.utf8, to: &out, quotes: false)
        return String(decoding: out, as: UTF8.self)
    }

    fileprivate static func name(of node: xmlNodePtr) -> String {
        node.pointee.name.map { String(cString: $0).lowercased() } ?? ""
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
        // What a browser would see: ASCII white space and controls are ignored inside a scheme.
        let compact = String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }))
        if let colon = compact.firstIndex(of: ":") {
            let prefix = compact[..<colon]
            let looksLikeScheme = !prefix.isEmpty && !prefix.contains(where: { "/?#".contains($0) })
            if looksLikeScheme {
                guard allowedSchemes.contains(prefix.lowercased()) else { return nil }
                return value.trimmed
            }
        }
        let trimmed = value.trimmed
        guard let base else { return trimmed }
        guard let resolved = URL(string: trimmed, relativeTo: base)?.absoluteString else { return trimmed }
        // A base that is itself dangerous must not turn a relative URL into one.
        if let scheme = URL(string: resolved)?.scheme?.lowercased(), !allowedSchemes.contains(scheme) { return nil }
        return resolved
    }
}

/// Serializes the allowed part of a libxml2 HTML tree.
private struct Writer {
    let base: URL?
    var out: [UInt8] = []
    var depth = 0

    /// What to do with an element, by libxml2's interned name pointer: a
    /// document repeats the same few names, so each is looked up once.
    enum ElementRule {
        case drop, unwrap
        case keep(name: [UInt8], isVoid: Bool)
    }

    private var elementRules: [UnsafePointer<xmlChar>: ElementRule] = [:]

    init(base: URL?) {
        self.base = base
        out.reserveCapacity(4096)
    }

    mutating func children(of node: xmlNodePtr) {
        // Deeply nested input (a hostile feed's million <div>s) stops growing the output past a sane depth.
        guard depth < 256 else { return }
        depth += 1
        var child = node.pointee.children
        while let current = child {
            self.node(current)
            child = current.pointee.next
        }
        depth -= 1
    }

    mutating func node(_ node: xmlNodePtr) {
        switch node.pointee.type {
        case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
            if let content = node.pointee.content {
                Self.appendEscaped(UnsafeBufferPointer(start: content, count: strlen(content)), to: &out, quotes: false)
            }
        case XML_ELEMENT_NODE:
            element(node)
        default:
            // Comments, processing instructions, DTD nodes: dropped.
            break
        }
    }

    private mutating func element(_ node: xmlNodePtr) {
        guard let rawName = node.pointee.name else { return }
        let rule: ElementRule
        if let known = elementRules[rawName] {
            rule = known
        } else {
            let name = String(cString: rawName).lowercased()
            if HTMLSanitizer.droppedWithContent.contains(name) {
                rule = .drop
            } else if HTMLSanitizer.allowedElements.contains(name) {
                rule = .keep(name: Array(name.utf8), isVoid: HTMLSanitizer.voidElements.contains(name))
            } else {
                rule = .unwrap
            }
            elementRules[rawName] = rule
        }
        switch rule {
        case .drop:
            return
        case .unwrap:
            children(of: node)
        case .keep(let name, let isVoid):
            out.append(UInt8(ascii: "<"))
            out.append(contentsOf: name)
            var attribute = node.pointee.properties
            while let current = attribute {
                self.attribute(current)
                attribute = current.pointee.next
            }
            out.append(UInt8(ascii: ">"))
            if isVoid { return }
            children(of: node)
            out.append(contentsOf: "</".utf8)
            out.append(contentsOf: name)
            out.append(UInt8(ascii: ">"))
        }
    }

    private mutating func attribute(_ attribute: xmlAttrPtr) {
        guard let rawName = attribute.pointee.name else { return }
        var name = String(cString: rawName).lowercased()
        if let prefix = attribute.pointee.ns?.pointee.prefix { name = String(cString: prefix).lowercased() + ":" + name }
        guard HTMLSanitizer.allowedAttributes.contains(name) else { return }
        var value = ""
        var child = attribute.pointee.children
        while let text = child {
            if let content = text.pointee.content { value += String(cString: content) }
            child = text.pointee.next
        }
        if HTMLSanitizer.urlAttributes.contains(name) {
            guard let url = HTMLSanitizer.safeURL(value, base: base) else { return }
            value = url
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: "=\"".utf8)
        Self.appendEscaped(value.utf8, to: &out, quotes: true)
        out.append(UInt8(ascii: "\""))
    }

    static func appendEscaped<C: Collection>(_ bytes: C, to out: inout [UInt8], quotes: Bool) where C.Element == UInt8 {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\"") where quotes: out.append(contentsOf: "&quot;".utf8)
            default: out.append(byte)
            }
        }
    }
}

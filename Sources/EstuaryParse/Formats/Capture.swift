import Foundation

/// Where a captured element's text goes.
enum Field {
    case feedTitle, feedSubtitle, feedLink, feedID, feedLanguage, feedUpdated
    case ttl, updatePeriod, updateFrequency, skipHour, skipDay, feedIcon, feedLogo
    case title, link, id
    case guid(isPermaLink: Bool)
    case author, personName, personEmail
    case published, updated, summary, content, category, categoryList
    /// Used only when the item has none of its own (media:title, media:description).
    case fallbackTitle, fallbackSummary
}

/// How an element's text is to be read.
enum TextType: Equatable {
    /// Plain text.
    case text
    /// HTML, escaped in the XML (or in CDATA).
    case html
    /// XHTML markup as child elements (Atom type="xhtml").
    case xhtml
    /// RSS does not say: HTML when it looks like HTML, else text.
    case guess
    /// RSS does not say, for a field that is plain text unless shown otherwise (titles, names,
    /// categories): HTML only as feedparser judges it, by a known element's end tag or a known
    /// entity, and no unknown tag. `Option<T>` and `<jane@example.com>` stay text.
    case guessPlain
    /// Base64 (Atom 0.3 mode="base64", Atom 1.0 binary types), holding HTML or text.
    case base64(html: Bool)
}

/// The text of one element being read, with any child elements kept as markup.
///
/// Two buffers: the raw character data, and the same content re-serialized as
/// markup (text escaped, child elements as tags). An element without children
/// uses the first; one with children (XHTML, or HTML left unescaped in an RSS
/// description) uses the second.
struct Capture {
    let depth: Int
    let field: Field
    let type: TextType
    private var raw: [UInt8] = []
    private var markup: [UInt8] = []
    private var children = 0
    private var markupActive = false

    init(depth: Int, field: Field, type: TextType) {
        self.depth = depth
        self.field = field
        self.type = type
    }

    mutating func append(_ text: UnsafeBufferPointer<UInt8>) {
        raw.append(contentsOf: text)
        if markupActive { HTMLEscape.append(text, to: &markup) }
    }

    mutating func openChild(name: String, attributes: [XMLAttribute]) {
        // The markup copy starts with the first child element: most elements never have one.
        if !markupActive {
            markupActive = true
            HTMLEscape.append(raw, to: &markup)
        }
        children += 1
        markup.append(UInt8(ascii: "<"))
        markup.append(contentsOf: name.utf8)
        for attribute in attributes {
            markup.append(contentsOf: " \(attribute.name)=\"".utf8)
            HTMLEscape.append(attribute.value.utf8, to: &markup, quotes: true)
            markup.append(UInt8(ascii: "\""))
        }
        markup.append(UInt8(ascii: ">"))
    }

    mutating func closeChild(name: String) {
        if Self.voidElements.contains(name), markup.last == UInt8(ascii: ">") {
            // <br></br> reads as two line breaks in HTML; write <br> once.
            return
        }
        markup.append(contentsOf: "</\(name)>".utf8)
    }

    private static let voidElements: Set<String> = [
        "br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr", "param",
    ]

    /// The character data, trimmed: for URLs, ids, dates and numbers. Base64 is decoded.
    func rawText() -> String {
        let text = Trim.string(raw)
        guard case .base64 = type else { return text }
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else { return text }
        return Trim.string(Array(data))
    }

    /// The text outside child elements only (a category with an image inside it).
    var hasChildren: Bool { children > 0 }

    /// The content as plain text (titles, names, categories).
    func plainText() -> String? {
        let text: String
        switch resolvedType {
        case .text: text = rawText()
        case .html: text = HTMLText.plainText(children > 0 ? markupText() : rawText())
        case .xhtml, .guess, .guessPlain: text = HTMLText.plainText(markupText())
        case .base64: text = rawText()
        }
        // `&amp;#146;` in a title read as HTML, or a C1 control in the text: Windows-1252's character.
        let trimmed = Windows1252.repairingC1(text).trimmed
        return trimmed.isEmpty ? nil : trimmed
    }

    /// The content as HTML (summaries and bodies); plain text is escaped.
    func html() -> String? {
        let html: String
        switch resolvedType {
        case .text:
            html = children > 0 ? markupText() : HTMLSanitizer.escape(Windows1252.repairingC1(rawText()))
        case .html:
            html = children > 0 ? markupText() : rawText()
        case .xhtml, .guess, .guessPlain:
            html = Self.unwrapDiv(markupText())
        case .base64:
            html = rawText()
        }
        return html.isEmpty ? nil : html
    }

    /// The bytes of HTML escaped in the XML, trimmed, as ``html()`` would return them; nil for
    /// every other kind of content (text, markup as child elements, base64).
    func escapedHTML() -> ArraySlice<UInt8>? {
        guard children == 0, type == .html || (type == .guess && resolvedType == .html) else { return nil }
        return Trim.bytes(raw)
    }

    private func markupText() -> String {
        if markupActive { return Trim.string(markup) }
        var escaped: [UInt8] = []
        HTMLEscape.append(raw, to: &escaped)
        return Trim.string(escaped)
    }

    /// False for plain text, which ``html()`` escapes and which needs no sanitizing. Child elements
    /// are markup whatever the declared type says: `type="text"` (Atom's default) around elements
    /// comes out as their tags, so it is sanitized like any other HTML.
    var isMarkup: Bool { children > 0 || resolvedType != .text }

    /// `.guess` settled: child elements or something that looks like a tag or entity make it HTML.
    private var resolvedType: TextType {
        switch type {
        case .guess:
            if children > 0 { return .xhtml }
            return Self.looksLikeHTML(raw) ? .html : .text
        case .guessPlain:
            if children > 0 { return .xhtml }
            return Self.isHTMLText(raw) ? .html : .text
        case .base64(let html):
            return html ? .html : .text
        default:
            return type
        }
    }

    /// A tag (`<p`, `</p`, `<!--`) or an entity reference (`&amp;`, `&#8217;`) in the text.
    static func looksLikeHTML(_ bytes: [UInt8]) -> Bool {
        var i = 0
        while i < bytes.count - 1 {
            let b = bytes[i]
            let next = bytes[i + 1]
            if b == UInt8(ascii: "<"), isLetter(next) || next == UInt8(ascii: "/") || next == UInt8(ascii: "!") {
                return true
            }
            if b == UInt8(ascii: "&") {
                var j = i + 1
                while j < bytes.count, j - i <= 32, isLetter(bytes[j]) || isDigit(bytes[j]) || bytes[j] == UInt8(ascii: "#") {
                    j += 1
                }
                if j > i + 1, j < bytes.count, bytes[j] == UInt8(ascii: ";") { return true }
            }
            i += 1
        }
        return false
    }

    /// feedparser's test for text that is HTML: an end tag (`</b>`) or a reference (`&amp;`,
    /// `&#8217;`); every tag an element of feedparser's list, every named reference one HTML defines.
    static func isHTMLText(_ bytes: [UInt8]) -> Bool {
        var evidence = false
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            guard b == UInt8(ascii: "<") || b == UInt8(ascii: "&") else {
                i += 1
                continue
            }
            var j = i + 1
            let closing = b == UInt8(ascii: "<") && j < bytes.count && bytes[j] == UInt8(ascii: "/")
            let numeric = b == UInt8(ascii: "&") && j < bytes.count && bytes[j] == UInt8(ascii: "#")
            if closing || numeric { j += 1 }
            let start = j
            while j < bytes.count, isWordByte(bytes[j]) { j += 1 }
            defer { i = max(j, i + 1) }
            guard j > start else { continue }
            let name = String(decoding: bytes[start..<j], as: UTF8.self)
            if b == UInt8(ascii: "<") {
                guard Self.htmlTextElements.contains(name.lowercased()) else { return false }
                if closing, j < bytes.count, bytes[j] == UInt8(ascii: ">") { evidence = true }
            } else if j < bytes.count, bytes[j] == UInt8(ascii: ";") {
                guard numeric || HTMLEntities.scalars(named: Substring(name)) != nil else { return false }
                evidence = true
            }
        }
        return evidence
    }

    /// The elements feedparser's test accepts as HTML in text (its sanitizer's list).
    private static let htmlTextElements: Set<String> = [
        "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "big", "blockquote", "br", "button",
        "canvas", "caption", "center", "cite", "code", "col", "colgroup", "command", "datagrid", "datalist", "dd", "del",
        "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "event-source", "fieldset", "figcaption", "figure",
        "font", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "input", "ins", "kbd",
        "keygen", "label", "legend", "li", "m", "map", "menu", "meter", "multicol", "nav", "nextid", "noscript", "ol",
        "optgroup", "option", "output", "p", "pre", "progress", "q", "s", "samp", "section", "select", "small", "sound",
        "source", "spacer", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "textarea", "tfoot", "th",
        "thead", "time", "tr", "tt", "u", "ul", "var", "video",
    ]

    private static func isWordByte(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == UInt8(ascii: "_") }

    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Atom XHTML content sits in one `<div>` that is not part of the content.
    static func unwrapDiv(_ markup: String) -> String {
        guard markup.hasPrefix("<div"), markup.hasSuffix("</div>"),
            let open = markup.firstIndex(of: ">")
        else { return markup }
        let inner = markup[markup.index(after: open)..<markup.index(markup.endIndex, offsetBy: -6)]
        // Only when that div wraps everything: no second top-level div closes early.
        var depth = 0
        var rest = inner[...]
        while let lt = rest.firstIndex(of: "<") {
            let tail = rest[lt...]
            if tail.hasPrefix("<div") {
                depth += 1
            } else if tail.hasPrefix("</div") {
                depth -= 1
                if depth < 0 { return markup }
            }
            rest = tail.dropFirst()
        }
        return inner.trimmed
    }
}

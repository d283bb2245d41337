import EstuaryCore

extension FeedBuilder {
    /// Elements of Atom 1.0 and Atom 0.3. `core` is true for Atom's own vocabulary.
    func startAtom(namespace: Namespace, core: Bool, name: String, attributes: [XMLAttribute]) {
        func attribute(_ key: String) -> String? {
            attributes.first { $0.name == key && $0.namespace == nil }?.value
        }
        if let person {
            if core, depth == person.depth + 1 {
                switch name {
                case "name": begin(.personName, .text)
                case "email": begin(.personEmail, .text)
                default: break
                }
            }
            return
        }
        // Fields are direct children of feed (depth 2) or entry; an unknown
        // element's own title or id (an entry's <image><title>) is not the entry's.
        let level = inItem ? itemDepth + 1 : 2
        if core, name == "entry", !inItem {
            startItem()
            return
        }
        guard depth == level || (inItem && inAtomMediaGroup(namespace)) else { return }
        guard core else {
            startAtomForeign(namespace: namespace, name: name, attributes: attributes)
            return
        }
        let type = Self.textType(type: attribute("type"), mode: attribute("mode"))
        switch name {
        case "source":
            // An entry's atom:source describes the feed it came from; its title and id are not the entry's.
            skip()
        case "title":
            begin(inItem ? .title : .feedTitle, type)
        case "subtitle", "tagline":
            if !inItem { begin(.feedSubtitle, type) }
        case "id":
            begin(inItem ? .id : .feedID, .text)
        case "updated", "modified":
            begin(inItem ? .updated : .feedUpdated, .text)
        case "published", "issued":
            if inItem { begin(.published, .text) }
        case "author":
            if inItem { person = (depth, nil, nil) }
        case "icon":
            if !inItem { begin(.feedIcon, .text) }
        case "logo":
            if !inItem { begin(.feedLogo, .text) }
        case "category":
            if let term = attribute("term") ?? attribute("label"), !term.isEmpty { item?.categories.append(term) }
        case "link":
            atomLink(href: attribute("href"), rel: attribute("rel"), type: attribute("type"), length: attribute("length"))
        case "summary":
            if inItem { begin(.summary, type) }
        case "content":
            // Out-of-line content (src=) is a link to the body, not the body.
            if inItem, attribute("src") == nil { begin(.content, type) }
        default:
            break
        }
    }

    /// Dublin Core, iTunes and Media RSS inside an Atom feed or entry.
    private func startAtomForeign(namespace: Namespace, name: String, attributes: [XMLAttribute]) {
        guard inItem else { return }
        switch (namespace, name) {
        case (.dc, "creator"), (.dc, "author"), (.itunes, "author"): begin(.author, .text)
        case (.dc, "subject"), (.media, "category"): begin(.category, .text)
        case (.dc, "title"): begin(.title, .text)
        case (.media, "title"): begin(.fallbackTitle, .text)
        case (.dc, "description"): begin(.summary, .guess)
        case (.itunes, "summary"): begin(.fallbackSummary, .guess)
        case (.media, "description"):
            let html = attributes.first { $0.name == "type" }?.value == "html"
            begin(.fallbackSummary, html ? .html : .guess)
        case (.dcterms, "issued"): begin(.published, .text)
        case (.dc, "date"), (.dcterms, "modified"): begin(.updated, .text)
        case (.media, "group"): mediaGroupDepth = depth
        case (.media, "content"): addMediaContent(attributes)
        default: break
        }
    }

    private func inAtomMediaGroup(_ namespace: Namespace) -> Bool {
        guard let mediaGroupDepth, namespace == .media else { return false }
        return depth == mediaGroupDepth + 1
    }

    private func atomLink(href: String?, rel: String?, type: String?, length: String?) {
        guard let href, !href.isEmpty else { return }
        // Relation names and media types are case-insensitive (RFC 8288, RFC 6838).
        switch rel?.trimmedWhitespace.lowercased() ?? "alternate" {
        case "alternate", "http://www.iana.org/assignments/relation/alternate":
            // Prefer the HTML page among several alternates.
            let mime = type?.trimmedWhitespace.lowercased()
            let isHTML = mime == nil || mime == "text/html" || mime == "application/xhtml+xml"
            offerLink(href, rank: isHTML ? 3 : 2)
        case "enclosure":
            if inItem { addEnclosure(url: href, type: type, length: length) }
        default:
            break
        }
    }

    /// Atom's `type` (1.0: text, html, xhtml or a MIME type) and 0.3's `mode` (xml, escaped, base64).
    static func textType(type: String?, mode: String?) -> TextType {
        let mime = type?.lowercased().trimmedWhitespace
        let html = mime == "html" || mime == "text/html"
        switch mode?.lowercased() {
        case "escaped": return .html
        case "xml": return .xhtml
        case "base64": return .base64(html: html)
        default: break
        }
        switch mime {
        case nil, "", "text", "text/plain": return .text
        case "html", "text/html": return .html
        case "xhtml", "application/xhtml+xml": return .xhtml
        case let other?:
            // Atom 1.0: other text and XML types are inline; anything else is base64 (RFC 4287 4.1.3.3).
            if other.hasPrefix("text/") { return .text }
            if other.hasSuffix("/xml") || other.hasSuffix("+xml") { return .xhtml }
            return .base64(html: false)
        }
    }
}

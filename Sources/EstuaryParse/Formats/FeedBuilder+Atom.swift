import EstuaryCore

extension FeedBuilder {
    /// Elements of Atom 1.0 and Atom 0.3.
    func startAtom(namespace: Namespace, core: Bool, name: String, attributes: [XMLAttribute]) {
        guard core else {
            if item != nil { startAtomForeign(namespace: namespace, name: name) }
            return
        }
        func attribute(_ key: String) -> String? {
            attributes.first { $0.name == key && $0.namespace == nil }?.value
        }
        if person != nil {
            switch name {
            case "name": begin(.personName, .text)
            case "email": begin(.personEmail, .text)
            default: break
            }
            return
        }
        switch name {
        case "entry":
            startItem()
        case "source":
            // An entry's atom:source describes the feed it came from; its title and id are not the entry's.
            skip()
        case "title":
            begin(item == nil ? .feedTitle : .title, Self.textType(type: attribute("type"), mode: attribute("mode")))
        case "subtitle", "tagline":
            if item == nil { begin(.feedSubtitle, Self.textType(type: attribute("type"), mode: attribute("mode"))) }
        case "id":
            begin(item == nil ? .feedID : .id, .text)
        case "updated", "modified":
            begin(item == nil ? .feedUpdated : .updated, .text)
        case "published", "issued":
            if item != nil { begin(.published, .text) }
        case "author":
            if item != nil { person = (depth, nil, nil) } else { skip() }
        case "contributor":
            skip()
        case "category":
            if let term = attribute("term") ?? attribute("label"), !term.isEmpty { item?.categories.append(term) }
        case "link":
            atomLink(href: attribute("href"), rel: attribute("rel"), type: attribute("type"), length: attribute("length"))
        case "summary":
            if item != nil { begin(.summary, Self.textType(type: attribute("type"), mode: attribute("mode"))) }
        case "content":
            // Out-of-line content (src=) is a link to the body, not the body.
            if item != nil, attribute("src") == nil {
                begin(.content, Self.textType(type: attribute("type"), mode: attribute("mode")))
            }
        default:
            break
        }
    }

    /// Dublin Core and friends inside an Atom entry.
    private func startAtomForeign(namespace: Namespace, name: String) {
        switch (namespace, name) {
        case (.dc, "creator"): begin(.author, .text)
        case (.dc, "subject"): begin(.category, .text)
        case (.dcterms, "issued"): begin(.published, .text)
        case (.dc, "date"), (.dcterms, "modified"): begin(.updated, .text)
        default: break
        }
    }

    private func atomLink(href: String?, rel: String?, type: String?, length: String?) {
        guard let href, !href.isEmpty else { return }
        switch rel?.trimmingCharacters(in: .whitespaces) ?? "alternate" {
        case "alternate", "http://www.iana.org/assignments/relation/alternate":
            // Prefer the HTML page among several alternates.
            let isHTML = type == nil || type == "text/html" || type == "application/xhtml+xml"
            offerLink(href, rank: isHTML ? 3 : 2)
        case "enclosure":
            if item != nil {
                let size = length.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                item!.enclosures.append(Enclosure(url: resolve(href), type: type?.nonEmpty, length: size))
            }
        default:
            break
        }
    }

    /// Atom's `type` (1.0: text, html, xhtml or a MIME type) and 0.3's `mode` (xml, escaped, base64).
    static func textType(type: String?, mode: String?) -> TextType {
        switch mode?.lowercased() {
        case "escaped": return .html
        case "xml": return .xhtml
        default: break
        }
        switch type?.lowercased().trimmingCharacters(in: .whitespaces) {
        case nil, "", "text", "text/plain": return .text
        case "html", "text/html": return .html
        case "xhtml", "application/xhtml+xml": return .xhtml
        default: return .text
        }
    }
}

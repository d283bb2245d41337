import EstuaryCore

extension FeedBuilder {
    /// Elements of RSS 0.9x, 1.0 (RDF) and 2.0, and the modules they commonly carry.
    /// `core` is true for the feed's own vocabulary (no namespace, or the root's).
    func startRSS(namespace: Namespace, core: Bool, name: String, attributes: [XMLAttribute]) {
        if core, name == "channel" || name == "item" { noteRDFNamespace(namespace) }
        if core, name == "item" {
            startItem(id: attributes.first { $0.name == "about" && Namespace($0.namespace) == .rdf }?.value)
            return
        }
        // Children of the channel in RSS 2.0 (depth 3), of the root beside it in RSS 1.0 (depth 2).
        if core, ["image", "textInput", "textinput", "source", "cloud"].contains(name), inItem || depth == 3 || depth == 2 {
            // Their title and link are not the channel's or the item's; the channel image is its logo.
            if name == "image", !inItem { imageDepth = depth } else { skip() }
            return
        }
        if let imageDepth, depth == imageDepth + 1 {
            if core, name == "url" { begin(.feedLogo, .text) }
            return
        }
        if inItem {
            if depth == itemDepth + 1 || inMediaGroup(namespace) {
                startRSSItemElement(namespace: core ? .none : namespace, name: name, attributes: attributes)
            }
        } else {
            startRSSChannelElement(namespace: core ? .none : namespace, name: name)
        }
    }

    private func startRSSItemElement(namespace: Namespace, name: String, attributes: [XMLAttribute]) {
        func attribute(_ key: String) -> String? { attributes.first { $0.name == key && $0.namespace == nil }?.value }
        switch (namespace, name) {
        case (.none, "title"), (.dc, "title"): begin(.title, .guessPlain)
        case (.media, "title"): begin(.fallbackTitle, .guessPlain)
        case (.none, "link"): begin(.link, .text)
        case (.none, "description"), (.dc, "description"): begin(.summary, .guess)
        // Podcasts repeat their HTML show notes as plain text in itunes:summary: the notes win.
        case (.itunes, "summary"): begin(.fallbackSummary, .guess)
        case (.media, "description"): begin(.fallbackSummary, attribute("type") == "html" ? .html : .guess)
        case (.none, "guid"):
            let permaLink = attribute("isPermaLink")?.lowercased() != "false"
            begin(.guid(isPermaLink: permaLink), .text)
        case (.none, "pubDate"), (.dcterms, "issued"): begin(.published, .text)
        case (.dc, "date"), (.dcterms, "modified"): begin(.updated, .text)
        case (.none, "author"), (.dc, "creator"), (.dc, "author"), (.itunes, "author"): begin(.author, .guessPlain)
        case (.none, "category"), (.dc, "subject"), (.media, "category"): begin(.category, .guessPlain)
        case (.none, "tags"): begin(.categoryList, .text)
        case (.itunes, "category"):
            if let text = attribute("text")?.trimmedWhitespace, !text.isEmpty {
                item?.categories.append(text)
            }
        case (.itunes, "keywords"): begin(.categoryList, .text)
        case (.content, "encoded"), (.none, "fullitem"): begin(.content, .html)
        case (.xhtml, "body"), (.none, "body"): begin(.content, .xhtml)
        case (.none, "enclosure"):
            if let url = attribute("url"), !url.isEmpty {
                addEnclosure(url: url, type: attribute("type"), length: attribute("length"))
            }
        case (.media, "content"): addMediaContent(attributes)
        case (.media, "group"):
            mediaGroupDepth = depth
        default: break
        }
    }

    private func startRSSChannelElement(namespace: Namespace, name: String) {
        if let skipListDepth, depth == skipListDepth + 1 {
            if name == "hour" { begin(.skipHour, .text) } else if name == "day" { begin(.skipDay, .text) }
            return
        }
        // Channel fields are direct children of channel (depth 3 in RSS 2.0 and RDF).
        guard depth == 3 else { return }
        switch (namespace, name) {
        case (.none, "title"), (.dc, "title"): begin(.feedTitle, .guessPlain)
        case (.none, "link"): begin(.feedLink, .text)
        case (.none, "description"), (.itunes, "summary"), (.itunes, "subtitle"): begin(.feedSubtitle, .guess)
        case (.none, "language"), (.dc, "language"): begin(.feedLanguage, .text)
        case (.none, "lastBuildDate"), (.dc, "date"), (.dcterms, "modified"): begin(.feedUpdated, .text)
        case (.none, "ttl"): begin(.ttl, .text)
        case (.sy, "updatePeriod"): begin(.updatePeriod, .text)
        case (.sy, "updateFrequency"): begin(.updateFrequency, .text)
        case (.none, "skipHours"), (.none, "skipDays"): skipListDepth = depth
        default: break
        }
    }

    /// True inside an item's media:group, whose media elements describe the item.
    private func inMediaGroup(_ namespace: Namespace) -> Bool {
        guard let mediaGroupDepth, namespace == .media else { return false }
        return depth == mediaGroupDepth + 1
    }
}

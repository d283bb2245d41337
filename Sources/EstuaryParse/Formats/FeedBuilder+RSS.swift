import EstuaryCore

extension FeedBuilder {
    /// Elements of RSS 0.9x, 1.0 (RDF) and 2.0, and the modules they commonly carry.
    func startRSS(namespace: Namespace, core: Bool, name: String, attributes: [XMLAttribute]) {
        if core, name == "channel" || name == "item" { noteRDFNamespace(namespace) }
        if core, name == "item" {
            startItem(id: attributes.first { $0.name == "about" && Namespace($0.namespace) == .rdf }?.value)
            return
        }
        if core, ["image", "textInput", "textinput", "source", "skipHours", "skipDays", "cloud"].contains(name) {
            skip()
            return
        }
        if item != nil {
            startRSSItemElement(namespace: namespace, core: core, name: name, attributes: attributes)
        } else {
            startRSSChannelElement(namespace: namespace, core: core, name: name)
        }
    }

    private func startRSSItemElement(namespace: Namespace, core: Bool, name: String, attributes: [XMLAttribute]) {
        switch (core ? .none : namespace, name) {
        case (.none, "title"): begin(.title, .guess)
        case (.none, "link"): begin(.link, .text)
        case (.none, "description"): begin(.summary, .guess)
        case (.none, "guid"):
            let permaLink = attributes.first { $0.name == "isPermaLink" }?.value.lowercased() != "false"
            begin(.guid(isPermaLink: permaLink), .text)
        case (.none, "pubDate"), (.dcterms, "issued"): begin(.published, .text)
        case (.dc, "date"), (.dcterms, "modified"): begin(.updated, .text)
        case (.none, "author"), (.dc, "creator"), (.itunes, "author"): begin(.author, .guess)
        case (.none, "category"), (.dc, "subject"): begin(.category, .guess)
        case (.content, "encoded"): begin(.content, .html)
        case (.none, "enclosure"):
            if let url = attributes.first(where: { $0.name == "url" })?.value, !url.isEmpty {
                let type = attributes.first { $0.name == "type" }?.value.nonEmpty
                let length = attributes.first { $0.name == "length" }.flatMap {
                    Int($0.value.trimmingCharacters(in: .whitespaces))
                }
                item?.enclosures.append(Enclosure(url: resolve(url), type: type, length: length))
            }
        default: break
        }
    }

    private func startRSSChannelElement(namespace: Namespace, core: Bool, name: String) {
        // Channel fields are direct children of channel (depth 3 in RSS 2.0 and RDF).
        guard depth == 3 else { return }
        switch (core ? .none : namespace, name) {
        case (.none, "title"): begin(.feedTitle, .guess)
        case (.none, "link"): begin(.feedLink, .text)
        case (.none, "description"): begin(.feedSubtitle, .guess)
        case (.none, "language"), (.dc, "language"): begin(.feedLanguage, .text)
        case (.none, "lastBuildDate"), (.dc, "date"), (.dcterms, "modified"): begin(.feedUpdated, .text)
        case (.none, "ttl"): begin(.ttl, .text)
        case (.sy, "updatePeriod"): begin(.updatePeriod, .text)
        case (.sy, "updateFrequency"): begin(.updateFrequency, .text)
        default: break
        }
    }
}

import EstuaryCore
import Foundation

/// Builds a ``FeedDocument`` from SAX events: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0.
///
/// The format is detected from the root element. Elements of interest start a
/// ``Capture`` of their text; when the element ends, the text is converted by
/// its content type (text, HTML, XHTML) and stored in the field it maps to.
/// An item is added only when its end tag arrives, so a truncated document
/// yields the items that were complete.
final class FeedBuilder: SAXReceiver {
    private(set) var format: FeedFormat?
    /// The root element's name when it is not a feed's.
    private(set) var foreignRoot: String?
    private(set) var metadata = FeedMetadata()
    private(set) var items: [FeedItem] = []

    struct Frame {
        let namespace: Namespace
        let name: String
        let base: URL?
    }

    private var stack: [Frame] = []
    /// The root element's namespace: elements in it belong to the feed's own vocabulary.
    private var rootURI: String?
    private let documentURL: URL?
    var depth: Int { stack.count }

    // The item being read and its depth.
    var item: FeedItem?
    var itemDepth = 0
    var itemGUID: (value: String, isPermaLink: Bool)?
    var itemLinkRank = 0
    var feedLinkRank = 0

    // The text being captured, and a subtree being skipped (image, atom:source, ...).
    var capture: Capture?
    var skipDepth: Int?

    // An Atom person construct (author) being read.
    var person: (depth: Int, name: String?, email: String?)?

    /// Whether bodies go through ``HTMLSanitizer`` (always, but for measuring the parser alone).
    private let sanitize: Bool

    init(documentURL: URL?, sanitize: Bool = true) {
        self.documentURL = documentURL
        self.sanitize = sanitize
    }

    var document: FeedDocument? {
        guard let format else { return nil }
        return FeedDocument(format: format, metadata: metadata, items: items)
    }

    /// The base URL in effect for the current element.
    var base: URL? { stack.last?.base ?? documentURL }

    // MARK: SAXReceiver

    func startElement(namespace uri: String?, name: String, attributes: [XMLAttribute], parser: PushParser) {
        let namespace = Namespace(uri)
        if capture != nil {
            capture!.openChild(name: name, attributes: attributes)
            stack.append(Frame(namespace: namespace, name: name, base: base))
            return
        }
        var frameBase = base
        if let xmlBase = attributes.first(where: { $0.name == "base" && Namespace($0.namespace) == .xml })?.value {
            frameBase = URL(string: xmlBase, relativeTo: frameBase)?.absoluteURL ?? frameBase
        }
        stack.append(Frame(namespace: namespace, name: name, base: frameBase))

        if depth == 1 {
            guard let detected = Self.detect(namespace: namespace, name: name, attributes: attributes) else {
                foreignRoot = name
                parser.stop()
                return
            }
            format = detected
            rootURI = uri
            if let lang = attributes.first(where: { $0.name == "lang" && Namespace($0.namespace) == .xml })?.value {
                metadata.language = lang
            }
            return
        }
        guard skipDepth == nil else { return }
        // The feed's own vocabulary: no namespace, the root's namespace, or the format's known ones.
        let core = namespace == .none || (uri != nil && uri == rootURI)
        switch format {
        case .atom10, .atom03:
            startAtom(
                namespace: namespace, core: core || namespace == .atom10 || namespace == .atom03, name: name,
                attributes: attributes)
        case .json10, .json11, nil: break
        default:
            startRSS(
                namespace: namespace, core: core || namespace == .rss10 || namespace == .rss090, name: name,
                attributes: attributes)
        }
    }

    func endElement(namespace uri: String?, name: String) {
        defer { stack.removeLast() }
        if var current = capture {
            if depth > current.depth {
                current.closeChild(name: name)
                capture = current
                return
            }
            capture = nil
            finish(current)
        }
        if skipDepth == depth {
            skipDepth = nil
            return
        }
        if let p = person, p.depth == depth {
            person = nil
            if item != nil, name == "author", item!.author == nil {
                item!.author = p.name ?? p.email
            }
        }
        if item != nil, depth == itemDepth {
            finishItem()
        }
    }

    func characters(_ text: UnsafeBufferPointer<UInt8>) {
        capture?.append(text)
    }

    // MARK: Shared steps

    /// Starts capturing the current element's text for `field`.
    func begin(_ field: Field, _ type: TextType) {
        capture = Capture(depth: depth, field: field, type: type)
    }

    /// Skips the current element's subtree.
    func skip() { skipDepth = depth }

    func startItem(id: String? = nil) {
        item = FeedItem(id: id)
        itemDepth = depth
        itemGUID = nil
        itemLinkRank = 0
    }

    private func finishItem() {
        guard var finished = item else { return }
        if let guid = itemGUID {
            if finished.id == nil { finished.id = guid.value }
            if finished.link == nil, guid.isPermaLink, guid.value.hasPrefix("http://") || guid.value.hasPrefix("https://") {
                finished.link = guid.value
            }
        }
        items.append(finished)
        item = nil
        itemDepth = 0
    }

    /// Resolves a URL against the base in effect; keeps the text when it is not a URL at all.
    func resolve(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return trimmed }
        return URL(string: trimmed, relativeTo: base)?.absoluteString ?? trimmed
    }

    /// Offers a link for the item or the feed; a better-ranked one replaces a worse one, never an equal.
    func offerLink(_ href: String, rank: Int) {
        if item != nil {
            if rank > itemLinkRank {
                item!.link = resolve(href)
                itemLinkRank = rank
            }
        } else if rank > feedLinkRank {
            metadata.link = resolve(href)
            feedLinkRank = rank
        }
    }

    private func finish(_ capture: Capture) {
        let field = capture.field
        switch field {
        case .feedTitle: metadata.title = capture.plainText()
        case .feedSubtitle: metadata.subtitle = body(capture)
        case .feedLink: offerLink(capture.rawText(), rank: 1)
        case .feedID: metadata.id = capture.rawText().nonEmpty
        case .feedLanguage: metadata.language = capture.rawText().nonEmpty ?? metadata.language
        case .feedUpdated: metadata.updated = FeedDate.parse(capture.rawText()) ?? metadata.updated
        case .ttl: metadata.hints.ttlMinutes = Int(capture.rawText())
        case .updatePeriod: metadata.hints.updatePeriod = capture.rawText().lowercased().nonEmpty
        case .updateFrequency: metadata.hints.updateFrequency = Int(capture.rawText())
        case .title: item?.title = capture.plainText()
        case .link: offerLink(capture.rawText(), rank: 1)
        case .id: item?.id = capture.rawText().nonEmpty
        case .guid(let isPermaLink):
            if let value = capture.rawText().nonEmpty { itemGUID = (value, isPermaLink) }
        case .author:
            if item?.author == nil { item?.author = capture.plainText()?.nonEmpty }
        case .personName: person?.name = capture.plainText()?.nonEmpty
        case .personEmail: person?.email = capture.rawText().nonEmpty
        case .published:
            if item?.published == nil { item?.published = FeedDate.parse(capture.rawText()) }
        case .updated:
            if item?.updated == nil { item?.updated = FeedDate.parse(capture.rawText()) }
        case .summary:
            if item?.summary == nil { item?.summary = body(capture) }
        case .content:
            if item?.content == nil { item?.content = body(capture) }
        case .category:
            if let term = capture.plainText()?.nonEmpty { item?.categories.append(term) }
        }
    }

    /// A body as safe HTML: sanitized, relative URLs resolved against the base in effect.
    private func body(_ capture: Capture) -> String? {
        guard let html = capture.html() else { return nil }
        return sanitize && capture.isMarkup ? HTMLSanitizer.sanitize(html, base: base) : html
    }

    // MARK: Detection

    private static func detect(namespace: Namespace, name: String, attributes: [XMLAttribute]) -> FeedFormat? {
        let version = attributes.first { $0.name == "version" && $0.namespace == nil }?.value
            .trimmingCharacters(in: .whitespaces)
        switch (namespace, name) {
        case (.rdf, "RDF"):
            return .rss10
        case (_, "rss"):
            // Namespaced RSS 2.0 (http://backend.userland.com/rss2) is still RSS 2.0.
            switch version {
            case "0.91": return .rss091
            case "0.92": return .rss092
            case "0.93": return .rss093
            case "0.94": return .rss094
            default: return .rss20
            }
        case (.atom10, "feed"):
            return .atom10
        case (_, "feed"):
            // Atom 0.3 and its draft namespaces (purl.org/echo, purl.org/pie, ...), or no namespace at all.
            return namespace == .atom03 || version == "0.3" || version == "0.2" || version == "0.1" ? .atom03 : .atom10
        default:
            return nil
        }
    }

    /// RSS 0.90 uses its own namespace inside rdf:RDF; seen on its first channel or item.
    func noteRDFNamespace(_ namespace: Namespace) {
        if format == .rss10, namespace == .rss090 { format = .rss090 }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

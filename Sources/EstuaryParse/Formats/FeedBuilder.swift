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
    /// When set, finished items go here instead of into ``items`` (streaming).
    var onItem: ((FeedItem) -> Void)?
    /// Called once the format is known, before the first item.
    var onFormat: ((FeedFormat) -> Void)?

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
    /// Whether an item is being read: the same as `item != nil`, without copying the item to ask.
    var inItem: Bool { itemDepth != 0 }
    var itemGUID: (value: String, isPermaLink: Bool)?
    var itemLinkRank = 0
    var feedLinkRank = 0
    var fallbackTitle: String?
    var fallbackSummary: String?

    // The text being captured, and a subtree being skipped (image, atom:source, ...).
    var capture: Capture?
    var skipDepth: Int?

    // An Atom person construct (author) being read.
    var person: (depth: Int, name: String?, email: String?)?
    // Depths of containers whose children are read in their own way.
    var mediaGroupDepth: Int?
    var imageDepth: Int?
    var skipListDepth: Int?

    /// Whether bodies go through ``HTMLSanitizer`` (always, but for measuring the parser alone).
    private let sanitize: Bool
    /// One for all the bodies of the document: its buffers are allocated once.
    private lazy var sanitizingWriter = SanitizingWriter()

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

    /// Elements nested deeper than this end the parse, keeping the items read: libxml2's push
    /// parser sets no depth limit of its own, and each level costs memory in it and here (a 15 MB
    /// feed of `<a>` held 600 MB). No feed nests past a few dozen.
    static let maxDepth = 4096
    /// The parse ended at ``maxDepth``: the document is not well-formed for Estuary.
    private(set) var tooDeep = false

    func startElement(namespace uri: String?, name: String, attributes: [XMLAttribute], parser: PushParser) {
        guard depth < Self.maxDepth else {
            tooDeep = true
            parser.stop()
            return
        }
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
            onFormat?(detected)
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

    func endElement(name: String) {
        defer { stack.removeLast() }
        if let captureDepth = capture?.depth {
            if depth > captureDepth {
                // In place: a copy (`if var`) would duplicate the captured markup at every end tag,
                // quadratic in the number of child elements.
                capture!.closeChild(name: name)
                return
            }
            let current = capture!
            capture = nil
            finish(current)
        }
        if skipDepth == depth {
            skipDepth = nil
            return
        }
        if let p = person, p.depth == depth {
            person = nil
            // Several authors: the last one named, as feedparser reports it.
            if inItem, let author = p.name ?? p.email { item!.author = author }
        }
        if mediaGroupDepth == depth { mediaGroupDepth = nil }
        if imageDepth == depth { imageDepth = nil }
        if skipListDepth == depth { skipListDepth = nil }
        if inItem, depth == itemDepth {
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
        assert(inItem, "an item starts below the root")
        itemGUID = nil
        itemLinkRank = 0
    }

    private func finishItem() {
        guard var finished = item.take() else { return }
        if let guid = itemGUID {
            if finished.id == nil { finished.id = guid.value }
            if finished.link == nil, guid.isPermaLink, Self.isWebURL(guid.value) { finished.link = guid.value }
        }
        // An Atom entry whose id is its web address, and no alternate link.
        if finished.link == nil, format == .atom10 || format == .atom03, let id = finished.id, Self.isWebURL(id) {
            finished.link = id
        }
        if finished.title == nil { finished.title = fallbackTitle }
        if finished.summary == nil { finished.summary = fallbackSummary }
        fallbackTitle = nil
        fallbackSummary = nil
        mediaGroupDepth = nil
        if let onItem { onItem(finished) } else { items.append(finished) }
        itemDepth = 0
        assert(item == nil && !inItem)
    }

    static func isWebURL(_ text: String) -> Bool {
        let lower = text.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    func addEnclosure(url: String, type: String?, length: String?) {
        let size = length.flatMap { Int($0.trimmedWhitespace) }
        let enclosure = Enclosure(url: resolve(url), type: type?.trimmedWhitespace.nonEmpty, length: size)
        // media:content often repeats the RSS enclosure.
        if item?.enclosures.contains(where: { $0.url == enclosure.url }) == false { item?.enclosures.append(enclosure) }
    }

    /// media:content as an attachment; not a Flash player (YouTube lists one with every video),
    /// which nothing plays any more.
    func addMediaContent(_ attributes: [XMLAttribute]) {
        func attribute(_ key: String) -> String? { attributes.first { $0.name == key && $0.namespace == nil }?.value }
        guard let url = attribute("url"), !url.isEmpty,
            attribute("type")?.trimmedWhitespace.lowercased() != "application/x-shockwave-flash"
        else { return }
        addEnclosure(url: url, type: attribute("type"), length: attribute("fileSize"))
    }

    /// Resolves a URL against the base in effect; keeps the text when it is not a URL at all.
    func resolve(_ text: String) -> String {
        let trimmed = text.trimmed
        guard !trimmed.isEmpty else { return trimmed }
        return URL(string: trimmed, relativeTo: base)?.absoluteString ?? trimmed
    }

    /// Offers a link for the item or the feed; a better-ranked one replaces a worse one, never an equal.
    func offerLink(_ href: String, rank: Int) {
        if inItem {
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
        case .feedLanguage: if let language = capture.rawText().nonEmpty { metadata.language = language }
        case .feedUpdated: if let date = FeedDate.parse(capture.rawText()) { metadata.updated = date }
        case .ttl: metadata.hints.ttlMinutes = Int(capture.rawText())
        case .updatePeriod: metadata.hints.updatePeriod = capture.rawText().lowercased().nonEmpty
        case .updateFrequency: metadata.hints.updateFrequency = Int(capture.rawText())
        case .skipHour:
            if let hour = Int(capture.rawText()), (0...24).contains(hour) { metadata.hints.skipHours.insert(hour % 24) }
        case .skipDay:
            if let day = capture.rawText().lowercased().nonEmpty { metadata.hints.skipDays.insert(day) }
        case .feedIcon: metadata.icon = capture.rawText().nonEmpty.map(resolve)
        case .feedLogo: metadata.logo = capture.rawText().nonEmpty.map(resolve)
        // Repeated elements: the last one wins, as in feedparser.
        case .title: if let title = capture.plainText() { item?.title = title }
        case .fallbackTitle: fallbackTitle = capture.plainText()
        case .link: offerLink(capture.rawText(), rank: 1)
        case .id: item?.id = capture.rawText().nonEmpty
        case .guid(let isPermaLink):
            if let value = capture.rawText().nonEmpty { itemGUID = (value, isPermaLink) }
        case .author: if let author = capture.plainText()?.nonEmpty { item?.author = author }
        case .personName: person?.name = capture.plainText()?.nonEmpty
        case .personEmail: person?.email = capture.rawText().nonEmpty
        case .published: if let date = FeedDate.parse(capture.rawText()) { item?.published = date }
        case .updated: if let date = FeedDate.parse(capture.rawText()) { item?.updated = date }
        case .summary: if let html = body(capture) { item?.summary = html }
        case .fallbackSummary: fallbackSummary = body(capture)
        case .content: if let html = body(capture) { item?.content = html }
        case .categoryList:
            for term in capture.rawText().split(separator: ",") {
                let trimmed = String(term).trimmedWhitespace
                if !trimmed.isEmpty { item?.categories.append(trimmed) }
            }
        case .category:
            // A category wrapping other elements (an image): its own text only.
            let text = capture.hasChildren ? capture.rawText().components(separatedBy: "\n").first : capture.plainText()
            if let term = text?.trimmedWhitespace.nonEmpty { item?.categories.append(term) }
        }
    }

    /// A body as safe HTML: sanitized, relative URLs resolved against the base in effect.
    private func body(_ capture: Capture) -> String? {
        if sanitize, let bytes = capture.escapedHTML() {
            // The common case, HTML escaped in the XML: sanitized from its bytes, without a String between.
            return bytes.isEmpty ? nil : HTMLSanitizer.sanitize(bytes, base: base, writer: sanitizingWriter)
        }
        guard let html = capture.html() else { return nil }
        return sanitize && capture.isMarkup ? HTMLSanitizer.sanitize(html, base: base, writer: sanitizingWriter) : html
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

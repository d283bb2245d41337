import EstuaryCore

/// Reads OPML 1.0 and 2.0 subscription lists with the same libxml2 push parser,
/// and the same safety, as feeds: no external entities, no DTD entities, no network.
///
/// Unlike a feed, a list must be well-formed: an import is all or nothing, and
/// half a list read from a broken file would silently drop the rest.
public enum OPMLReader {
    public static func read(_ body: [UInt8], maxBytes: Int = FeedParser.defaultMaxBytes) -> Result<OPMLList, ParseFailure> {
        guard body.count <= maxBytes else {
            return .failure(ParseFailure("the file is larger than \(maxBytes) bytes; not read"))
        }
        let bytes = FeedDecoder.decode(body, contentType: nil).bytes
        guard bytes.contains(where: { !FeedDecoder.isSpace($0) }) else {
            return .failure(ParseFailure("not OPML: the file is empty"))
        }
        let builder = OPMLBuilder()
        guard let parser = PushParser(receiver: builder) else {
            return .failure(ParseFailure("libxml2 could not allocate a parser (out of memory?)"))
        }
        bytes.withUnsafeBufferPointer { parser.feed($0, last: true) }

        if let root = builder.foreignRoot {
            let hint = ["rss", "feed", "RDF"].contains(root) ? " (it is a feed: add its URL as a [[source]] instead)" : ""
            return .failure(ParseFailure("not OPML: the root element is <\(root)>, not <opml>\(hint)"))
        }
        if !parser.wellFormed {
            let detail = parser.firstError.map { " at line \($0.line): \($0.message)" } ?? ""
            return .failure(ParseFailure("not well-formed XML\(detail)"))
        }
        guard builder.sawBody else { return .failure(ParseFailure("not OPML: no <opml> element with a <body>")) }
        return .success(OPMLList(feeds: builder.feeds, withoutFeedURL: builder.withoutFeedURL))
    }
}

/// Collects the outlines of `<opml><body>`: an outline with `xmlUrl` is a feed, one
/// without that holds others is a folder.
private final class OPMLBuilder: SAXReceiver {
    private(set) var feeds: [OPMLFeed] = []
    private(set) var withoutFeedURL = 0
    private(set) var foreignRoot: String?
    private(set) var sawBody = false

    /// The open elements below `<body>`: for an outline, its folder name (nil for a feed
    /// or a blank name) and whether anything is inside.
    private struct Open {
        var isOutline: Bool
        var isFeed: Bool
        var folder: String?
        var hasChildren = false
    }

    private var depth = 0
    private var bodyDepth: Int?
    private var open: [Open] = []

    func startElement(namespace: String?, name: String, attributes: [XMLAttribute], parser: PushParser) {
        depth += 1
        if depth == 1 {
            if name != "opml" {
                foreignRoot = name
                parser.stop()
            }
            return
        }
        guard bodyDepth != nil else {
            if depth == 2 && name == "body" {
                bodyDepth = depth
                sawBody = true
            }
            return
        }
        if !open.isEmpty { open[open.count - 1].hasChildren = true }
        guard name == "outline" else {
            open.append(Open(isOutline: false, isFeed: false))
            return
        }
        func attribute(_ key: String) -> String? {
            // Some exporters write `xmlurl` or `XMLURL`; OPML's names are camelCase.
            let value =
                attributes.first { $0.name == key }?.value
                ?? attributes.first { $0.name.lowercased() == key.lowercased() }?.value
            return value.map(Self.collapse).flatMap { $0.isEmpty ? nil : $0 }
        }
        let title = attribute("title") ?? attribute("text")
        guard let url = attribute("xmlUrl") else {
            open.append(Open(isOutline: true, isFeed: false, folder: attribute("text") ?? attribute("title")))
            return
        }
        var folders = open.compactMap(\.folder)
        for path in (attribute("category") ?? "").split(separator: ",") {
            folders += path.split(separator: "/").map { Self.collapse(String($0)) }.filter { !$0.isEmpty }
        }
        feeds.append(OPMLFeed(url: url, title: title, folders: folders))
        open.append(Open(isOutline: true, isFeed: true))
    }

    func endElement(name: String) {
        defer { depth -= 1 }
        guard let bodyDepth else { return }
        if depth == bodyDepth {
            self.bodyDepth = nil
            return
        }
        guard let closed = open.popLast() else { return }
        if closed.isOutline && !closed.isFeed && !closed.hasChildren { withoutFeedURL += 1 }
    }

    func characters(_ text: UnsafeBufferPointer<UInt8>) {}

    /// Trimmed, with runs of white space (line breaks in attribute values included) as one space.
    static func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

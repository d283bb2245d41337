import EstuaryCLibXML2
import Foundation

/// Feed autodiscovery: the `<link rel="alternate">` a web page points its feed with.
enum FeedDiscovery {
    static let feedTypes: Set<String> = ["application/rss+xml", "application/atom+xml", "application/feed+json"]

    /// The first feed link of an HTML page, resolved against `base`.
    static func firstFeed(in html: [UInt8], base: URL?) -> URL? {
        LibXML2.ensureInitialized()
        let finder = LinkFinder()
        var handler = htmlSAXHandler()
        handler.startElement = LinkFinder.onStart
        let context = Unmanaged.passUnretained(finder).toOpaque()
        guard let parser = htmlCreatePushParserCtxt(&handler, context, nil, 0, nil, XML_CHAR_ENCODING_UTF8) else { return nil }
        defer { htmlFreeParserCtxt(parser) }
        htmlCtxtUseOptions(
            parser,
            Int32(
                HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
                    | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_IGNORE_ENC.rawValue))
        html.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = htmlParseChunk(parser, chars.baseAddress, Int32(clamping: chars.count), 1)
            }
        }
        return withExtendedLifetime(finder) {
            finder.href.flatMap { URL(string: $0.trimmed, relativeTo: base)?.absoluteURL }
        }
    }
}

private final class LinkFinder {
    var href: String?

    static let onStart: startElementSAXFunc = { context, name, attributes in
        guard let context, let name, let attributes, String(cString: name).lowercased() == "link" else { return }
        let finder = Unmanaged<LinkFinder>.fromOpaque(context).takeUnretainedValue()
        guard finder.href == nil else { return }
        var values: [String: String] = [:]
        var i = 0
        while let key = attributes[i] {
            values[String(cString: key).lowercased()] = attributes[i + 1].map { String(cString: $0) } ?? ""
            i += 2
        }
        let rel = (values["rel"] ?? "").lowercased().split(whereSeparator: \.isWhitespace)
        let type = (values["type"] ?? "").lowercased().split(separator: ";").first.map { $0.trimmed } ?? ""
        guard rel.contains("alternate"), FeedDiscovery.feedTypes.contains(type), let href = values["href"], !href.isEmpty
        else { return }
        finder.href = href
    }
}

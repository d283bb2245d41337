import EstuaryCore
import Foundation

/// Reads RSS and Atom documents with libxml2's push parser.
///
/// Safe for hostile input: no external entities, no DTD entities, no network,
/// recovery instead of rejection for broken but readable feeds.
public struct FeedParser: FeedParsing {
    /// Sanitize summaries and bodies. Only benchmarks of the bare parser turn it off.
    public var sanitize: Bool

    /// Larger documents are refused before parsing.
    public var maxBytes: Int

    public static let defaultMaxBytes = 16 << 20

    public init(sanitize: Bool = true, maxBytes: Int = FeedParser.defaultMaxBytes) {
        self.sanitize = sanitize
        self.maxBytes = maxBytes
    }

    public func parse(_ body: [UInt8], documentURL: URL?, contentType: String?) -> Result<FeedDocument, ParseFailure> {
        parse(body, documentURL: documentURL, contentType: contentType, stream: nil)
    }

    /// What a streaming parse reports as it goes.
    public struct Stream {
        /// Once the format and encoding are known, before any item.
        public var start: (_ format: FeedFormat, _ encoding: String) -> Void
        /// Each item as soon as it is complete; the returned document then has no items.
        public var item: (FeedItem) -> Void

        public init(start: @escaping (FeedFormat, String) -> Void, item: @escaping (FeedItem) -> Void) {
            self.start = start
            self.item = item
        }
    }

    /// Parses without keeping the items: each goes to `stream` as soon as it is
    /// complete, so memory does not grow with the number of items.
    public func parse(_ body: [UInt8], documentURL: URL?, contentType: String?, stream: Stream?) -> Result<
        FeedDocument, ParseFailure
    > {
        guard body.count <= maxBytes else {
            return .failure(ParseFailure("read: the document is larger than \(maxBytes) bytes; not parsed"))
        }
        // Only a web address is a base for relative links; one resolved against a
        // file: URL would point into the server's disk, and the sanitizer drops it.
        let documentURL = documentURL.flatMap { ["http", "https"].contains($0.scheme?.lowercased()) ? $0 : nil }
        let decoded = FeedDecoder.decode(body, contentType: contentType)
        let bytes = decoded.bytes
        guard let first = bytes.first(where: { !FeedDecoder.isSpace($0) }) else {
            return .failure(ParseFailure("not a feed: the body is empty"))
        }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            var reader = JSONFeedReader(documentURL: documentURL, sanitize: sanitize)
            if let stream {
                reader.onFormat = { stream.start($0, decoded.encoding) }
                reader.onItem = stream.item
            }
            return reader.read(bytes).map {
                var document = $0
                document.encoding = decoded.encoding
                return document
            }
        }

        let builder = FeedBuilder(documentURL: documentURL, sanitize: sanitize)
        if let stream {
            builder.onFormat = { stream.start($0, decoded.encoding) }
            builder.onItem = stream.item
        }
        guard let parser = PushParser(receiver: builder) else {
            return .failure(ParseFailure("parse: libxml2 could not allocate a parser (out of memory?)"))
        }
        // In 64 KiB chunks: libxml2 then keeps only a window of the document in its buffers.
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            repeat {
                let end = min(offset + 65_536, buffer.count)
                parser.feed(UnsafeBufferPointer(rebasing: buffer[offset..<end]), last: end == buffer.count)
                offset = end
            } while offset < buffer.count
        }

        guard var document = builder.document else {
            if Self.looksLikeHTMLPage(bytes) || builder.foreignRoot?.lowercased() == "html" {
                return .failure(
                    ParseFailure(
                        "not a feed: the body is an HTML page, not RSS or Atom (is the url a web page rather than its feed?)",
                        isHTMLPage: true))
            }
            if let root = builder.foreignRoot {
                return .failure(ParseFailure("not a feed: the root element is <\(root)>, not <rss>, <rdf:RDF> or <feed>"))
            }
            if let error = parser.firstError {
                return .failure(ParseFailure("not a feed: XML error at line \(error.line): \(error.message)"))
            }
            return .failure(ParseFailure("not a feed: no root element"))
        }
        document.wellFormed = parser.wellFormed && !decoded.repaired && !builder.tooDeep
        document.encoding = decoded.encoding
        return .success(document)
    }

    public func discoverFeed(in body: [UInt8], documentURL: URL?) -> URL? {
        let base = documentURL.flatMap { ["http", "https"].contains($0.scheme?.lowercased()) ? $0 : nil }
        return FeedDiscovery.firstFeed(in: FeedDecoder.decode(body, contentType: nil).bytes, base: base)
    }

    /// `<!DOCTYPE html` or `<html` near the start.
    static func looksLikeHTMLPage(_ bytes: [UInt8]) -> Bool {
        let head = String(decoding: bytes.prefix(1024), as: UTF8.self).lowercased()
        return head.contains("<!doctype html") || head.contains("<html")
    }
}

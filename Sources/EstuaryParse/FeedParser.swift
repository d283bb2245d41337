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
            return JSONFeedReader(documentURL: documentURL, sanitize: sanitize).read(bytes)
        }

        let builder = FeedBuilder(documentURL: documentURL, sanitize: sanitize)
        guard let parser = PushParser(receiver: builder) else {
            return .failure(ParseFailure("parse: libxml2 could not allocate a parser (out of memory?)"))
        }
        bytes.withUnsafeBufferPointer { parser.feed($0, last: true) }

        guard var document = builder.document else {
            if Self.looksLikeHTMLPage(bytes) || builder.foreignRoot?.lowercased() == "html" {
                return .failure(
                    ParseFailure(
                        "not a feed: the body is an HTML page, not RSS or Atom (is the url a web page rather than its feed?)"))
            }
            if let root = builder.foreignRoot {
                return .failure(ParseFailure("not a feed: the root element is <\(root)>, not <rss>, <rdf:RDF> or <feed>"))
            }
            if let error = parser.lastError {
                return .failure(ParseFailure("not a feed: XML error at line \(error.line): \(error.message)"))
            }
            return .failure(ParseFailure("not a feed: no root element"))
        }
        document.wellFormed = parser.wellFormed && !decoded.repaired
        document.encoding = decoded.encoding
        return .success(document)
    }

    /// `<!DOCTYPE html` or `<html` near the start.
    static func looksLikeHTMLPage(_ bytes: [UInt8]) -> Bool {
        let head = String(decoding: bytes.prefix(1024), as: UTF8.self).lowercased()
        return head.contains("<!doctype html") || head.contains("<html")
    }
}

import EstuaryCore
import Foundation

/// Reads RSS and Atom documents with libxml2's push parser.
///
/// Safe for hostile input: no external entities, no DTD entities, no network,
/// recovery instead of rejection for broken but readable feeds.
public struct FeedParser: FeedParsing {
    public init() {}

    public func parse(_ body: [UInt8], documentURL: URL?, contentType: String?) -> Result<FeedDocument, ParseFailure> {
        let bytes = Self.prepare(body)
        guard let first = bytes.first(where: { !Self.isSpace($0) }) else {
            return .failure(ParseFailure("not a feed: the body is empty"))
        }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return .failure(ParseFailure("JSON Feed is not read by this version yet: only RSS and Atom"))
        }

        let builder = FeedBuilder(documentURL: documentURL)
        guard let parser = PushParser(receiver: builder) else {
            return .failure(ParseFailure("libxml2 could not allocate a parser (out of memory?)"))
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
        document.wellFormed = parser.wellFormed
        document.encoding = (parser.declaredEncoding ?? "utf-8").lowercased()
        return .success(document)
    }

    /// Removes what makes libxml2 give up on otherwise readable feeds: white space
    /// before the XML declaration, and control characters (a NUL ends the document).
    /// Only for byte streams where those bytes are ASCII (not UTF-16 or UTF-32).
    static func prepare(_ body: [UInt8]) -> [UInt8] {
        if body.count >= 2,
            (body[0] == 0xFE && body[1] == 0xFF) || (body[0] == 0xFF && body[1] == 0xFE) || body[0] == 0 || body[1] == 0
        {
            return body
        }
        var start = 0
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < body.count, isSpace(body[start]) { start += 1 }
        let needsCleaning = body[start...].contains { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        if start == 0 && !needsCleaning { return body }
        var out: [UInt8] = []
        out.reserveCapacity(body.count - start)
        for byte in body[start...] where byte >= 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            out.append(byte)
        }
        return out
    }

    /// `<!DOCTYPE html` or `<html` near the start.
    static func looksLikeHTMLPage(_ bytes: [UInt8]) -> Bool {
        let head = String(decoding: bytes.prefix(1024), as: UTF8.self).lowercased()
        return head.contains("<!doctype html") || head.contains("<html")
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }
}

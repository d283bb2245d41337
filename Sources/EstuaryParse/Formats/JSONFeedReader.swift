import EstuaryCore
import Foundation

/// Reads JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).
///
/// Lenient the way real JSON feeds need: numeric ids, 1.0's `author` beside
/// 1.1's `authors`, missing optional fields. Titles and `content_text` are
/// plain text; `content_html` is sanitized like every other body.
struct JSONFeedReader {
    let documentURL: URL?
    let sanitize: Bool
    var onFormat: ((FeedFormat) -> Void)? = nil
    var onItem: ((FeedItem) -> Void)? = nil

    func read(_ bytes: [UInt8]) -> Result<FeedDocument, ParseFailure> {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            // Half of a UTF-16 pair escaped alone (`\ud83d`, an emoji cut by a length limit) is
            // refused by Foundation and read by browsers as U+FFFD: one such title must not cost
            // the whole feed.
            guard let repaired = Self.replacingLoneSurrogates(bytes),
                let again = try? JSONSerialization.jsonObject(with: Data(repaired), options: [.fragmentsAllowed])
            else {
                return .failure(ParseFailure("not a feed: the body is not valid JSON (\(Self.reason(error)))"))
            }
            object = again
        }
        guard let root = object as? [String: Any], let version = root["version"] as? String,
            version.contains("jsonfeed.org/version/")
        else {
            return .failure(
                ParseFailure("not a feed: JSON without a JSON Feed \"version\" (https://jsonfeed.org/version/1.1)"))
        }
        let format: FeedFormat = version.hasSuffix("/1") || version.hasSuffix("/1/") ? .json10 : .json11
        onFormat?(format)
        let base = (root["feed_url"] as? String).flatMap { URL(string: $0, relativeTo: documentURL) } ?? documentURL

        var metadata = FeedMetadata()
        metadata.title = string(root["title"])
        metadata.link = string(root["home_page_url"]).map { resolve($0, base) }
        metadata.id = string(root["feed_url"]).map { resolve($0, base) }
        metadata.subtitle = string(root["description"]).map(HTMLSanitizer.escape)
        metadata.language = string(root["language"])
        metadata.icon = string(root["icon"]).map { resolve($0, base) }
        metadata.logo = metadata.icon
        let feedAuthor = author(root)

        var items: [FeedItem] = []
        for case let entry as [String: Any] in root["items"] as? [Any] ?? [] {
            var item = FeedItem()
            item.id = string(entry["id"])
            item.link = (string(entry["url"]) ?? string(entry["external_url"])).map { resolve($0, base) }
            item.title = string(entry["title"])
            item.author = author(entry) ?? feedAuthor
            item.published = string(entry["date_published"]).flatMap(FeedDate.parse)
            item.updated = string(entry["date_modified"]).flatMap(FeedDate.parse)
            item.summary = string(entry["summary"]).map(HTMLSanitizer.escape)
            if let html = string(entry["content_html"]) {
                item.content = sanitize ? HTMLSanitizer.sanitize(html, base: base) : html
            } else if let text = string(entry["content_text"]) {
                item.content = HTMLSanitizer.escape(text)
            }
            item.categories = (entry["tags"] as? [Any] ?? []).compactMap(string)
            for case let attachment as [String: Any] in entry["attachments"] as? [Any] ?? [] {
                guard let url = string(attachment["url"]) else { continue }
                item.enclosures.append(
                    Enclosure(
                        url: resolve(url, base), type: string(attachment["mime_type"]),
                        length: integer(attachment["size_in_bytes"])))
            }
            if let onItem { onItem(item) } else { items.append(item) }
        }
        return .success(FeedDocument(format: format, metadata: metadata, items: items))
    }

    /// 1.1's `authors` (first with a name), else 1.0's `author`.
    private func author(_ object: [String: Any]) -> String? {
        for case let person as [String: Any] in object["authors"] as? [Any] ?? [] {
            if let name = string(person["name"]) { return name }
        }
        return (object["author"] as? [String: Any]).flatMap { string($0["name"]) }
    }

    /// A non-empty string; numbers as their decimal text (ids are often numbers in the wild).
    private func string(_ value: Any?) -> String? {
        switch value {
        case var text as String:
            // JSON can carry U+0000, which no text means and which SQLite's text reads end at.
            if text.utf8.contains(0) { text.removeAll { $0 == "\u{0}" } }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        case let number as NSNumber:
            return number.stringValue
        default:
            return nil
        }
    }

    private func integer(_ value: Any?) -> Int? {
        switch value {
        case let number as NSNumber: return number.intValue
        case let text as String: return Int(text)
        default: return nil
        }
    }

    private func resolve(_ url: String, _ base: URL?) -> String {
        URL(string: url, relativeTo: base)?.absoluteString ?? url
    }

    /// `bytes` with each `\uD800`-`\uDFFF` escape that is not half of a pair replaced by
    /// `\uFFFD`; nil when there is none.
    static func replacingLoneSurrogates(_ bytes: [UInt8]) -> [UInt8]? {
        /// The UTF-16 code unit of a `\uXXXX` escape starting at `index`, if there is one.
        func unit(at index: Int) -> UInt16? {
            guard index + 5 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { return nil }
            return UInt16(String(decoding: bytes[(index + 2)..<(index + 6)], as: UTF8.self), radix: 16)
        }
        var output: [UInt8] = []
        var copied = 0
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            guard let first = unit(at: index), (0xD800...0xDFFF).contains(first) else {
                index += 2  // any other escape, `\\` included, whole
                continue
            }
            if first < 0xDC00, let second = unit(at: index + 6), (0xDC00...0xDFFF).contains(second) {
                index += 12
                continue
            }
            output += bytes[copied..<index] + Array("\\ufffd".utf8)
            index += 6
            copied = index
        }
        guard copied > 0 else { return nil }
        return output + bytes[copied...]
    }

    private static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }
}

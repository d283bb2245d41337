/// The text a reader sees in an HTML fragment, split into paragraphs, for
/// comparing bodies with plain-text fixtures. Independent of Estuary's own
/// HTML handling so the tests check it rather than repeat it.
public enum VisibleText {
    /// Text of each `<p>` (or the whole fragment when it has none), entities decoded.
    public static func paragraphs(_ html: String) -> [String] {
        var pieces = html.components(separatedBy: "</p>").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        if pieces.isEmpty { pieces = [html] }
        return pieces.map { decode(stripTags($0)).trimmingWhitespace() }
    }

    public static func stripTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for ch in html {
            if ch == "<" { inTag = true } else if ch == ">" && inTag { inTag = false } else if !inTag { out.append(ch) }
        }
        return out
    }

    /// Numeric references and the named ones the fixtures use.
    public static func decode(_ text: String) -> String {
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "hellip": "…"]
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(10).firstIndex(of: ";") {
                let name = after[..<semi]
                var scalar: Unicode.Scalar? = nil
                if name.hasPrefix("#x") {
                    scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if name.hasPrefix("#") {
                    scalar = UInt32(name.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init)
                }
                if let scalar {
                    out.unicodeScalars.append(scalar)
                    rest = after[after.index(after: semi)...]
                    continue
                }
                if let value = named[String(name)] {
                    out += value
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

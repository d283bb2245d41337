/// Escaping text for HTML and XML: `&`, `<`, `>`, and `"` inside attribute values.
enum HTMLEscape {
    /// Appends `bytes` escaped, copying the runs between special bytes in one go.
    static func append<C: Collection>(_ bytes: C, to out: inout [UInt8], quotes: Bool = false) where C.Element == UInt8 {
        var runStart = bytes.startIndex
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
                || (quotes && byte == UInt8(ascii: "\""))
            {
                out.append(contentsOf: bytes[runStart..<i])
                switch byte {
                case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                default: out.append(contentsOf: "&quot;".utf8)
                }
                runStart = bytes.index(after: i)
            }
            i = bytes.index(after: i)
        }
        out.append(contentsOf: bytes[runStart..<i])
    }
}

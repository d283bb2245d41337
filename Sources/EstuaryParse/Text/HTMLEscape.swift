import EstuaryCore

/// Escaping text for HTML and XML: `&`, `<`, `>`, and `"` inside attribute values.
enum HTMLEscape {
    /// Appends `bytes` escaped, copying the runs between special bytes in one go.
    static func append<C: Collection>(_ bytes: C, to out: inout [UInt8], quotes: Bool = false) where C.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ appendContiguous($0, to: &out, quotes: quotes) }) != nil { return }
        // Bytes not stored in one piece (a bridged string): copied once, escaped the same way.
        Array(bytes).withUnsafeBufferPointer { appendContiguous($0, to: &out, quotes: quotes) }
    }

    /// ``append(_:to:quotes:)`` over contiguous bytes: eight at a time past those that need no
    /// escape (most of any text).
    private static func appendContiguous(_ b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8], quotes: Bool) {
        guard let base = b.baseAddress else { return }
        let n = b.count
        var runStart = 0
        var i = 0
        while i < n {
            while i + 8 <= n {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if ByteScan.hasByte(UInt8(ascii: "&"), in: word) || ByteScan.hasByte(UInt8(ascii: "<"), in: word)
                    || ByteScan.hasByte(UInt8(ascii: ">"), in: word) || (quotes && ByteScan.hasByte(UInt8(ascii: "\""), in: word))
                {
                    break
                }
                i += 8
            }
            guard i < n else { break }
            let escaped: StaticString
            switch b[i] {
            case UInt8(ascii: "&"): escaped = "&amp;"
            case UInt8(ascii: "<"): escaped = "&lt;"
            case UInt8(ascii: ">"): escaped = "&gt;"
            case UInt8(ascii: "\"") where quotes: escaped = "&quot;"
            default:
                i += 1
                continue
            }
            out.append(contentsOf: b[runStart..<i])
            escaped.withUTF8Buffer { out.append(contentsOf: $0) }
            i += 1
            runStart = i
        }
        out.append(contentsOf: b[runStart..<n])
    }
}

/// Trimming ASCII white space on UTF-8 bytes.
///
/// Foundation's `trimmingCharacters(in:)` walks a Swift string as UTF-16 and
/// was the parser's largest cost; feed text only needs ASCII white space gone.
enum Trim {
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C || b == 0x0B }

    /// The bytes without leading and trailing ASCII white space.
    static func bytes<C: BidirectionalCollection>(_ bytes: C) -> C.SubSequence where C.Element == UInt8 {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start != end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end != start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return bytes[start..<end]
    }

    /// The bytes without leading and trailing ASCII white space, as a string.
    static func string<C: BidirectionalCollection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(decoding: Self.bytes(bytes), as: UTF8.self)
    }
}

extension String {
    /// Without leading and trailing ASCII white space.
    var trimmed: String { Trim.string(utf8) }

    /// Without leading and trailing white space and newlines, Unicode's included (Foundation's
    /// `.whitespacesAndNewlines`), with a fast way out for the usual case: printable ASCII at both ends.
    var trimmedWhitespace: String {
        guard let first = utf8.first, let last = utf8.last else { return self }
        if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Substring {
    /// Without leading and trailing ASCII white space.
    var trimmed: String { Trim.string(utf8) }
}
